//! The Stripe objects paygraph reads, and what each state means in paygraph's terms.

use serde::Deserialize;

use super::api::ApiError;
use crate::domain::capture::HoldOutcome;
use crate::processor::{ChargeOutcome, Decline, DeclineCode, RefundOutcome};

/// A PaymentIntent: one charge, from created to captured or canceled.
#[derive(Debug, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub status: String,
    pub amount: i64,
    /// What was taken; real Stripe gives it, a fake may not.
    pub amount_received: Option<i64>,
    pub last_payment_error: Option<ApiError>,
    /// The customer's next step (3-D Secure), as Stripe gives it.
    pub next_action: Option<serde_json::Value>,
    /// The charge, when expanded (or given whole, as the fake does).
    pub latest_charge: Option<serde_json::Value>,
}

/// Where a PaymentIntent stands.
#[derive(Debug, PartialEq, Eq)]
pub enum IntentState {
    /// Made, not confirmed: no money moved, and none can until it is confirmed.
    Unconfirmed,
    /// An answer for the payment.
    Settled(ChargeOutcome),
    /// Confirmed and not yet decided (an async method): ask again later.
    Processing,
    /// Canceled: whatever it held was released.
    Canceled,
}

impl PaymentIntent {
    pub fn state(&self) -> IntentState {
        match self.status.as_str() {
            "succeeded" => IntentState::Settled(ChargeOutcome::Succeeded),
            "requires_capture" => IntentState::Settled(ChargeOutcome::Authorized),
            "requires_action" => IntentState::Settled(ChargeOutcome::RequiresAction { redirect: self.redirect_url() }),
            "processing" => IntentState::Processing,
            "canceled" => IntentState::Canceled,
            // requires_payment_method after a confirmation: the last attempt was declined.
            "requires_payment_method" if self.last_payment_error.is_some() => {
                IntentState::Settled(ChargeOutcome::Declined(decline_of(self.last_payment_error.as_ref())))
            }
            _ => IntentState::Unconfirmed,
        }
    }

    /// Where Stripe sends the customer for 3-D Secure (given when confirmed with a
    /// `return_url`).
    fn redirect_url(&self) -> Option<String> {
        let url = self.next_action.as_ref()?.pointer("/redirect_to_url/url")?.as_str()?;
        url.starts_with("https://").then(|| url.to_owned())
    }

    /// How its authorization ended, if it has.
    pub fn hold_ending(&self) -> Option<HoldOutcome> {
        match self.status.as_str() {
            "succeeded" => Some(HoldOutcome::Captured(self.captured())),
            "canceled" => Some(HoldOutcome::Voided),
            _ => None,
        }
    }

    /// What was taken. Stripe says `amount_received`; a fake that books a partial capture
    /// as a refund of the rest says it through the charge.
    fn captured(&self) -> i64 {
        if let Some(received) = self.amount_received.filter(|r| *r > 0) {
            return received;
        }
        let charge = self.latest_charge.as_ref();
        let field = |name: &str| charge.and_then(|c| c.get(name)).and_then(serde_json::Value::as_i64);
        match (field("amount"), field("amount_refunded")) {
            (Some(amount), refunded) => amount - refunded.unwrap_or(0),
            (None, _) => self.amount,
        }
    }
}

/// A decline from Stripe's error: its `decline_code` (the issuer's reason) when there is
/// one, else its `code`. A code paygraph has no name for is kept as Stripe gave it.
pub fn decline_of(error: Option<&ApiError>) -> Decline {
    let Some(error) = error else { return DeclineCode::CardDeclined.into() };
    let code = error.decline_code.as_deref().or(error.code.as_deref()).unwrap_or("card_declined");
    match code {
        // Stripe's names that mean one of paygraph's.
        "payment_intent_authentication_failure" => DeclineCode::AuthenticationFailed.into(),
        "generic_decline" | "do_not_honor" => DeclineCode::CardDeclined.into(),
        "invalid_cvc" => DeclineCode::IncorrectCvc.into(),
        "processing_error" | "try_again_later" => DeclineCode::ProcessingError.into(),
        "fraudulent" | "merchant_blacklist" => DeclineCode::Fraudulent.into(),
        code => Decline::from_code(code),
    }
}

/// A Stripe refund.
#[derive(Debug, Deserialize)]
pub struct Refund {
    pub id: String,
    pub status: String,
    pub failure_reason: Option<String>,
    #[serde(default)]
    pub metadata: std::collections::HashMap<String, String>,
}

/// Stripe's documented refund failure reasons; any other is `unknown`.
const REFUND_FAILURES: [&str; 7] = [
    "charge_for_pending_refund_disputed",
    "declined",
    "expired_or_canceled_card",
    "insufficient_funds",
    "lost_or_stolen_card",
    "merchant_request",
    "unknown",
];

impl Refund {
    pub fn outcome(&self) -> RefundOutcome {
        match self.status.as_str() {
            "succeeded" => RefundOutcome::Succeeded,
            "failed" | "canceled" => {
                let reason = self.failure_reason.as_deref().unwrap_or("unknown");
                RefundOutcome::Failed(REFUND_FAILURES.iter().copied().find(|r| *r == reason).unwrap_or("unknown"))
            }
            // pending, requires_action
            _ => RefundOutcome::Pending,
        }
    }
}

/// A page of a list.
#[derive(Debug, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub has_more: bool,
}

/// Just the id of what was made.
#[derive(Debug, Deserialize)]
pub struct Made {
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: &str, decline: Option<&str>) -> ApiError {
        ApiError { code: Some(code.into()), decline_code: decline.map(Into::into), ..ApiError::default() }
    }

    #[test]
    fn declines_map_onto_paygraphs_codes_and_unknown_ones_are_kept() {
        let known = |e| decline_of(Some(&e));
        assert_eq!(known(error("card_declined", Some("insufficient_funds"))), DeclineCode::InsufficientFunds.into());
        assert_eq!(known(error("card_declined", None)), DeclineCode::CardDeclined.into());
        assert_eq!(known(error("expired_card", None)), DeclineCode::ExpiredCard.into());
        assert_eq!(known(error("incorrect_cvc", None)), DeclineCode::IncorrectCvc.into());
        assert_eq!(known(error("card_declined", Some("lost_card"))), DeclineCode::LostCard.into());
        assert_eq!(
            known(error("payment_intent_authentication_failure", None)),
            DeclineCode::AuthenticationFailed.into()
        );
        assert_eq!(
            known(error("card_declined", Some("card_velocity_exceeded"))),
            Decline::Other("card_velocity_exceeded".into())
        );
    }

    #[test]
    fn intent_states_read_as_paygraph_outcomes() {
        let intent = |status: &str, error: Option<ApiError>| PaymentIntent {
            id: "pi_1".into(),
            status: status.into(),
            amount: 1000,
            amount_received: None,
            last_payment_error: error,
            next_action: None,
            latest_charge: None,
        };
        assert_eq!(intent("requires_confirmation", None).state(), IntentState::Unconfirmed);
        assert_eq!(intent("requires_payment_method", None).state(), IntentState::Unconfirmed);
        assert_eq!(intent("succeeded", None).state(), IntentState::Settled(ChargeOutcome::Succeeded));
        assert_eq!(intent("requires_capture", None).state(), IntentState::Settled(ChargeOutcome::Authorized));
        assert_eq!(
            intent("requires_payment_method", Some(error("card_declined", None))).state(),
            IntentState::Settled(ChargeOutcome::Declined(DeclineCode::CardDeclined.into()))
        );
        assert_eq!(intent("succeeded", None).hold_ending(), Some(HoldOutcome::Captured(1000)));
        assert_eq!(intent("canceled", None).hold_ending(), Some(HoldOutcome::Voided));
        assert_eq!(intent("requires_capture", None).hold_ending(), None);
    }
}
