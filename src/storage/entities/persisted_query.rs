//! Row of `persisted_queries`: a document registered for good, by its SHA-256.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "persisted_queries")]
pub struct Model {
    /// Lower-case hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256_hash: String,
    pub document: String,
    /// The merchant whose key registered it first.
    pub merchant_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
