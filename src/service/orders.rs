//! Orders: what a CHECKOUT session pays. Created with their line items; the total is
//! computed, never typed.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use uuid::Uuid;

use super::{Services, validate};
use crate::domain::order::{self, InvalidLineItems, LineItem};
use crate::domain::{Currency, CustomerId, MerchantId, Money, OrderId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::entities::{order as order_row, order_line_item};
use crate::storage::listings::Listing;
pub use crate::storage::listings::OrderFilter;

#[derive(Debug)]
pub struct OrderInput {
    pub customer: Option<CustomerId>,
    pub currency: String,
    pub line_items: Vec<LineItem>,
    pub external_reference: Option<String>,
}

impl Services {
    #[tracing::instrument(skip(self, input))]
    pub async fn create_order(&self, merchant: MerchantId, input: OrderInput) -> AppResult<order_row::Model> {
        let currency = validate::currency(&input.currency, &["input", "currency"])?;
        let total = checked_total(&input.line_items, currency)?;
        let reference = validate::text(input.external_reference, 200, &["input", "externalReference"])?;
        if let Some(customer) = input.customer {
            self.customer(merchant, customer)
                .await?
                .ok_or_else(|| AppError::not_found(&["input", "customerId"], "customer"))?;
        }
        let now = self.now();
        let txn = self.db.begin().await?;
        let order = order_row::ActiveModel {
            id: Set(Uuid::new_v4()),
            merchant_id: Set(merchant.0),
            customer_id: Set(input.customer.map(|c| c.0)),
            currency: Set(currency.code().to_owned()),
            total_amount: Set(total.amount()),
            status: Set(order::OrderStatus::Open.as_str().to_owned()),
            external_reference: Set(reference),
            paying_session_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        let items = input.line_items.into_iter().enumerate().map(|(position, item)| order_line_item::ActiveModel {
            id: Set(Uuid::new_v4()),
            merchant_id: Set(merchant.0),
            order_id: Set(order.id),
            position: Set(position as i32),
            name: Set(item.name.trim().to_owned()),
            quantity: Set(item.quantity),
            unit_amount: Set(item.unit_amount),
        });
        order_line_item::Entity::insert_many(items).exec(&txn).await?;
        txn.commit().await?;
        Ok(order)
    }

    pub async fn order(&self, merchant: MerchantId, id: OrderId) -> AppResult<Option<order_row::Model>> {
        Ok(order_row::Entity::find_by_id(id.0)
            .filter(order_row::Column::MerchantId.eq(merchant.0))
            .one(&self.db)
            .await?)
    }

    pub fn orders_query(&self, merchant: MerchantId, filter: OrderFilter) -> Listing<order_row::Entity> {
        crate::storage::listings::orders(merchant, filter)
    }
}

/// The total of `line_items`, or a user error naming the line (`input.lineItems.N.field`).
pub(super) fn checked_total(line_items: &[LineItem], currency: Currency) -> AppResult<Money> {
    order::total(line_items, currency).map_err(|e| {
        let mut field = vec!["input".to_owned(), "lineItems".to_owned()];
        match &e {
            InvalidLineItems::Name(i) => field.extend([i.to_string(), "name".into()]),
            InvalidLineItems::Quantity(i) => field.extend([i.to_string(), "quantity".into()]),
            InvalidLineItems::UnitAmount(i) => field.extend([i.to_string(), "unitAmount".into()]),
            _ => {}
        }
        AppError::User(vec![crate::error::UserError {
            field,
            message: e.to_string(),
            code: ErrorCode::InvalidLineItems,
        }])
    })
}
