//! Orders, written with their line items.

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::domain::order::{LineItem, Order};

use super::entities::{order, order_line_item};

/// Inserts `order` with its `items`, in one transaction.
pub async fn create(db: &DatabaseConnection, order: Order, items: Vec<order_line_item::Model>) -> Result<Order, DbErr> {
    let txn = super::begin_write(db).await?;
    let order = order::ActiveModel::from(order::Model::from(order)).insert(&txn).await?;
    order_line_item::Entity::insert_many(items.into_iter().map(order_line_item::ActiveModel::from)).exec(&txn).await?;
    super::audit::commit(txn).await?;
    Order::try_from(order)
}

/// An order's lines, in the order they were given.
pub async fn line_items(db: &DatabaseConnection, order: Uuid) -> Result<Vec<LineItem>, DbErr> {
    let rows = order_line_item::Entity::find()
        .filter(order_line_item::Column::OrderId.eq(order))
        .order_by_asc(order_line_item::Column::Position)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(LineItem::from).collect())
}
