//! Row of `persisted_approvals`: a merchant's read-write key registered the document of
//! this hash, so it is on that merchant's allow-list.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "persisted_approvals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub merchant_id: Uuid,
    /// Lower-case hex, as `persisted_queries.sha256_hash`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub sha256_hash: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
