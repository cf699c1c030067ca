//! Authorize now, capture later: a manually captured payment holds the customer's money
//! (AUTHORIZED) until the merchant captures all or part of it (SUCCEEDED; what is not
//! captured is released) or voids the hold (VOIDED), or the hold runs out and is voided.
//!
//! A capture or void is marked on the payment (its hold action) before the processor is
//! asked, by one guarded write that holds only while the payment is AUTHORIZED with nothing
//! under way: two captures, or a capture and a void, racing each other (on one instance or
//! many) cannot both reach the processor. The mark stays until the processor's answer is
//! recorded; a mark left behind by a fault is taken up again by the background pass, under
//! the same processor idempotency key.

use chrono::{DateTime, Duration, Utc};

string_enum!(
    /// When a session's payment is captured: at once (AUTOMATIC), or held for
    /// `capturePayment` (MANUAL).
    CaptureMethod, "capture method" {
        Automatic => "AUTOMATIC",
        Manual => "MANUAL",
    }
);

/// How long an authorization may wait for its capture unless configured otherwise: 7 days,
/// as card networks hold most authorizations.
pub const DEFAULT_CAPTURE_WINDOW: Duration = Duration::days(7);

/// A capture or void of an AUTHORIZED payment, marked before the processor is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldAction {
    /// Take `amount` minor units; the rest is released.
    Capture(i64),
    Void,
}

impl HoldAction {
    /// The stored name and amount.
    pub fn stored(self) -> (&'static str, Option<i64>) {
        match self {
            HoldAction::Capture(amount) => ("CAPTURE", Some(amount)),
            HoldAction::Void => ("VOID", None),
        }
    }

    /// Reads the stored name and amount back; `None` for a name no action has.
    pub fn parse(name: &str, amount: Option<i64>) -> Option<HoldAction> {
        match (name, amount) {
            ("CAPTURE", Some(amount)) => Some(HoldAction::Capture(amount)),
            ("VOID", _) => Some(HoldAction::Void),
            _ => None,
        }
    }
}

/// Where an authorization ended, as the processor tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoldOutcome {
    /// `amount` minor units were taken.
    Captured(i64),
    /// The hold was released (by a void, or by the issuer once it ran out).
    Voided,
}

/// Why an amount cannot be captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotCapturable {
    #[error("the amount must be positive")]
    NotPositive,
    #[error("at most {0} minor units can be captured")]
    MoreThanHeld(i64),
}

/// What a capture of `asked` (none: all of it) takes from a hold of `capturable`.
pub fn capture_amount(asked: Option<i64>, capturable: i64) -> Result<i64, NotCapturable> {
    match asked {
        None => Ok(capturable),
        Some(amount) if amount <= 0 => Err(NotCapturable::NotPositive),
        Some(amount) if amount > capturable => Err(NotCapturable::MoreThanHeld(capturable)),
        Some(amount) => Ok(amount),
    }
}

/// The deadline of an authorization made `at`.
pub fn capture_before(at: DateTime<Utc>, window: Duration) -> DateTime<Utc> {
    at + window
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_capture_takes_at_most_what_is_held() {
        assert_eq!(capture_amount(None, 2500), Ok(2500));
        assert_eq!(capture_amount(Some(1000), 2500), Ok(1000));
        assert_eq!(capture_amount(Some(2500), 2500), Ok(2500));
        assert_eq!(capture_amount(Some(2501), 2500), Err(NotCapturable::MoreThanHeld(2500)));
        assert_eq!(capture_amount(Some(0), 2500), Err(NotCapturable::NotPositive));
        assert_eq!(capture_amount(Some(-1), 2500), Err(NotCapturable::NotPositive));
    }

    #[test]
    fn hold_actions_round_trip_through_their_stored_form() {
        for action in [HoldAction::Capture(700), HoldAction::Void] {
            let (name, amount) = action.stored();
            assert_eq!(HoldAction::parse(name, amount), Some(action));
        }
        assert_eq!(HoldAction::parse("CAPTURE", None), None);
        assert_eq!(HoldAction::parse("REFUND", Some(1)), None);
    }
}
