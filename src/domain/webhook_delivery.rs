//! Delivering the event log to webhook endpoints: what a delivery's state is, when a
//! failed one is tried again, and when paygraph gives up.
//!
//! Per endpoint and session, events go in version order: the next is sent only once the
//! one before it was acknowledged (a 2xx within the timeout) or given up. A failing
//! delivery is retried with exponential backoff and jitter for up to [`GIVE_UP_AFTER`];
//! deliveries of other sessions go on meanwhile.

use chrono::Duration;

string_enum!(
    /// PENDING until acknowledged (SUCCEEDED) or given up (FAILED).
    DeliveryState, "webhook delivery state" {
        Pending => "PENDING",
        Succeeded => "SUCCEEDED",
        Failed => "FAILED",
    }
);

/// How long a delivery is retried, and how long an endpoint may fail with no success
/// before it is disabled: 3 days, as Stripe retries.
pub const GIVE_UP_AFTER: Duration = Duration::days(3);

/// The longest wait between two tries of one delivery.
pub const MAX_RETRY_DELAY: Duration = Duration::hours(1);

/// How long after its `attempts`-th failed try (1 for the first) a delivery is tried again:
/// `base` doubled per try, at most [`MAX_RETRY_DELAY`], of which a random half
/// (`jitter_per_mille` of it, 0 to 1000) is left out, so that receivers coming back are
/// not hit by every delivery at the same instant.
pub fn retry_delay(base: Duration, attempts: i32, jitter_per_mille: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1)).unwrap_or(0).min(30);
    let full = base.num_milliseconds().saturating_mul(1_i64 << doublings).min(MAX_RETRY_DELAY.num_milliseconds());
    let jitter = full / 2 * jitter_per_mille.clamp(0, 1000) / 1000;
    Duration::milliseconds(full - jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_an_hour_with_at_most_half_left_out() {
        let base = Duration::seconds(10);
        assert_eq!(retry_delay(base, 1, 0), Duration::seconds(10));
        assert_eq!(retry_delay(base, 2, 0), Duration::seconds(20));
        assert_eq!(retry_delay(base, 4, 0), Duration::seconds(80));
        assert_eq!(retry_delay(base, 4, 1000), Duration::seconds(40));
        assert_eq!(retry_delay(base, 30, 0), MAX_RETRY_DELAY);
        assert_eq!(retry_delay(base, 10_000, 0), MAX_RETRY_DELAY, "no overflow");
        assert_eq!(retry_delay(base, 0, 0), Duration::seconds(10));
    }
}
