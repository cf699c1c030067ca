//! Orders: what a CHECKOUT session pays. Created with their line items; the total is
//! computed, never typed.

use super::{Core, validate};
use crate::domain::order::{self, InvalidLineItems, LineItem};
use crate::domain::{Currency, CustomerId, MerchantId, Money, OrderId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage;
use crate::storage::kinds;
use crate::storage::listings::Listing;
pub use crate::storage::listings::OrderFilter;

#[derive(Debug)]
pub struct OrderInput {
    pub customer: Option<CustomerId>,
    pub currency: String,
    pub line_items: Vec<LineItem>,
    pub external_reference: Option<String>,
}

/// Orders: what a CHECKOUT session pays.
#[derive(Clone)]
pub struct Orders {
    core: Core,
    customers: super::customers::Customers,
}

impl Orders {
    pub fn new(core: Core, customers: super::customers::Customers) -> Self {
        Orders { core, customers }
    }
}

impl Orders {
    #[tracing::instrument(skip(self, input))]
    pub async fn create(&self, merchant: MerchantId, input: OrderInput) -> AppResult<order::Order> {
        let currency = validate::currency(&input.currency, &["input", "currency"])?;
        let total = checked_total(&input.line_items, currency)?;
        let reference = validate::text(input.external_reference, 200, &["input", "externalReference"])?;
        if let Some(customer) = input.customer {
            self.customers
                .get(merchant, customer)
                .await?
                .ok_or_else(|| AppError::not_found(&["input", "customerId"], "customer"))?;
        }
        let now = self.core.now();
        let order = order::Order {
            id: OrderId::new(),
            merchant,
            customer: input.customer,
            total,
            status: order::OrderStatus::Open,
            external_reference: reference,
            paying_session: None,
            created_at: now,
            updated_at: now,
        };
        let items = input.line_items.into_iter().map(|item| order::LineItem {
            name: item.name.trim().to_owned(),
            quantity: item.quantity,
            unit_amount: item.unit_amount,
        });
        Ok(storage::orders::create(&self.core.db, order, items.collect()).await?)
    }

    pub async fn get(&self, merchant: MerchantId, id: OrderId) -> AppResult<Option<order::Order>> {
        Ok(storage::records::find::<kinds::Orders>(&self.core.db, merchant, id.0).await?)
    }

    pub fn listing(&self, merchant: MerchantId, filter: OrderFilter) -> Listing<kinds::Orders> {
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
