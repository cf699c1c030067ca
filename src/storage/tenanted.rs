//! What the batch loaders, listings and records need to know of each tenant-owned table:
//! its id, merchant, parent and sort columns, and the domain type a row becomes.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, DbErr, EntityTrait, FromQueryResult};
use uuid::Uuid;

use super::entities::*;
use super::page::SortField;

/// The parent a child table points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parent {
    Customer,
    Order,
    Subscription,
    PaymentLink,
    PaymentSession,
    Payment,
}

/// A table of tenant-owned rows, as the batch loaders need to see it.
pub trait Tenanted: EntityTrait<Model: Sync + FromQueryResult> + Send + Sync + 'static {
    fn id_column() -> Self::Column;
    fn merchant_column() -> Self::Column;
    /// The column pointing at `parent`, if this table has one.
    fn parent_column(parent: Parent) -> Option<Self::Column>;
    /// The column a connection of these rows is ordered by.
    fn sort_column(field: SortField) -> Self::Column;
    fn id_of(model: &Self::Model) -> Uuid;
    fn sort_key(model: &Self::Model, field: SortField) -> (DateTime<Utc>, Uuid);
    /// Which rows a connection lists (a removed profile is still found by id, not listed).
    fn listed() -> Condition;
    /// What storage hands up for a row: the domain type where the aggregate has one, else
    /// the row itself (aggregates move to domain types one by one).
    type Object: Clone + Send + Sync + 'static;
    fn object(row: Self::Model) -> Result<Self::Object, DbErr>;
    /// The row an object is stored as.
    fn row(object: Self::Object) -> Self::Model;
}

macro_rules! tenanted {
    ($module:ident { $($parent:ident => $column:ident),* } sort { $($field:ident => ($sort:ident, $sort_field:ident)),* } $(listed $listed:expr)? ; object $object:ty = $convert:expr) => {
        impl Tenanted for $module::Entity {
            type Object = $object;
            fn object(row: Self::Model) -> Result<$object, DbErr> {
                $convert(row)
            }
            #[allow(clippy::useless_conversion)]
            fn row(object: $object) -> Self::Model {
                Self::Model::from(object)
            }
            fn id_column() -> Self::Column {
                $module::Column::Id
            }
            fn merchant_column() -> Self::Column {
                $module::Column::MerchantId
            }
            fn parent_column(parent: Parent) -> Option<Self::Column> {
                match parent {
                    $(Parent::$parent => Some($module::Column::$column),)*
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }
            fn sort_column(field: SortField) -> Self::Column {
                match field {
                    $(SortField::$field => $module::Column::$sort,)*
                    #[allow(unreachable_patterns)]
                    _ => $module::Column::CreatedAt,
                }
            }
            fn id_of(model: &Self::Model) -> Uuid {
                model.id
            }
            fn sort_key(model: &Self::Model, field: SortField) -> (DateTime<Utc>, Uuid) {
                match field {
                    $(SortField::$field => (model.$sort_field, model.id),)*
                    #[allow(unreachable_patterns)]
                    _ => (model.created_at, model.id),
                }
            }
            fn listed() -> Condition {
                Condition::all()$(.add($listed))?
            }
        }
    };
    ($module:ident { $($parent:ident => $column:ident),* } sort { $($field:ident => ($sort:ident, $sort_field:ident)),* } $(listed $listed:expr)?) => {
        tenanted!($module { $($parent => $column),* } sort { $($field => ($sort, $sort_field)),* } $(listed $listed)? ; object $module::Model = Ok);
    };
}

tenanted!(customer {} sort { CreatedAt => (CreatedAt, created_at) }; object crate::domain::customer::Customer = TryFrom::try_from);
tenanted!(order { Customer => CustomerId } sort { CreatedAt => (CreatedAt, created_at) }; object crate::domain::order::Order = TryFrom::try_from);
tenanted!(subscription { Customer => CustomerId } sort { CreatedAt => (CreatedAt, created_at) }; object crate::domain::subscription::Subscription = TryFrom::try_from);
tenanted!(blocklist_entry {} sort { CreatedAt => (CreatedAt, created_at) }; object crate::domain::fraud::BlocklistEntry = TryFrom::try_from);
tenanted!(ledger_entry { Customer => CustomerId } sort { CreatedAt => (CreatedAt, created_at) }; object crate::domain::ledger::LedgerEntry = TryFrom::try_from);
tenanted!(payment_link {} sort { CreatedAt => (CreatedAt, created_at) }; object crate::domain::link::PaymentLink = TryFrom::try_from);
tenanted!(payment_profile { Customer => CustomerId, PaymentSession => PaymentSessionId } sort { CreatedAt => (CreatedAt, created_at) } listed payment_profile::Column::RemovedAt.is_null(); object crate::domain::profile::PaymentProfile = TryFrom::try_from);
tenanted!(webhook_endpoint {} sort { CreatedAt => (CreatedAt, created_at) } listed webhook_endpoint::Column::DeletedAt.is_null(); object crate::domain::webhook::WebhookEndpoint = TryFrom::try_from);
tenanted!(webhook_delivery_attempt {} sort { CreatedAt => (CreatedAt, created_at) }; object crate::domain::webhook_delivery::Attempt = webhook_delivery_attempt::attempt_of);
tenanted!(audit_event {} sort { CreatedAt => (CreatedAt, created_at) }; object crate::domain::audit::AuditEvent = TryFrom::try_from);
tenanted!(dispute { Payment => PaymentId, PaymentSession => PaymentSessionId } sort { CreatedAt => (CreatedAt, created_at) }; object crate::domain::dispute::Dispute = TryFrom::try_from);
tenanted!(refund { Payment => PaymentId, PaymentSession => PaymentSessionId } sort { CreatedAt => (CreatedAt, created_at) }; object crate::domain::refund::Refund = TryFrom::try_from);
tenanted!(payment { Customer => CustomerId, PaymentSession => PaymentSessionId, Subscription => SubscriptionId } sort { CreatedAt => (CreatedAt, created_at) }; object crate::domain::payment::Payment = TryFrom::try_from);
tenanted!(payment_session {
    Customer => CustomerId, Order => OrderId, Subscription => SubscriptionId, PaymentLink => PaymentLinkId
} sort {
    CreatedAt => (CreatedAt, created_at), UpdatedAt => (UpdatedAt, updated_at), ExpiresAt => (ExpiresAt, expires_at)
}; object crate::domain::session::PaymentSession = TryFrom::try_from);
