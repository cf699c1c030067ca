use async_graphql::{Context, Object};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

use super::{PaymentSession, load_by_id};
use crate::domain::{self, SessionId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::{self, PaymentSessionStatus};
use crate::storage::entities::{payment_session, session_event};

/// One status change of a session, from its event log.
pub struct PaymentSessionEvent(pub session_event::Model);

/// An event's cursor: opaque, and the resume point of event streams.
pub fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("ev|{id}"))
}

pub fn decode_cursor(text: &str) -> AppResult<i64> {
    let invalid = || AppError::user(&["after"], ErrorCode::InvalidCursor, "`after` is not an event cursor");
    let raw = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
    let raw = String::from_utf8(raw).map_err(|_| invalid())?;
    raw.strip_prefix("ev|").and_then(|id| id.parse().ok()).ok_or_else(invalid)
}

#[Object]
impl PaymentSessionEvent {
    async fn cursor(&self) -> String {
        encode_cursor(self.0.id)
    }
    /// The session's version after this change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// None for the session's creation.
    async fn previous_status(&self) -> async_graphql::Result<Option<PaymentSessionStatus>> {
        match &self.0.previous_status {
            Some(s) => Ok(Some(enums::stored::<domain::SessionStatus>(s)?.into())),
            None => Ok(None),
        }
    }
    async fn status(&self) -> async_graphql::Result<PaymentSessionStatus> {
        Ok(enums::stored::<domain::SessionStatus>(&self.0.status)?.into())
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// The session as it is now.
    async fn payment_session(&self, ctx: &Context<'_>) -> async_graphql::Result<PaymentSession> {
        let caller = ctx.caller()?;
        let session = load_by_id::<payment_session::Entity>(ctx, Some(self.0.payment_session_id))
            .await?
            .filter(|s| caller.may_see_session(SessionId(s.id)));
        session
            .map(PaymentSession)
            .ok_or_else(|| crate::graphql::errors::internal(&anyhow::anyhow!("event without its session")))
    }
}
