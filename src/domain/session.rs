//! The payment session: its status state machine, its purpose and its expiry window.
//!
//! Every status change in paygraph is asked of [`SessionStatus::transition`]; nothing
//! writes a status without going through it.

use std::fmt;

use chrono::Duration;

use super::UnknownVariant;

string_enum!(
    /// Where a payment session stands. PROCESSING: an attempt is with the processor (or a
    /// bank transfer awaits settlement); REQUIRES_ACTION: a 3-D Secure challenge is pending;
    /// FAILED: the attempt limit was reached.
    SessionStatus, "session status" {
        Open => "OPEN",
        Processing => "PROCESSING",
        RequiresAction => "REQUIRES_ACTION",
        Completed => "COMPLETED",
        Expired => "EXPIRED",
        Canceled => "CANCELED",
        Failed => "FAILED",
    }
);

/// A transition the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a payment session cannot go from {from} to {to}")]
pub struct IllegalTransition {
    pub from: SessionStatus,
    pub to: SessionStatus,
}

impl SessionStatus {
    /// Terminal states: nothing leaves them.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Expired | Self::Canceled | Self::Failed)
    }

    /// Whether nothing more can happen to a session in this status: terminal, and not
    /// COMPLETED, whose payment may still be refunded.
    pub fn is_final(self) -> bool {
        self.is_terminal() && self != Self::Completed
    }

    /// The whole transition table. `RequiresAction` may also expire or be canceled, so that
    /// an abandoned 3-D Secure challenge does not hold a session forever; `Processing`
    /// never can, because money may be in flight.
    pub fn can_become(self, to: SessionStatus) -> bool {
        use SessionStatus::*;
        matches!(
            (self, to),
            (Open, Processing | Expired | Canceled)
                | (Processing, Completed | RequiresAction | Open | Failed)
                | (RequiresAction, Processing | Expired | Canceled)
        )
    }

    /// Asks the state machine for `self -> to`.
    pub fn transition(self, to: SessionStatus) -> Result<SessionStatus, IllegalTransition> {
        if self.can_become(to) { Ok(to) } else { Err(IllegalTransition { from: self, to }) }
    }
}

/// What a transition does to the claim a session holds on what it pays (its order, or its
/// subscription's period). The claim is what makes "paid at most once" hold: taken when an
/// attempt starts, so a second session cannot charge; settled by the completion; handed back
/// when the attempt ends without a payment, so another session may pay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimStep {
    Take,
    Settle,
    Release,
    /// Nothing held changes hands (a 3-D Secure round trip, or a session that never paid).
    Keep,
}

impl SessionStatus {
    /// The claim step of `self -> to`.
    pub fn claim_step(self, to: SessionStatus) -> ClaimStep {
        use SessionStatus::*;
        match (self, to) {
            (Open, Processing) => ClaimStep::Take,
            (Processing, Completed) => ClaimStep::Settle,
            (Processing | RequiresAction, Open | Failed | Expired | Canceled) => ClaimStep::Release,
            _ => ClaimStep::Keep,
        }
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

string_enum!(
    /// What a session is for; it decides where its amount comes from: CHECKOUT pays an
    /// order (its total), PAYMENT a free amount, BALANCE_TOP_UP credits the customer's
    /// balance, OUTSTANDING_BALANCE pays the customer's open charges, SUBSCRIPTION is a
    /// subscription's first payment, SETUP saves a method and charges nothing.
    SessionPurpose, "session purpose" {
        Checkout => "CHECKOUT",
        Payment => "PAYMENT",
        BalanceTopUp => "BALANCE_TOP_UP",
        OutstandingBalance => "OUTSTANDING_BALANCE",
        Subscription => "SUBSCRIPTION",
        Setup => "SETUP",
    }
);

string_enum!(
    /// How a customer may pay.
    PaymentMethodType, "payment method type" {
        Card => "CARD",
        Wallet => "WALLET",
        BankTransfer => "BANK_TRANSFER",
    }
);

impl PaymentMethodType {
    /// Stores a set of methods as one comma-separated column, in a stable order.
    pub fn join(methods: &[PaymentMethodType]) -> String {
        let mut sorted = methods.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        sorted.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(",")
    }

    pub fn split(stored: &str) -> Result<Vec<PaymentMethodType>, UnknownVariant> {
        stored.split(',').filter(|s| !s.is_empty()).map(str::parse).collect()
    }
}

/// A payment session: one hosted, time-limited payment flow for one purpose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentSession {
    pub id: super::SessionId,
    pub merchant: super::MerchantId,
    pub status: SessionStatus,
    /// Rises by exactly one per status change.
    pub version: i32,
    pub purpose: SessionPurpose,
    /// What the customer pays; none for SETUP.
    pub amount: Option<super::Money>,
    pub customer: Option<super::CustomerId>,
    pub order: Option<super::OrderId>,
    pub subscription: Option<super::SubscriptionId>,
    pub payment_link: Option<super::LinkId>,
    /// The profile this session saved (or paid with, when asked to save), once it has.
    pub payment_profile: Option<super::ProfileId>,
    pub allowed_methods: Vec<PaymentMethodType>,
    pub save_payment_profile: bool,
    pub set_profile_as_default: bool,
    /// MANUAL: the payment is only authorized, for `capturePayment` later.
    pub capture_method: super::capture::CaptureMethod,
    pub attempt_count: i32,
    /// Lets the hosted page and mobile apps see and pay this one session.
    pub client_secret: String,
    pub success_url: Option<String>,
    /// The language of its pages, when the merchant chose one.
    pub locale: Option<super::locale::Locale>,
    pub metadata: std::collections::BTreeMap<String, String>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl PaymentSession {
    /// Its payment is taken when the customer pays, not held for a capture later.
    pub fn captures_at_once(&self) -> bool {
        self.capture_method == super::capture::CaptureMethod::Automatic
    }
}

/// How long a session stays payable.
pub mod expiry {
    use super::Duration;

    pub const DEFAULT_SECONDS: i64 = 60 * 60;
    pub const MIN_SECONDS: i64 = 5 * 60;
    pub const MAX_SECONDS: i64 = 24 * 60 * 60;

    /// The session's lifetime: the default when none is asked, refused outside 5 min ..= 24 h.
    pub fn lifetime(requested_seconds: Option<i64>) -> Result<Duration, OutOfRange> {
        match requested_seconds {
            None => Ok(Duration::seconds(DEFAULT_SECONDS)),
            Some(s) if (MIN_SECONDS..=MAX_SECONDS).contains(&s) => Ok(Duration::seconds(s)),
            Some(_) => Err(OutOfRange),
        }
    }

    /// A requested lifetime outside the allowed window.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
    #[error("expiresInSeconds must be between {MIN_SECONDS} (5 minutes) and {MAX_SECONDS} (24 hours)")]
    pub struct OutOfRange;
}

#[cfg(test)]
mod tests {
    use super::SessionStatus::*;
    use super::*;

    #[test]
    fn the_happy_path_and_3ds_loop_are_allowed() {
        assert!(Open.can_become(Processing));
        assert!(Processing.can_become(Completed));
        assert!(Processing.can_become(RequiresAction));
        assert!(RequiresAction.can_become(Processing));
        assert!(Processing.can_become(Open), "a failed attempt reopens the session");
        assert!(Processing.can_become(Failed), "the attempt limit fails it");
    }

    #[test]
    fn terminal_states_never_move() {
        for from in SessionStatus::ALL.iter().copied().filter(|s| s.is_terminal()) {
            for &to in SessionStatus::ALL {
                assert!(from.transition(to).is_err(), "{from} -> {to} must be refused");
            }
        }
    }

    #[test]
    fn every_way_out_of_an_attempt_settles_or_releases_its_claim() {
        for &from in SessionStatus::ALL {
            for &to in SessionStatus::ALL.iter().filter(|&&to| from.can_become(to)) {
                let step = from.claim_step(to);
                let holds_before = matches!(from, Processing | RequiresAction);
                let holds_after = matches!(to, Processing | RequiresAction);
                let expected = match (holds_before, holds_after) {
                    (false, true) => ClaimStep::Take,
                    (true, false) if to == Completed => ClaimStep::Settle,
                    (true, false) => ClaimStep::Release,
                    _ => ClaimStep::Keep,
                };
                assert_eq!(step, expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn processing_cannot_expire_or_be_canceled() {
        assert!(Processing.transition(Expired).is_err());
        assert!(Processing.transition(Canceled).is_err());
        assert!(Open.transition(Completed).is_err(), "no payment skips processing");
    }

    #[test]
    fn enums_round_trip_through_their_stored_names() {
        for &s in SessionStatus::ALL {
            assert_eq!(s.as_str().parse::<SessionStatus>().unwrap(), s);
        }
        for &p in SessionPurpose::ALL {
            assert_eq!(p.as_str().parse::<SessionPurpose>().unwrap(), p);
        }
        let methods = [PaymentMethodType::Wallet, PaymentMethodType::Card, PaymentMethodType::Card];
        let stored = PaymentMethodType::join(&methods);
        assert_eq!(stored, "CARD,WALLET");
        assert_eq!(PaymentMethodType::split(&stored).unwrap().len(), 2);
    }

    #[test]
    fn expiry_window_is_five_minutes_to_a_day() {
        assert_eq!(expiry::lifetime(None).unwrap(), Duration::hours(1));
        assert!(expiry::lifetime(Some(299)).is_err());
        assert!(expiry::lifetime(Some(300)).is_ok());
        assert!(expiry::lifetime(Some(86_400)).is_ok());
        assert!(expiry::lifetime(Some(86_401)).is_err());
    }
}
