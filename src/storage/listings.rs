//! What a root connection pages through, one listing per kind of object, always scoped to
//! one merchant. A [`Listing`] is opaque above storage: it is paged and counted here.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Select};

use super::batch::Tenanted;
use super::entities::{
    audit_event, blocklist_entry, customer, dispute, order, payment, payment_link, payment_profile, payment_session,
    subscription, webhook_endpoint,
};
use super::kinds::{self, Kind};
use super::page::{self, Page, PageRequest, SortField};
use crate::domain::dispute::DisputeStatus;
use crate::domain::fraud::BlocklistKind;
use crate::domain::order::OrderStatus;
use crate::domain::subscription::SubscriptionStatus;
use crate::domain::{
    CustomerId, LinkId, MerchantId, OrderId, PaymentStatus, SessionId, SessionPurpose, SessionStatus, SubscriptionId,
};
use crate::error::AppResult;

/// The objects of one kind a connection shows, before paging.
pub struct Listing<K: Kind>(Select<K::Table>);

impl<K: Kind> Clone for Listing<K> {
    fn clone(&self) -> Self {
        Listing(self.0.clone())
    }
}

impl<K: Kind> Listing<K> {
    /// One keyset page, ordered by `field` (then id).
    pub async fn page(
        self,
        db: &sea_orm::DatabaseConnection,
        field: SortField,
        req: &PageRequest,
    ) -> AppResult<Page<K::Object>> {
        type E<K> = <K as Kind>::Table;
        let page = page::fetch(db, self.0, E::<K>::sort_column(field), E::<K>::id_column(), req, |m| {
            E::<K>::sort_key(m, field)
        })
        .await?;
        let rows = page
            .rows
            .into_iter()
            .map(|(cursor, row)| Ok((cursor, E::<K>::object(row)?)))
            .collect::<Result<_, sea_orm::DbErr>>()?;
        Ok(Page { rows, has_previous_page: page.has_previous_page, has_next_page: page.has_next_page })
    }

    /// How many rows it has in all.
    pub async fn count(self, db: &sea_orm::DatabaseConnection) -> AppResult<u64> {
        page::count(db, self.0).await
    }
}

/// Which sessions a listing shows.
#[derive(Debug, Default)]
pub struct SessionFilter {
    pub statuses: Vec<SessionStatus>,
    pub purposes: Vec<SessionPurpose>,
    pub customer: Option<CustomerId>,
    pub order: Option<OrderId>,
    pub subscription: Option<SubscriptionId>,
    pub payment_link: Option<LinkId>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

pub fn sessions(merchant: MerchantId, filter: SessionFilter) -> Listing<kinds::Sessions> {
    use payment_session::Column as C;
    let mut select = payment_session::Entity::find().filter(C::MerchantId.eq(merchant.0));
    if !filter.statuses.is_empty() {
        select = select.filter(C::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if !filter.purposes.is_empty() {
        select = select.filter(C::Purpose.is_in(filter.purposes.iter().map(|p| p.as_str())));
    }
    if let Some(c) = filter.customer {
        select = select.filter(C::CustomerId.eq(c.0));
    }
    if let Some(o) = filter.order {
        select = select.filter(C::OrderId.eq(o.0));
    }
    if let Some(s) = filter.subscription {
        select = select.filter(C::SubscriptionId.eq(s.0));
    }
    if let Some(l) = filter.payment_link {
        select = select.filter(C::PaymentLinkId.eq(l.0));
    }
    if let Some(after) = filter.created_after {
        select = select.filter(C::CreatedAt.gte(after));
    }
    if let Some(before) = filter.created_before {
        select = select.filter(C::CreatedAt.lt(before));
    }
    Listing(select)
}

/// Which customers a listing shows.
#[derive(Debug, Default)]
pub struct CustomerFilter {
    pub email: Option<String>,
}

pub fn customers(merchant: MerchantId, filter: CustomerFilter) -> Listing<kinds::Customers> {
    let mut select = customer::Entity::find().filter(customer::Column::MerchantId.eq(merchant.0));
    if let Some(email) = filter.email {
        select = select.filter(customer::Column::Email.eq(email));
    }
    Listing(select)
}

#[derive(Debug, Default)]
pub struct OrderFilter {
    pub customer: Option<CustomerId>,
    pub status: Option<OrderStatus>,
}

pub fn orders(merchant: MerchantId, filter: OrderFilter) -> Listing<kinds::Orders> {
    let mut select = order::Entity::find().filter(order::Column::MerchantId.eq(merchant.0));
    if let Some(customer) = filter.customer {
        select = select.filter(order::Column::CustomerId.eq(customer.0));
    }
    if let Some(status) = filter.status {
        select = select.filter(order::Column::Status.eq(status.as_str()));
    }
    Listing(select)
}

#[derive(Debug, Default)]
pub struct SubscriptionFilter {
    pub customer: Option<CustomerId>,
    pub status: Option<SubscriptionStatus>,
}

pub fn subscriptions(merchant: MerchantId, filter: SubscriptionFilter) -> Listing<kinds::Subscriptions> {
    let mut select = subscription::Entity::find().filter(subscription::Column::MerchantId.eq(merchant.0));
    if let Some(customer) = filter.customer {
        select = select.filter(subscription::Column::CustomerId.eq(customer.0));
    }
    if let Some(status) = filter.status {
        select = select.filter(subscription::Column::Status.eq(status.as_str()));
    }
    Listing(select)
}

#[derive(Debug, Default)]
pub struct PaymentFilter {
    pub session: Option<SessionId>,
    pub customer: Option<CustomerId>,
    pub status: Option<PaymentStatus>,
}

pub fn payments(merchant: MerchantId, filter: PaymentFilter) -> Listing<kinds::Payments> {
    let mut select = payment::Entity::find().filter(payment::Column::MerchantId.eq(merchant.0));
    if let Some(s) = filter.session {
        select = select.filter(payment::Column::PaymentSessionId.eq(s.0));
    }
    if let Some(c) = filter.customer {
        select = select.filter(payment::Column::CustomerId.eq(c.0));
    }
    if let Some(status) = filter.status {
        select = select.filter(payment::Column::Status.eq(status.as_str()));
    }
    Listing(select)
}

/// Saved profiles that were not removed, optionally of one customer.
pub fn profiles(merchant: MerchantId, customer: Option<CustomerId>) -> Listing<kinds::Profiles> {
    let mut select = payment_profile::Entity::find()
        .filter(payment_profile::Column::MerchantId.eq(merchant.0))
        .filter(payment_profile::Column::RemovedAt.is_null());
    if let Some(c) = customer {
        select = select.filter(payment_profile::Column::CustomerId.eq(c.0));
    }
    Listing(select)
}

pub fn links(merchant: MerchantId, active: Option<bool>) -> Listing<kinds::Links> {
    let mut select = payment_link::Entity::find().filter(payment_link::Column::MerchantId.eq(merchant.0));
    if let Some(active) = active {
        select = select.filter(payment_link::Column::Active.eq(active));
    }
    Listing(select)
}

/// The merchant's webhook endpoints (deleted ones are not listed: see `Tenanted::listed`).
pub fn webhook_endpoints(merchant: MerchantId) -> Listing<kinds::WebhookEndpoints> {
    let select = webhook_endpoint::Entity::find().filter(webhook_endpoint::Column::MerchantId.eq(merchant.0));
    Listing(select.filter(webhook_endpoint::Column::DeletedAt.is_null()))
}

/// The tries of deliveries to `merchant`'s endpoint `endpoint`.
pub fn webhook_attempts(merchant: MerchantId, endpoint: uuid::Uuid) -> Listing<kinds::WebhookAttempts> {
    use super::entities::webhook_delivery_attempt;
    use webhook_delivery_attempt::Column as A;
    Listing(
        webhook_delivery_attempt::Entity::find()
            .filter(A::MerchantId.eq(merchant.0))
            .filter(A::EndpointId.eq(endpoint)),
    )
}

/// The merchant's blocklist, optionally of one kind.
pub fn blocklist(merchant: MerchantId, kind: Option<BlocklistKind>) -> Listing<kinds::BlocklistEntries> {
    let select = blocklist_entry::Entity::find().filter(blocklist_entry::Column::MerchantId.eq(merchant.0));
    Listing(match kind {
        Some(kind) => select.filter(blocklist_entry::Column::Kind.eq(kind.as_str())),
        None => select,
    })
}

/// The merchant's disputes, of `statuses` if any are given.
pub fn disputes(merchant: MerchantId, statuses: &[DisputeStatus]) -> Listing<kinds::Disputes> {
    let mut select = dispute::Entity::find().filter(dispute::Column::MerchantId.eq(merchant.0));
    if !statuses.is_empty() {
        select = select.filter(dispute::Column::Status.is_in(statuses.iter().map(|s| s.as_str())));
    }
    Listing(select)
}

/// Which audit events a listing shows.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub actor_key: Option<crate::domain::ApiKeyId>,
    pub actions: Vec<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

pub fn audit_events(merchant: MerchantId, filter: AuditFilter) -> Listing<kinds::AuditEvents> {
    use audit_event::Column as A;
    let mut select = audit_event::Entity::find().filter(A::MerchantId.eq(merchant.0));
    if let Some(key) = filter.actor_key {
        select = select.filter(A::ActorKeyId.eq(key.0));
    }
    if !filter.actions.is_empty() {
        select = select.filter(A::Action.is_in(filter.actions));
    }
    if let Some(since) = filter.since {
        select = select.filter(A::CreatedAt.gte(since));
    }
    if let Some(until) = filter.until {
        select = select.filter(A::CreatedAt.lt(until));
    }
    Listing(select)
}
