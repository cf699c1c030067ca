//! `SubscriptionRoot`: live status over WebSocket. Each event carries its `version` and
//! `cursor`, so a client can always tell a gap from a duplicate and resume where it stopped.

use async_graphql::{Context, ID, Subscription};
use futures_util::{Stream, StreamExt};

use super::context::{ConnectionState, ContextExt};
use super::errors::{GqlResult, gql};
use super::objects::PaymentSessionEvent;
use super::query::parse_id;
use crate::domain::{CustomerId, SessionId};
use crate::error::{AppError, ErrorCode};
use crate::service::live::parse_event_cursor;

#[derive(Default)]
pub struct SubscriptionRoot;

type Events = std::pin::Pin<Box<dyn Stream<Item = async_graphql::Result<PaymentSessionEvent>> + Send>>;

#[Subscription]
impl SubscriptionRoot {
    /// One session: first its current state (or, with `afterVersion`, every event after that
    /// version from the log), then each change as it commits. Completes after a terminal status.
    async fn payment_session_updated(
        &self,
        ctx: &Context<'_>,
        id: ID,
        after_version: Option<i32>,
    ) -> async_graphql::Result<Events> {
        let caller = ctx.caller()?;
        let id: SessionId = parse_id(&id, &["id"])?;
        if !caller.may_see_session(id) {
            return Err(gql(AppError::not_found(&["id"], "payment session")));
        }
        if after_version.is_some_and(|v| v < 0) {
            return Err(gql(AppError::user(&["afterVersion"], ErrorCode::Invalid, "afterVersion must be 0 or more")));
        }
        let slot = ConnectionState::acquire(ctx)?;
        let events = ctx.services().session_stream(caller.merchant(), id, after_version).await.gql()?;
        Ok(Box::pin(events.map(move |event| {
            let _held = &slot;
            event.map(PaymentSessionEvent).map_err(gql)
        })))
    }

    /// Every session event of the merchant, or of one customer, in commit order. With
    /// `after` (an event's `cursor`), the events after it are replayed from the log first.
    async fn payment_session_events(
        &self,
        ctx: &Context<'_>,
        customer_id: Option<ID>,
        after: Option<String>,
    ) -> async_graphql::Result<Events> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let customer = customer_id.map(|c| parse_id::<CustomerId>(&c, &["customerId"])).transpose()?;
        let after = after.map(|c| parse_event_cursor(&c, "after")).transpose().gql()?;
        if let Some(customer) = customer {
            ctx.services()
                .customer(merchant, customer)
                .await
                .gql()?
                .ok_or_else(|| gql(AppError::not_found(&["customerId"], "customer")))?;
        }
        let slot = ConnectionState::acquire(ctx)?;
        let events = ctx.services().merchant_stream(merchant, customer, after).await.gql()?;
        Ok(Box::pin(events.map(move |event| {
            let _held = &slot;
            event.map(PaymentSessionEvent).map_err(gql)
        })))
    }
}
