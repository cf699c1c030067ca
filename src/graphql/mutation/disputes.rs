//! Answering a dispute: drafting evidence, submitting it, or conceding.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{UserError, input_id, outcome};
use crate::domain::DisputeId;
use crate::domain::dispute::DisputeEvidence;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::gql;
use crate::graphql::objects::Dispute;

#[derive(Default)]
pub struct DisputeMutations;

/// Evidence fields to change: a field left out keeps its draft, an empty text clears it.
#[derive(InputObject, Default)]
pub struct DisputeEvidenceInput {
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub product_description: Option<String>,
    pub shipping_tracking_number: Option<String>,
    pub refund_policy: Option<String>,
    pub cancellation_policy: Option<String>,
    /// Anything else the bank should read.
    pub explanation: Option<String>,
}

impl From<DisputeEvidenceInput> for DisputeEvidence {
    fn from(input: DisputeEvidenceInput) -> Self {
        DisputeEvidence {
            customer_name: input.customer_name,
            customer_email: input.customer_email,
            product_description: input.product_description,
            shipping_tracking_number: input.shipping_tracking_number,
            refund_policy: input.refund_policy,
            cancellation_policy: input.cancellation_policy,
            explanation: input.explanation,
        }
    }
}

#[derive(InputObject)]
pub struct UpdateDisputeEvidenceInput {
    pub dispute_id: ID,
    pub evidence: DisputeEvidenceInput,
}

#[derive(InputObject)]
pub struct DisputeActionInput {
    pub dispute_id: ID,
}

#[derive(SimpleObject)]
pub struct DisputePayload {
    pub dispute: Option<Dispute>,
    pub user_errors: Vec<UserError>,
}

#[Object]
impl DisputeMutations {
    /// Keeps evidence as the dispute's draft; nothing is sent yet. Refused with
    /// `DISPUTE_NOT_EDITABLE` once submitted, closed or past `evidenceDueBy`.
    async fn update_dispute_evidence(
        &self,
        ctx: &Context<'_>,
        input: UpdateDisputeEvidenceInput,
    ) -> async_graphql::Result<DisputePayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let id: DisputeId = input_id(&input.dispute_id, "disputeId")?;
            ctx.services().disputes.update_evidence(merchant, id, input.evidence.into()).await
        }
        .await;
        payload(result)
    }

    /// Sends the draft evidence to the processor for the bank's decision: UNDER_REVIEW.
    async fn submit_dispute_evidence(
        &self,
        ctx: &Context<'_>,
        input: DisputeActionInput,
    ) -> async_graphql::Result<DisputePayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let id: DisputeId = input_id(&input.dispute_id, "disputeId")?;
            ctx.services().disputes.submit(merchant, id).await
        }
        .await;
        payload(result)
    }

    /// Concedes: the customer keeps the money, and the dispute closes LOST.
    async fn accept_dispute(
        &self,
        ctx: &Context<'_>,
        input: DisputeActionInput,
    ) -> async_graphql::Result<DisputePayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let id: DisputeId = input_id(&input.dispute_id, "disputeId")?;
            ctx.services().disputes.accept(merchant, id).await
        }
        .await;
        payload(result)
    }
}

fn payload(result: crate::error::AppResult<crate::domain::dispute::Dispute>) -> async_graphql::Result<DisputePayload> {
    let (dispute, user_errors) = outcome(result)?;
    Ok(DisputePayload { dispute: dispute.map(Dispute), user_errors })
}
