//! Delivering the event log to webhook endpoints: what a delivery's state is, when a
//! failed one is tried again, and when paygraph gives up.
//!
//! Per endpoint and session, events go in version order: the next is sent only once the
//! one before it was acknowledged (a 2xx within the timeout) or given up. A failing
//! delivery is retried with exponential backoff and jitter for up to [`GIVE_UP_AFTER`];
//! deliveries of other sessions go on meanwhile.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{MerchantId, SessionEvent};

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

/// One event queued for one endpoint, until it is acknowledged or given up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    pub merchant: MerchantId,
    pub endpoint: Uuid,
    /// The event's row in the log.
    pub event: i64,
    /// The event's merchant number: the order of an endpoint's deliveries of one session.
    pub event_seq: i64,
    pub session: Uuid,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    /// The instance's claim while it sends: no other sends it before `leased_until`.
    pub lease: Option<Uuid>,
    pub leased_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Delivery {
    /// `event` queued now for `endpoint`: PENDING and due.
    pub fn queued(endpoint: Uuid, event: &SessionEvent, now: DateTime<Utc>) -> Self {
        Delivery {
            id: Uuid::new_v4(),
            merchant: event.merchant(),
            endpoint,
            event: event.id,
            event_seq: event.seq,
            session: event.session_id,
            state: DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: now,
            lease: None,
            leased_until: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// One try of a delivery: what the receiver answered, and when it is tried again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub id: super::WebhookDeliveryId,
    pub merchant: MerchantId,
    pub endpoint: Uuid,
    pub delivery: Uuid,
    /// The event's row in the log.
    pub event: i64,
    /// 1 for the first try of the delivery.
    pub attempt: i32,
    pub succeeded: bool,
    /// The receiver's answer; none when it gave none (refused, timed out).
    pub status_code: Option<i32>,
    pub duration_ms: i64,
    pub error: Option<String>,
    /// The start of the answer's body, never more.
    pub response_prefix: Option<String>,
    /// When it is tried again; none once it succeeded or was given up.
    pub next_retry_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
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
