//! What the hosted payment page shows: a session found by its client secret, with its
//! merchant's branding and, for an order, the order's lines.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::Services;
use super::auth::CLIENT_SECRET_PREFIX;
use crate::domain::MerchantId;
use crate::domain::order::LineItem;
use crate::error::AppResult;
use crate::storage::entities::{merchant, order_line_item, payment_session};

/// One session as its hosted page presents it.
pub struct HostedView {
    pub session: payment_session::Model,
    pub merchant: merchant::Model,
    /// The order's lines (CHECKOUT), else empty.
    pub items: Vec<LineItem>,
}

impl Services {
    /// The session whose client secret this is, or `None` (an unknown secret is a 404).
    pub async fn hosted_view(&self, client_secret: &str) -> AppResult<Option<HostedView>> {
        if !client_secret.starts_with(CLIENT_SECRET_PREFIX) {
            return Ok(None);
        }
        let Some(session) = payment_session::Entity::find()
            .filter(payment_session::Column::ClientSecret.eq(client_secret))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let merchant = self.merchant(MerchantId(session.merchant_id)).await?;
        let items = match session.order_id {
            Some(order) => order_line_item::Entity::find()
                .filter(order_line_item::Column::OrderId.eq(order))
                .order_by_asc(order_line_item::Column::Position)
                .all(&self.db)
                .await?
                .into_iter()
                .map(|row| LineItem { name: row.name, quantity: row.quantity, unit_amount: row.unit_amount })
                .collect(),
            None => Vec::new(),
        };
        Ok(Some(HostedView { session, merchant, items }))
    }
}
