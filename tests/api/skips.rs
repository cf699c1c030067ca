//! What this run skips, in one line on the terminal (written past the test harness's
//! capture, so it shows in a passing run): the tests that need a service the run was not
//! given. Under CI nothing may be skipped: those tests fail instead (`support::services`, `browser`).

use std::io::Write;

use crate::shape::{NEEDS_SHAPE, SHAPE_TOOLS, missing_tools};
use crate::support::{NEEDS_REDIS, NEEDS_STRIPE};

#[test]
fn what_this_run_skips() {
    let missing = std::env::var("TEST_REDIS_URL").ok().filter(|u| !u.is_empty()).is_none();
    if missing {
        assert!(std::env::var("CI").is_err(), "CI runs every test: set TEST_REDIS_URL");
        let line = format!(
            "SKIPPED {} tests that need Redis (set TEST_REDIS_URL=redis://127.0.0.1:6379): {}\n",
            NEEDS_REDIS.len(),
            NEEDS_REDIS.join(", ")
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
    if std::env::var("TEST_STRIPE_URL").ok().filter(|u| !u.is_empty()).is_none() {
        assert!(std::env::var("CI").is_err(), "CI runs every test: set TEST_STRIPE_URL");
        let line = format!(
            "SKIPPED {} tests that need the Stripe fake (see docs/payments.md, Connecting Stripe): {}\n",
            NEEDS_STRIPE.len(),
            NEEDS_STRIPE.join(", ")
        );
        let _ = std::io::stderr().write_all(line.as_bytes());
    }
    // The shape runs on PostgreSQL only: a SQLite pass leaves it to the PostgreSQL pass (as
    // the PostgreSQL pass leaves the browser to the SQLite one), which CI always runs.
    let on_postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres"));
    let missing = missing_tools();
    if !missing.is_empty() {
        assert!(std::env::var("CI").is_err(), "CI runs the production shape: install {missing:?}");
    }
    let line = if !on_postgres {
        format!(
            "note: the {} tests of the production shape run in the PostgreSQL pass (TEST_DATABASE_URL=postgres://…)\n",
            NEEDS_SHAPE.len()
        )
    } else if !missing.is_empty() {
        format!(
            "SKIPPED {} tests of the production shape, which need {}: {}\n",
            NEEDS_SHAPE.len(),
            SHAPE_TOOLS.join(", "),
            NEEDS_SHAPE.join(", ")
        )
    } else {
        return;
    };
    let _ = std::io::stderr().write_all(line.as_bytes());
}
