//! The steps after a charge, each by Stripe's reference stored on paygraph's row: ending an
//! authorization (capture or void), and finding a refund again when its answer was lost.

use uuid::Uuid;

use super::objects::{List, PaymentIntent, Refund};
use super::{REFUND_TAG, StripeConnector, key, missing};
use crate::domain::Money;
use crate::domain::capture::HoldOutcome;
use crate::processor::ProcessorError;

/// How an authorization is to end.
pub(super) enum HoldEnd {
    Capture(Money),
    Void,
}

impl StripeConnector {
    /// The refund paygraph made as `refund`, found by its stored id or its metadata.
    pub(super) async fn find_refund(&self, refund: Uuid, payment: Uuid) -> Result<Option<Refund>, ProcessorError> {
        if let Some(reference) = self.references.refund(refund).await? {
            return Ok(Some(self.api.get(&format!("refunds/{reference}"), &[]).await?));
        }
        let Some(intent) = self.references.charge(payment).await? else { return Ok(None) };
        let key = refund.to_string();
        let mut after: Option<String> = None;
        loop {
            let mut query = vec![("payment_intent", intent.as_str()), ("limit", "100")];
            if let Some(last) = &after {
                query.push(("starting_after", last));
            }
            let page: List<Refund> = self.api.get("refunds", &query).await?;
            let has_more = page.has_more;
            after = page.data.last().map(|r| r.id.clone());
            if let Some(found) = page.data.into_iter().find(|r| r.metadata.get(REFUND_TAG) == Some(&key)) {
                self.references.record_refund(refund, &found.id).await?;
                return Ok(Some(found));
            }
            if !has_more || after.is_none() {
                return Ok(None);
            }
        }
    }

    /// Ends an authorization as `end` does, or says how it already ended.
    pub(super) async fn end_hold(&self, charge_key: &str, end: HoldEnd) -> Result<HoldOutcome, ProcessorError> {
        let payment = key(charge_key)?;
        let reference = self.references.charge(payment).await?.ok_or_else(|| missing(charge_key))?;
        let intent = self.intent(&reference).await?;
        if let Some(ended) = intent.hold_ending() {
            return Ok(ended);
        }
        let ended: PaymentIntent = match end {
            HoldEnd::Capture(amount) => {
                let form = [("amount_to_capture", amount.amount().to_string())];
                let path = format!("payment_intents/{reference}/capture");
                self.api.post(&path, &form, &format!("{payment}/capture")).await?
            }
            HoldEnd::Void => {
                let path = format!("payment_intents/{reference}/cancel");
                self.api.post(&path, &[], &format!("{payment}/void")).await?
            }
        };
        // Read back, so the amount taken is Stripe's word.
        let ended = if ended.hold_ending().is_some() { self.intent(&reference).await? } else { ended };
        ended.hold_ending().ok_or_else(|| ProcessorError(format!("the hold of {reference} did not end")))
    }
}
