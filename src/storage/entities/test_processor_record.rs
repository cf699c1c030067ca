//! Row of `test_processor_records`: one charge, hold or refund of the test processor.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "test_processor_records")]
pub struct Model {
    /// `charge`, `hold` or `refund`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// The idempotency key (or charge key) it is known by.
    #[sea_orm(primary_key, auto_increment = false)]
    pub record_key: String,
    pub value: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
