//! Row of `merchants`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "merchants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub logo_url: Option<String>,
    pub accent_color: Option<String>,
    /// A JSON array of origins.
    pub allowed_origins: String,
    /// The last sequence number given to one of this merchant's events.
    pub event_seq: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A stored merchant as the domain sees it (its event counter is storage's own).
impl From<Model> for crate::domain::merchant::Merchant {
    fn from(row: Model) -> Self {
        crate::domain::merchant::Merchant {
            id: crate::domain::MerchantId(row.id),
            name: row.name,
            logo_url: row.logo_url,
            accent_color: row.accent_color,
            // Written only by `row_of`, from a list.
            allowed_origins: serde_json::from_str(&row.allowed_origins).unwrap_or_default(),
            created_at: row.created_at,
        }
    }
}

/// The row of a domain merchant, with `event_seq` its events have reached.
pub fn row_of(m: crate::domain::merchant::Merchant, event_seq: i64) -> Model {
    Model {
        id: m.id.0,
        name: m.name,
        logo_url: m.logo_url,
        accent_color: m.accent_color,
        allowed_origins: serde_json::Value::from(m.allowed_origins).to_string(),
        event_seq,
        created_at: m.created_at,
    }
}
