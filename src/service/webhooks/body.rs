//! The JSON a delivery carries: the event, with the session's state as it was at that
//! event. Only a session's status and version change after it is created (and the counters
//! and links the body leaves out), and the event holds both, so the body of an event is the
//! same whenever it is sent: a retry or a resend carries the same bytes but for the
//! signature's time. Never card data: a session holds none.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::event_ids::EventIds;
use crate::domain::session::PaymentSession;
use crate::domain::{DisputeId, PaymentId, RefundId, SessionEvent, TypedId};
use crate::service::live::event_cursor;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventBody {
    /// `evt_…`: the same on every delivery of this event (drop a duplicate by it).
    pub id: String,
    pub kind: &'static str,
    /// The session's global id.
    pub payment_session_id: String,
    pub version: i32,
    /// The cursor of `paymentSessionEvents` and `replayWebhookEndpoint` at this event.
    pub cursor: String,
    pub occurred_at: DateTime<Utc>,
    pub previous_status: Option<&'static str>,
    pub status: &'static str,
    pub payment_id: Option<String>,
    pub refund_id: Option<String>,
    pub dispute_id: Option<String>,
    /// The saved method a PAYMENT_METHOD_* event is about.
    pub payment_profile_id: Option<String>,
    pub payment_session: SessionState,
}

/// The session at the event.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionState {
    pub id: String,
    pub purpose: &'static str,
    pub status: &'static str,
    pub version: i32,
    pub amount: Option<Amount>,
    pub capture_method: &'static str,
    pub customer_id: Option<String>,
    pub order_id: Option<String>,
    pub subscription_id: Option<String>,
    pub payment_link_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize)]
pub struct Amount {
    /// Minor units.
    pub amount: i64,
    pub currency: &'static str,
}

/// The body of `event` of `session`.
pub fn body(event: &SessionEvent, session: &PaymentSession, ids: &EventIds) -> EventBody {
    let global = session.id.to_global();
    EventBody {
        id: ids.id(event.id),
        kind: event.kind.as_str(),
        payment_session_id: global.clone(),
        version: event.version,
        cursor: event_cursor(event.seq),
        occurred_at: event.occurred_at,
        previous_status: event.previous_status.map(|s| s.as_str()),
        status: event.status.as_str(),
        payment_id: event.payment_id.map(|id| PaymentId(id).to_global()),
        refund_id: event.refund_id.map(|id| RefundId(id).to_global()),
        dispute_id: event.dispute_id.map(|id| DisputeId(id).to_global()),
        payment_profile_id: event.payment_profile().map(|id| id.to_global()),
        payment_session: SessionState {
            id: global,
            purpose: session.purpose.as_str(),
            status: event.status.as_str(),
            version: event.version,
            amount: session.amount.map(|m| Amount { amount: m.amount(), currency: m.currency().code() }),
            capture_method: session.capture_method.as_str(),
            customer_id: session.customer.map(|id| id.to_global()),
            order_id: session.order.map(|id| id.to_global()),
            subscription_id: session.subscription.map(|id| id.to_global()),
            payment_link_id: session.payment_link.map(|id| id.to_global()),
            metadata: session.metadata.clone(),
            expires_at: session.expires_at,
            created_at: session.created_at,
        },
    }
}
