//! Orders, written with their line items.

use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::domain::order::{LineItem, Order};

use super::entities::{order, order_line_item};

/// Inserts `order` with its `items` (kept in the order given), in one transaction.
pub async fn create(db: &DatabaseConnection, order: Order, items: Vec<LineItem>) -> Result<Order, DbErr> {
    let (merchant_id, order_id) = (order.merchant.0, order.id.0);
    let rows = items.into_iter().enumerate().map(|(position, item)| {
        order_line_item::ActiveModel::from(order_line_item::Model {
            id: Uuid::new_v4(),
            merchant_id,
            order_id,
            position: i32::try_from(position).unwrap_or(i32::MAX),
            name: item.name,
            quantity: item.quantity,
            unit_amount: item.unit_amount,
        })
    });
    let txn = super::begin_write(db).await?;
    let order = order::ActiveModel::from(order::Model::from(order)).insert(&txn).await?;
    order_line_item::Entity::insert_many(rows).exec(&txn).await?;
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
