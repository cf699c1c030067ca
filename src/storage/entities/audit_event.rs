//! Row of `audit_events`: appended, never updated after its request answered.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    /// When it happened (named as every listed table's sort column).
    pub created_at: DateTimeUtc,
    pub actor_kind: String,
    pub actor_key_id: Option<Uuid>,
    pub actor_key_name: Option<String>,
    pub actor_session_id: Option<Uuid>,
    pub action: String,
    /// A JSON array of global ids.
    #[sea_orm(column_type = "Text")]
    pub node_ids: String,
    pub ip: Option<String>,
    pub origin: Option<String>,
    pub outcome: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl TryFrom<Model> for crate::domain::audit::AuditEvent {
    type Error = DbErr;

    fn try_from(row: Model) -> Result<Self, DbErr> {
        use crate::domain::audit::{Actor, AuditEvent};
        use crate::domain::{ApiKeyId, AuditEventId, MerchantId, SessionId};
        let bad = |e: &dyn std::fmt::Display| DbErr::Type(format!("audit event {}: {e}", row.id));
        Ok(AuditEvent {
            id: AuditEventId(row.id),
            merchant: MerchantId(row.merchant_id),
            occurred_at: row.created_at,
            actor: Actor {
                kind: row.actor_kind.parse().map_err(|e| bad(&e))?,
                key: row.actor_key_id.map(ApiKeyId),
                key_name: row.actor_key_name,
                session: row.actor_session_id.map(SessionId),
            },
            action: row.action,
            node_ids: serde_json::from_str(&row.node_ids).map_err(|e| bad(&e))?,
            ip: row.ip,
            origin: row.origin,
            outcome: row.outcome,
        })
    }
}

impl From<&crate::domain::audit::AuditEvent> for Model {
    fn from(e: &crate::domain::audit::AuditEvent) -> Self {
        Model {
            id: e.id.0,
            merchant_id: e.merchant.0,
            created_at: e.occurred_at,
            actor_kind: e.actor.kind.as_str().to_owned(),
            actor_key_id: e.actor.key.map(|k| k.0),
            actor_key_name: e.actor.key_name.clone(),
            actor_session_id: e.actor.session.map(|s| s.0),
            action: e.action.clone(),
            node_ids: serde_json::to_string(&e.node_ids).unwrap_or_else(|_| "[]".to_owned()),
            ip: e.ip.clone(),
            origin: e.origin.clone(),
            outcome: e.outcome.clone(),
        }
    }
}

impl From<crate::domain::audit::AuditEvent> for Model {
    fn from(e: crate::domain::audit::AuditEvent) -> Self {
        Model::from(&e)
    }
}
