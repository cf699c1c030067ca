//! Row of `order_line_items`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_line_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub order_id: Uuid,
    pub position: i32,
    pub name: String,
    pub quantity: i32,
    pub unit_amount: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The domain's view of a stored line.
impl From<Model> for crate::domain::order::LineItem {
    fn from(row: Model) -> Self {
        crate::domain::order::LineItem { name: row.name, quantity: row.quantity, unit_amount: row.unit_amount }
    }
}
