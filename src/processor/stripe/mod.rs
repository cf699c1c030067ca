//! The Stripe connector: one merchant's Stripe account behind the [`Processor`] trait.
//!
//! Every step goes by Stripe's own reference, stored on paygraph's row the moment it exists:
//! a charge is a PaymentIntent made unconfirmed, its id stored on the payment, then confirmed
//! by id. A lost answer is settled by reading the intent, never by acting again, so a retry
//! can at worst leave an unconfirmed intent behind, never a second charge. A refund's id is
//! stored on the refund; one whose answer was lost is found by its metadata.

mod after_charge;
pub mod api;
pub mod disputes;
mod objects;
mod references;

use futures_util::future::BoxFuture;
use uuid::Uuid;

use self::after_charge::HoldEnd;
use self::api::{Failure, StripeApi};
use self::objects::{IntentState, Made, PaymentIntent, Refund, decline_of};
pub use self::references::References;
use super::{
    CardDetails, ChargeOutcome, ChargeRequest, Decline, Processor, ProcessorError, RefundOutcome, RefundRequest,
    Verified, WalletCard,
};
use crate::domain::capture::HoldOutcome;
use crate::domain::card::Wallet;
use crate::domain::{Money, PaymentMethodType};

/// The metadata key of paygraph's refund id on a Stripe refund (how a lost answer is found).
const REFUND_TAG: &str = "paygraph_refund";

/// One account's connector.
pub struct StripeConnector {
    api: StripeApi,
    references: References,
}

impl StripeConnector {
    pub fn new(api: StripeApi, references: References) -> StripeConnector {
        StripeConnector { api, references }
    }

    /// Whether Stripe takes this key (a restricted or revoked one answers 401 or 403).
    pub async fn check_key(api: &StripeApi) -> Result<bool, ProcessorError> {
        match api.get::<serde_json::Value>("balance", &[]).await {
            Ok(_) => Ok(true),
            Err(Failure::Refused { status, .. }) if status.as_u16() == 401 || status.as_u16() == 403 => Ok(false),
            Err(failure) => Err(failure.into()),
        }
    }

    async fn intent(&self, reference: &str) -> Result<PaymentIntent, ProcessorError> {
        Ok(self.api.get(&format!("payment_intents/{reference}"), &[("expand[]", "latest_charge")]).await?)
    }

    /// The intent of a charge, made unconfirmed with `token`, its id stored before anything
    /// acts on it.
    async fn intent_of(
        &self,
        payment: Uuid,
        token: &str,
        request: &ChargeRequest<'_>,
    ) -> Result<String, ProcessorError> {
        let token = Token::parse(token);
        let mut form = vec![
            ("amount", request.amount.amount().to_string()),
            ("currency", request.amount.currency().code().to_ascii_lowercase()),
            ("payment_method", token.payment_method.to_owned()),
            ("capture_method", if request.capture { "automatic" } else { "manual" }.to_owned()),
            ("payment_method_types[]", "card".to_owned()),
            ("metadata[paygraph_payment]", payment.to_string()),
        ];
        let tags = request.tags.iter().map(|(name, value)| (*name, value.clone()));
        form.extend(tags.map(|(name, value)| (metadata_key(name), value)));
        if let Some(customer) = token.customer {
            form.push(("customer", customer.to_owned()));
        }
        let made: Made = self.api.post("payment_intents", &form, &format!("{payment}/create")).await?;
        // Of two attempts making one at once, the first id stored is the one confirmed.
        self.references.record_charge(payment, &made.id).await
    }

    /// Attaches a PaymentMethod to a new Stripe Customer, as Stripe requires of a method
    /// charged again: the reusable token (`cus_…/pm_…`), or the issuer's refusal.
    async fn attach_to_new_customer(&self, payment_method: &str) -> Result<Verified, ProcessorError> {
        let idempotency = format!("{payment_method}/save");
        let customer: Made = self.api.post("customers", &[], &format!("{idempotency}/customer")).await?;
        let form = [("customer", customer.id.clone())];
        let path = format!("payment_methods/{payment_method}/attach");
        match self.api.post::<Made>(&path, &form, &format!("{idempotency}/attach")).await {
            Ok(_) => Ok(Verified::Usable(format!("{}/{payment_method}", customer.id))),
            Err(Failure::Refused { status, error }) if status.as_u16() == 402 => {
                Ok(Verified::Declined(decline_of(Some(&error))))
            }
            Err(failure) => Err(failure.into()),
        }
    }

    /// The token a first charge goes with: a card the session saves is attached to a Stripe
    /// Customer first, and the vault row keeps the reusable token the profile will save.
    async fn token_for(
        &self,
        payment: Uuid,
        request: &ChargeRequest<'_>,
    ) -> Result<Result<String, Decline>, ProcessorError> {
        let token = Token::parse(request.processor_token);
        if !request.save_for_later || token.customer.is_some() {
            return Ok(Ok(request.processor_token.to_owned()));
        }
        match self.attach_to_new_customer(token.payment_method).await? {
            Verified::Usable(reusable) => {
                self.references.record_reusable_token(payment, &reusable).await?;
                Ok(Ok(reusable))
            }
            Verified::Declined(decline) => Ok(Err(decline)),
            // Attaching never asks for it: the payment's own confirmation does.
            Verified::RequiresAction => Err(ProcessorError("attaching a card asked for 3-D Secure".into())),
        }
    }

    /// Confirms an unconfirmed intent: the one step that can move money.
    async fn confirm(
        &self,
        payment: Uuid,
        reference: &str,
        request: &ChargeRequest<'_>,
    ) -> Result<ChargeOutcome, ProcessorError> {
        let mut form = Vec::new();
        if request.off_session {
            form.push(("off_session", "true".to_owned()));
        }
        if let Some(url) = request.return_url {
            form.push(("return_url", url.to_owned()));
        }
        let path = format!("payment_intents/{reference}/confirm");
        match self.api.post::<PaymentIntent>(&path, &form, &format!("{payment}/confirm")).await {
            Ok(intent) => settled(&intent),
            // A card error: the confirmation was declined (the intent says so too).
            Err(Failure::Refused { status, error }) if status.as_u16() == 402 => {
                Ok(ChargeOutcome::Declined(decline_of(Some(&error))))
            }
            Err(failure) => Err(failure.into()),
        }
    }
}

/// A token as the connector keeps it: a PaymentMethod, and the Customer it is attached to
/// once saved for later (`cus_…/pm_…`).
struct Token<'a> {
    customer: Option<&'a str>,
    payment_method: &'a str,
}

impl<'a> Token<'a> {
    fn parse(token: &'a str) -> Token<'a> {
        match token.split_once('/') {
            Some((customer, payment_method)) => Token { customer: Some(customer), payment_method },
            None => Token { customer: None, payment_method: token },
        }
    }
}

fn metadata_key(name: &'static str) -> &'static str {
    match name {
        "merchant" => "metadata[paygraph_merchant]",
        "session" => "metadata[paygraph_session]",
        _ => "metadata[paygraph]",
    }
}

/// Digit values (0 to 9) as the text Stripe reads.
fn digits(values: &[u8]) -> String {
    values.iter().map(|d| char::from(b'0' + d)).collect()
}

fn key(text: &str) -> Result<Uuid, ProcessorError> {
    text.parse().map_err(|_| ProcessorError(format!("`{text}` is not a paygraph id")))
}

fn missing(charge_key: &str) -> ProcessorError {
    ProcessorError(format!("payment {charge_key} has no PaymentIntent"))
}

/// An intent's answer for the payment; one still processing is asked again later.
fn settled(intent: &PaymentIntent) -> Result<ChargeOutcome, ProcessorError> {
    match intent.state() {
        IntentState::Settled(outcome) => Ok(outcome),
        IntentState::Processing => Err(ProcessorError(format!("{} is still processing", intent.id))),
        other => Err(ProcessorError(format!("{} answered {other:?} to a confirmation", intent.id))),
    }
}

impl Processor for StripeConnector {
    fn tokenize<'a>(&'a self, card: CardDetails<'a>) -> BoxFuture<'a, Result<String, ProcessorError>> {
        Box::pin(async move {
            let form = [
                ("type", "card".to_owned()),
                ("card[number]", digits(card.number.expose_digits())),
                ("card[exp_month]", card.exp_month.to_string()),
                ("card[exp_year]", card.exp_year.to_string()),
                ("card[cvc]", digits(card.cvc.expose_digits())),
            ];
            let made: Made = self.api.post("payment_methods", &form, &Uuid::new_v4().to_string()).await?;
            Ok(made.id)
        })
    }

    fn tokenize_wallet<'a>(
        &'a self,
        _wallet: Wallet,
        _payment_token: &'a str,
    ) -> BoxFuture<'a, Result<Option<WalletCard>, ProcessorError>> {
        Box::pin(async { Err(ProcessorError("the Stripe connector takes no wallets yet".into())) })
    }

    /// Attaches the PaymentMethod to a new Stripe Customer, as Stripe requires of a method
    /// charged again; a card the issuer refuses is declined here.
    /// Saving attaches the card to a Customer; Stripe asks for 3-D Secure, if at all, when
    /// a later payment is confirmed (a SetupIntent is not used yet), so `authenticated`
    /// changes nothing here.
    fn verify<'a>(
        &'a self,
        processor_token: &'a str,
        _authenticated: bool,
    ) -> BoxFuture<'a, Result<Verified, ProcessorError>> {
        Box::pin(async move {
            let token = Token::parse(processor_token);
            if token.customer.is_some() {
                return Ok(Verified::Usable(processor_token.to_owned()));
            }
            self.attach_to_new_customer(token.payment_method).await
        })
    }

    fn supports(&self, method: PaymentMethodType) -> bool {
        method == PaymentMethodType::Card
    }

    fn charge<'a>(
        &'a self,
        request: ChargeRequest<'a>,
        _authenticated: bool,
    ) -> BoxFuture<'a, Result<ChargeOutcome, ProcessorError>> {
        Box::pin(async move {
            let payment = key(request.idempotency_key)?;
            let reference = match self.references.charge(payment).await? {
                Some(reference) => reference,
                None => match self.token_for(payment, &request).await? {
                    Ok(token) => self.intent_of(payment, &token, &request).await?,
                    // Refused when attached: no intent is made.
                    Err(decline) => return Ok(ChargeOutcome::Declined(decline)),
                },
            };
            let intent = self.intent(&reference).await?;
            match intent.state() {
                IntentState::Unconfirmed => self.confirm(payment, &reference, &request).await,
                // Confirmed before (a retry, or 3-D Secure passed at Stripe): its word stands.
                _ => settled(&intent),
            }
        })
    }

    /// Read from the intent. One never confirmed is canceled first, so it never can be, and
    /// answers that no charge was made.
    fn charge_outcome<'a>(
        &'a self,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<ChargeOutcome>, ProcessorError>> {
        Box::pin(async move {
            let payment = key(idempotency_key)?;
            let Some(reference) = self.references.charge(payment).await? else { return Ok(None) };
            let intent = self.intent(&reference).await?;
            match intent.state() {
                IntentState::Settled(outcome) => Ok(Some(outcome)),
                IntentState::Canceled => Ok(None),
                IntentState::Processing => Err(ProcessorError(format!("{reference} is still processing"))),
                IntentState::Unconfirmed => {
                    let path = format!("payment_intents/{reference}/cancel");
                    let canceled: PaymentIntent = self.api.post(&path, &[], &format!("{payment}/abandon")).await?;
                    match canceled.state() {
                        IntentState::Canceled => Ok(None),
                        _ => settled(&canceled).map(Some),
                    }
                }
            }
        })
    }

    fn refund<'a>(&'a self, request: RefundRequest<'a>) -> BoxFuture<'a, Result<RefundOutcome, ProcessorError>> {
        Box::pin(async move {
            let (refund, payment) = (key(request.idempotency_key)?, key(request.charge_key)?);
            if let Some(found) = self.find_refund(refund, payment).await? {
                return Ok(found.outcome());
            }
            let intent = self.references.charge(payment).await?.ok_or_else(|| missing(request.charge_key))?;
            let form = [
                ("payment_intent", intent),
                ("amount", request.amount.amount().to_string()),
                ("metadata[paygraph_refund]", refund.to_string()),
            ];
            let made: Refund = self.api.post("refunds", &form, &format!("{refund}/refund")).await?;
            self.references.record_refund(refund, &made.id).await?;
            Ok(made.outcome())
        })
    }

    fn refund_outcome<'a>(
        &'a self,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<RefundOutcome>, ProcessorError>> {
        Box::pin(async move {
            let refund = key(idempotency_key)?;
            let Some(payment) = self.references.payment_of_refund(refund).await? else { return Ok(None) };
            Ok(self.find_refund(refund, payment).await?.map(|r| r.outcome()))
        })
    }

    fn capture<'a>(&'a self, charge_key: &'a str, amount: Money) -> BoxFuture<'a, Result<HoldOutcome, ProcessorError>> {
        Box::pin(self.end_hold(charge_key, HoldEnd::Capture(amount)))
    }

    fn void<'a>(&'a self, charge_key: &'a str) -> BoxFuture<'a, Result<HoldOutcome, ProcessorError>> {
        Box::pin(self.end_hold(charge_key, HoldEnd::Void))
    }

    /// `POST /v1/disputes/{id}` with the evidence and `submit=true`.
    fn submit_dispute<'a>(
        &'a self,
        reference: &'a str,
        evidence: &'a crate::domain::dispute::DisputeEvidence,
    ) -> BoxFuture<'a, Result<(), ProcessorError>> {
        Box::pin(async move {
            let names = [
                "customer_name",
                "customer_email_address",
                "product_description",
                "shipping_tracking_number",
                "refund_policy_disclosure",
                "cancellation_policy_disclosure",
                "uncategorized_text",
            ];
            let mut form: Vec<(String, String)> = names
                .iter()
                .zip(evidence.fields())
                .filter_map(|(name, (_, text))| text.clone().map(|text| (format!("evidence[{name}]"), text)))
                .collect();
            form.push(("submit".to_owned(), "true".to_owned()));
            let form: Vec<(&str, String)> = form.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            let _: serde_json::Value =
                self.api.post(&format!("disputes/{reference}"), &form, &format!("{reference}/submit")).await?;
            Ok(())
        })
    }

    /// `POST /v1/disputes/{id}/close`: conceded.
    fn accept_dispute<'a>(&'a self, reference: &'a str) -> BoxFuture<'a, Result<(), ProcessorError>> {
        Box::pin(async move {
            let _: serde_json::Value =
                self.api.post(&format!("disputes/{reference}/close"), &[], &format!("{reference}/close")).await?;
            Ok(())
        })
    }
}
