//! What a test needs besides the app: a merchant made by the CLI, a free port, a server
//! started as a process, and the services some tests need (Redis, the Stripe fake), skipped
//! and counted without them, failing without them under CI.

/// A merchant made with the CLI on `database_url` (migrating it first): its secret key, the
/// last line the command prints.
pub fn merchant_by_cli(database_url: &str, name: &str) -> String {
    let created = std::process::Command::new(env!("CARGO_BIN_EXE_paygraph"))
        .args(["merchant", "create", "--name", name])
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("paygraph merchant create runs");
    String::from_utf8(created.stdout).expect("UTF-8").lines().last().expect("a key").to_owned()
}

/// A loopback port nothing listens on now, for a server started as a process.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// Waits (at most 5 s) until a server started as a process answers `base/healthz`.
pub async fn wait_until_up(client: &reqwest::Client, base: &str) {
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server at {base} did not start");
}

/// The tests that need Redis (`TEST_REDIS_URL`): without it they are skipped, and
/// `skips::what_this_run_skips` counts them in one line.
pub const NEEDS_REDIS: &[&str] = &[
    "a_new_origin_reaches_every_instance_at_once",
    "a_revoked_key_fails_at_once_on_every_instance",
    "a_subscriber_on_one_instance_sees_changes_made_on_another",
    "every_event_made_while_redis_was_down_arrives_once_and_in_order",
    "a_redis_that_stops_answering_is_noticed_and_holds_nothing_up",
    "a_document_registered_on_one_instance_runs_by_hash_on_another",
    "with_redis_a_limit_holds_across_instances",
    "with_redis_the_cost_budget_is_shared_too",
];

/// The Redis URL for tests, or `None`: the test is skipped. Under CI (`CI` set) a missing
/// Redis fails the test instead, so a green CI run has skipped nothing.
pub fn test_redis_url(test: &str) -> Option<String> {
    assert!(NEEDS_REDIS.contains(&test), "list {test} in support::NEEDS_REDIS, so its skip is counted");
    match std::env::var("TEST_REDIS_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => Some(url),
        None => {
            assert!(std::env::var("CI").is_err(), "CI runs {test}, but TEST_REDIS_URL is not set");
            None
        }
    }
}

/// The tests that need the Stripe fake (`TEST_STRIPE_URL`, localstripe started by
/// `.ci/run`): without it they are skipped and counted, except under CI, where they fail.
pub const NEEDS_STRIPE: &[&str] = &[
    "a_key_stripe_refuses_stores_nothing",
    "a_connected_account_is_shown_by_its_label_and_its_key_is_sealed",
    "a_card_payment_is_one_payment_intent_with_paygraphs_ids",
    "a_declined_card_keeps_stripes_code",
    "a_held_payment_is_captured_in_part_or_voided_at_stripe",
    "refunds_full_and_partial_reach_stripe_once",
    "a_merchant_on_the_test_processor_is_untouched_by_anothers_account",
    "a_saved_card_is_charged_again_off_session",
    "a_card_saved_with_a_payment_is_charged_again_with_its_stripe_customer",
    "a_subscription_renews_off_session_at_stripe",
    "a_pending_refund_is_settled_by_stripes_refund_event",
    "neither_a_processor_key_nor_a_card_reaches_the_logs",
    "a_charge_whose_answer_was_lost_completes_once_from_stripes_word",
    "a_stripe_not_reached_charges_nothing_and_the_customer_pays_again",
    "a_capture_and_a_refund_whose_answers_were_lost_happen_once",
    "three_d_secure_at_stripe_completes_by_the_signed_webhook",
    "the_customer_back_from_three_d_secure_settles_it",
    "forged_stale_and_foreign_signatures_change_nothing",
    "stripes_dispute_events_open_move_and_close_the_dispute_once",
];

/// The Stripe fake's base URL for tests, or `None`: the test is skipped (a failure under CI).
pub fn test_stripe_url(test: &str) -> Option<String> {
    assert!(NEEDS_STRIPE.contains(&test), "list {test} in support::NEEDS_STRIPE, so its skip is counted");
    match std::env::var("TEST_STRIPE_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => Some(url),
        None => {
            assert!(std::env::var("CI").is_err(), "CI runs {test}, but TEST_STRIPE_URL is not set");
            None
        }
    }
}
