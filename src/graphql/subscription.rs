//! `SubscriptionRoot`: live status over WebSocket. Each event carries its `version` and
//! `cursor`, so a client can always tell a gap from a duplicate and resume where it stopped.
//!
//! The checks and the stream of each field live in [`open_session_events`] and
//! [`open_merchant_events`], so the WebSocket layer's shared execution (`live_exec`) opens
//! exactly what these resolvers would.

use std::sync::Arc;

use async_graphql::{Context, ID, Subscription};
use futures_util::{Stream, StreamExt};

use super::context::{ConnectionState, ContextExt};
use super::errors::{GqlResult, gql};
use super::objects::PaymentSessionEvent;
use super::query::parse_id;
use crate::bus::SessionEvent;
use crate::domain::{CustomerId, SessionId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::Services;
use crate::service::auth::Caller;
use crate::service::live::parse_event_cursor;

#[derive(Default)]
pub struct SubscriptionRoot;

type Events = std::pin::Pin<Box<dyn Stream<Item = async_graphql::Result<PaymentSessionEvent>> + Send>>;

/// A subscription's events as the services produce them; it holds the connection's slot.
pub type EventStream = std::pin::Pin<Box<dyn Stream<Item = AppResult<SessionEvent>> + Send>>;

/// Who opens a live stream, and on which connection.
pub struct Opener<'a> {
    pub services: &'a Services,
    pub caller: async_graphql::Result<Caller>,
    pub connection: Option<&'a Arc<ConnectionState>>,
}

impl<'a> Opener<'a> {
    fn of(ctx: &'a Context<'_>) -> Self {
        Opener { services: ctx.services(), caller: ctx.caller(), connection: ctx.data_opt::<Arc<ConnectionState>>() }
    }
}

/// `paymentSessionUpdated(id, afterVersion)`: the checks, then the session's stream.
pub async fn open_session_events(
    opener: Opener<'_>,
    id: &ID,
    after_version: Option<i32>,
) -> async_graphql::Result<EventStream> {
    let caller = opener.caller?;
    let id: SessionId = parse_id(id, &["id"])?;
    if !caller.may_see_session(id) {
        return Err(gql(AppError::not_found(&["id"], "payment session")));
    }
    if after_version.is_some_and(|v| v < 0) {
        return Err(gql(AppError::user(&["afterVersion"], ErrorCode::Invalid, "afterVersion must be 0 or more")));
    }
    let slot = ConnectionState::take_slot(opener.connection)?;
    let events = opener.services.live.session_stream(caller.merchant(), id, after_version).await.gql()?;
    Ok(Box::pin(events.map(move |event| {
        let _held = &slot;
        event
    })))
}

/// `paymentSessionEvents(customerId, after)`: the checks, then the merchant's stream.
pub async fn open_merchant_events(
    opener: Opener<'_>,
    customer_id: Option<&ID>,
    after: Option<&str>,
) -> async_graphql::Result<EventStream> {
    let merchant = opener.caller?.secret_key_holder().map_err(gql)?;
    let customer = customer_id.map(|c| parse_id::<CustomerId>(c, &["customerId"])).transpose()?;
    let after = after.map(|c| parse_event_cursor(c, "after")).transpose().gql()?;
    if let Some(customer) = customer {
        opener
            .services
            .customers
            .get(merchant, customer)
            .await
            .gql()?
            .ok_or_else(|| gql(AppError::not_found(&["customerId"], "customer")))?;
    }
    let slot = ConnectionState::take_slot(opener.connection)?;
    let events = opener.services.live.merchant_stream(merchant, customer, after).await.gql()?;
    Ok(Box::pin(events.map(move |event| {
        let _held = &slot;
        event
    })))
}

fn resolved(events: EventStream) -> Events {
    Box::pin(events.map(|event| event.map(PaymentSessionEvent).map_err(gql)))
}

#[Subscription]
impl SubscriptionRoot {
    /// One session: first its current state (or, with `afterVersion`, every event after that
    /// version from the log), then each change as it commits. Completes after EXPIRED, CANCELED or FAILED;
    /// after COMPLETED it goes on, as refunds of the payment may follow.
    async fn payment_session_updated(
        &self,
        ctx: &Context<'_>,
        id: ID,
        after_version: Option<i32>,
    ) -> async_graphql::Result<Events> {
        Ok(resolved(open_session_events(Opener::of(ctx), &id, after_version).await?))
    }

    /// Every session event of the merchant, or of one customer, in commit order. With
    /// `after` (an event's `cursor`), the events after it are replayed from the log first.
    async fn payment_session_events(
        &self,
        ctx: &Context<'_>,
        customer_id: Option<ID>,
        after: Option<String>,
    ) -> async_graphql::Result<Events> {
        Ok(resolved(open_merchant_events(Opener::of(ctx), customer_id.as_ref(), after.as_deref()).await?))
    }
}
