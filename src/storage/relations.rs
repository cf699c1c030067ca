//! Batched reads of small, bounded relations, for the GraphQL DataLoaders: every line of
//! an order, every event of a session, a customer's balances, a link's completed sessions.
//! One statement per relation, however many parents a page holds.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::batch::{BatchLoader, LoadError};
use super::entities::*;

/// Key: every line item of an order, in position order.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LineItemsOf(pub Uuid);

impl Loader<LineItemsOf> for BatchLoader {
    type Value = Arc<Vec<crate::domain::order::LineItem>>;
    type Error = LoadError;

    async fn load(&self, keys: &[LineItemsOf]) -> Result<HashMap<LineItemsOf, Self::Value>, LoadError> {
        let rows = order_line_item::Entity::find()
            .filter(order_line_item::Column::MerchantId.eq(self.merchant))
            .filter(order_line_item::Column::OrderId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(order_line_item::Column::Position)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        let mut grouped: HashMap<LineItemsOf, Vec<_>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            grouped.entry(LineItemsOf(row.order_id)).or_default().push(crate::domain::order::LineItem::from(row));
        }
        Ok(grouped.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

/// Key: every event of a session, in version order. A session has a handful.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventsOf(pub Uuid);

impl Loader<EventsOf> for BatchLoader {
    type Value = Arc<Vec<crate::domain::SessionEvent>>;
    type Error = LoadError;

    async fn load(&self, keys: &[EventsOf]) -> Result<HashMap<EventsOf, Self::Value>, LoadError> {
        let rows = session_event::Entity::find()
            .filter(session_event::Column::MerchantId.eq(self.merchant))
            .filter(session_event::Column::PaymentSessionId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(session_event::Column::Version)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        let mut grouped: HashMap<EventsOf, Vec<_>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            let session = row.payment_session_id;
            grouped.entry(EventsOf(session)).or_default().push(super::events::event_from_row(row).map_err(Arc::new)?);
        }
        Ok(grouped.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

/// Key: a customer's balances, one per currency they have entries in.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BalancesOf(pub Uuid);

impl Loader<BalancesOf> for BatchLoader {
    type Value = Arc<Vec<super::totals::BalanceTotal>>;
    type Error = LoadError;

    async fn load(&self, keys: &[BalancesOf]) -> Result<HashMap<BalancesOf, Self::Value>, LoadError> {
        let totals =
            super::totals::balances(&self.db, self.merchant, keys.iter().map(|k| k.0)).await.map_err(Arc::new)?;
        let mut grouped: HashMap<BalancesOf, Vec<_>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for total in totals {
            grouped.entry(BalancesOf(total.customer_id)).or_default().push(total);
        }
        Ok(grouped.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

/// Key: how many sessions of a payment link have completed.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CompletedOf(pub Uuid);

impl Loader<CompletedOf> for BatchLoader {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[CompletedOf]) -> Result<HashMap<CompletedOf, u64>, LoadError> {
        // Links are loaded through the merchant's own reads, so their ids are the merchant's.
        let counts = super::totals::completed_per_link(&self.db, keys.iter().map(|k| k.0)).await.map_err(Arc::new)?;
        let mut out: HashMap<CompletedOf, u64> = keys.iter().map(|k| (*k, 0)).collect();
        out.extend(counts.into_iter().map(|(link, n)| (CompletedOf(link), n)));
        Ok(out)
    }
}
