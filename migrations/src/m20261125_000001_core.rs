//! The core graph: merchants and their keys, customers, orders, subscriptions, payment
//! links, payment sessions with their payments and saved profiles, the session event log
//! (the outbox) and idempotency records.
//!
//! Every table carries `merchant_id`, so every lookup is scoped to a tenant and the schema
//! is ready to be distributed by merchant. Money is `BIGINT` minor units plus a 3-letter code.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Merchants::Table)
                .col(pk_uuid(Merchants::Id))
                .col(string(Merchants::Name))
                .col(string_null(Merchants::LogoUrl))
                .col(string_null(Merchants::AccentColor))
                .col(big_integer(Merchants::EventSeq).default(0))
                .col(timestamp_with_time_zone(Merchants::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ApiKeys::Table)
                .col(pk_uuid(ApiKeys::Id))
                .col(uuid(ApiKeys::MerchantId))
                .col(string_uniq(ApiKeys::KeyHash))
                .col(string(ApiKeys::DisplayPrefix))
                .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                .to_owned(),
        )
        .await?;
        index(m, ApiKeys::Table, "idx_api_keys_merchant", &[ApiKeys::MerchantId]).await?;

        m.create_table(
            Table::create()
                .table(Customers::Table)
                .col(pk_uuid(Customers::Id))
                .col(uuid(Customers::MerchantId))
                .col(string_null(Customers::Email))
                .col(string_null(Customers::Name))
                .col(string_null(Customers::ExternalReference))
                .col(text(Customers::Metadata))
                .col(timestamp_with_time_zone(Customers::CreatedAt))
                .col(timestamp_with_time_zone(Customers::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            Customers::Table,
            "idx_customers_merchant_created",
            &[Customers::MerchantId, Customers::CreatedAt, Customers::Id],
        )
        .await?;
        index(m, Customers::Table, "idx_customers_merchant_email", &[Customers::MerchantId, Customers::Email]).await?;

        m.create_table(
            Table::create()
                .table(Orders::Table)
                .col(pk_uuid(Orders::Id))
                .col(uuid(Orders::MerchantId))
                .col(uuid_null(Orders::CustomerId))
                .col(string(Orders::Currency))
                .col(big_integer(Orders::TotalAmount))
                .col(string(Orders::Status))
                .col(string_null(Orders::ExternalReference))
                .col(timestamp_with_time_zone(Orders::CreatedAt))
                .col(timestamp_with_time_zone(Orders::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(m, Orders::Table, "idx_orders_merchant_created", &[Orders::MerchantId, Orders::CreatedAt, Orders::Id])
            .await?;
        index(m, Orders::Table, "idx_orders_customer", &[Orders::CustomerId, Orders::CreatedAt]).await?;

        m.create_table(
            Table::create()
                .table(OrderLineItems::Table)
                .col(pk_uuid(OrderLineItems::Id))
                .col(uuid(OrderLineItems::MerchantId))
                .col(uuid(OrderLineItems::OrderId))
                .col(integer(OrderLineItems::Position))
                .col(string(OrderLineItems::Name))
                .col(integer(OrderLineItems::Quantity))
                .col(big_integer(OrderLineItems::UnitAmount))
                .to_owned(),
        )
        .await?;
        index(
            m,
            OrderLineItems::Table,
            "idx_order_line_items_order",
            &[OrderLineItems::OrderId, OrderLineItems::Position],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Subscriptions::Table)
                .col(pk_uuid(Subscriptions::Id))
                .col(uuid(Subscriptions::MerchantId))
                .col(uuid(Subscriptions::CustomerId))
                .col(string(Subscriptions::Currency))
                .col(big_integer(Subscriptions::Amount))
                .col(string(Subscriptions::Interval))
                .col(integer(Subscriptions::IntervalCount))
                .col(string(Subscriptions::Status))
                .col(timestamp_with_time_zone_null(Subscriptions::CurrentPeriodStart))
                .col(timestamp_with_time_zone_null(Subscriptions::CurrentPeriodEnd))
                .col(boolean(Subscriptions::CancelAtPeriodEnd))
                .col(uuid_null(Subscriptions::DefaultPaymentProfileId))
                .col(timestamp_with_time_zone(Subscriptions::CreatedAt))
                .col(timestamp_with_time_zone(Subscriptions::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            Subscriptions::Table,
            "idx_subscriptions_merchant_created",
            &[Subscriptions::MerchantId, Subscriptions::CreatedAt, Subscriptions::Id],
        )
        .await?;
        index(
            m,
            Subscriptions::Table,
            "idx_subscriptions_customer",
            &[Subscriptions::CustomerId, Subscriptions::CreatedAt],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PaymentLinks::Table)
                .col(pk_uuid(PaymentLinks::Id))
                .col(uuid(PaymentLinks::MerchantId))
                .col(string_uniq(PaymentLinks::Slug))
                .col(string(PaymentLinks::Currency))
                .col(big_integer_null(PaymentLinks::Amount))
                .col(text(PaymentLinks::LineItems))
                .col(boolean(PaymentLinks::Active))
                .col(integer_null(PaymentLinks::MaxCompletedPayments))
                .col(timestamp_with_time_zone_null(PaymentLinks::ExpiresAt))
                .col(timestamp_with_time_zone(PaymentLinks::CreatedAt))
                .col(timestamp_with_time_zone(PaymentLinks::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            PaymentLinks::Table,
            "idx_payment_links_merchant_created",
            &[PaymentLinks::MerchantId, PaymentLinks::CreatedAt, PaymentLinks::Id],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PaymentSessions::Table)
                .col(pk_uuid(PaymentSessions::Id))
                .col(uuid(PaymentSessions::MerchantId))
                .col(string(PaymentSessions::Status))
                .col(integer(PaymentSessions::Version))
                .col(string(PaymentSessions::Purpose))
                .col(string_null(PaymentSessions::Currency))
                .col(big_integer_null(PaymentSessions::Amount))
                .col(uuid_null(PaymentSessions::CustomerId))
                .col(uuid_null(PaymentSessions::OrderId))
                .col(uuid_null(PaymentSessions::SubscriptionId))
                .col(uuid_null(PaymentSessions::PaymentLinkId))
                .col(uuid_null(PaymentSessions::PaymentProfileId))
                .col(string(PaymentSessions::AllowedPaymentMethods))
                .col(boolean(PaymentSessions::SavePaymentProfile))
                .col(integer(PaymentSessions::AttemptCount))
                .col(string_uniq(PaymentSessions::ClientSecret))
                .col(string_null(PaymentSessions::SuccessUrl))
                .col(text(PaymentSessions::Metadata))
                .col(timestamp_with_time_zone(PaymentSessions::ExpiresAt))
                .col(timestamp_with_time_zone(PaymentSessions::CreatedAt))
                .col(timestamp_with_time_zone(PaymentSessions::UpdatedAt))
                .to_owned(),
        )
        .await?;
        use PaymentSessions as S;
        index(m, S::Table, "idx_sessions_merchant_created", &[S::MerchantId, S::CreatedAt, S::Id]).await?;
        index(m, S::Table, "idx_sessions_merchant_updated", &[S::MerchantId, S::UpdatedAt, S::Id]).await?;
        index(m, S::Table, "idx_sessions_merchant_expires", &[S::MerchantId, S::ExpiresAt, S::Id]).await?;
        index(m, S::Table, "idx_sessions_status_expires", &[S::Status, S::ExpiresAt]).await?;
        index(m, S::Table, "idx_sessions_customer", &[S::CustomerId, S::CreatedAt]).await?;
        index(m, S::Table, "idx_sessions_order", &[S::OrderId, S::CreatedAt]).await?;
        index(m, S::Table, "idx_sessions_subscription", &[S::SubscriptionId, S::CreatedAt]).await?;
        index(m, S::Table, "idx_sessions_payment_link", &[S::PaymentLinkId, S::CreatedAt]).await?;

        m.create_table(
            Table::create()
                .table(Payments::Table)
                .col(pk_uuid(Payments::Id))
                .col(uuid(Payments::MerchantId))
                .col(uuid(Payments::PaymentSessionId))
                .col(uuid_null(Payments::CustomerId))
                .col(string(Payments::Status))
                .col(string(Payments::Currency))
                .col(big_integer(Payments::Amount))
                .col(string(Payments::MethodType))
                .col(text(Payments::MethodSummary))
                .col(string_null(Payments::CardFingerprint))
                .col(string_null(Payments::CardTokenId))
                .col(string_null(Payments::DeclineCode))
                .col(integer(Payments::RiskScore))
                .col(string_null(Payments::FraudRule))
                .col(string(Payments::FraudDecision))
                .col(timestamp_with_time_zone(Payments::CreatedAt))
                .col(timestamp_with_time_zone(Payments::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(m, Payments::Table, "idx_payments_session", &[Payments::PaymentSessionId, Payments::CreatedAt]).await?;
        index(
            m,
            Payments::Table,
            "idx_payments_merchant_created",
            &[Payments::MerchantId, Payments::CreatedAt, Payments::Id],
        )
        .await?;
        index(m, Payments::Table, "idx_payments_customer", &[Payments::CustomerId, Payments::CreatedAt]).await?;
        index(
            m,
            Payments::Table,
            "idx_payments_fingerprint",
            &[Payments::MerchantId, Payments::CardFingerprint, Payments::CreatedAt],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PaymentProfiles::Table)
                .col(pk_uuid(PaymentProfiles::Id))
                .col(uuid(PaymentProfiles::MerchantId))
                .col(uuid(PaymentProfiles::CustomerId))
                .col(string(PaymentProfiles::MethodType))
                .col(string_null(PaymentProfiles::Brand))
                .col(string_null(PaymentProfiles::Last4))
                .col(integer_null(PaymentProfiles::ExpMonth))
                .col(integer_null(PaymentProfiles::ExpYear))
                .col(string(PaymentProfiles::Fingerprint))
                .col(string(PaymentProfiles::ProcessorToken))
                .col(boolean(PaymentProfiles::IsDefault))
                .col(uuid_null(PaymentProfiles::PaymentSessionId))
                .col(timestamp_with_time_zone(PaymentProfiles::CreatedAt))
                .col(timestamp_with_time_zone_null(PaymentProfiles::RemovedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            PaymentProfiles::Table,
            "idx_payment_profiles_merchant_created",
            &[PaymentProfiles::MerchantId, PaymentProfiles::CreatedAt, PaymentProfiles::Id],
        )
        .await?;
        index(
            m,
            PaymentProfiles::Table,
            "idx_payment_profiles_customer_fingerprint",
            &[PaymentProfiles::CustomerId, PaymentProfiles::Fingerprint],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SessionEvents::Table)
                .col(big_pk_auto(SessionEvents::Id))
                .col(uuid(SessionEvents::MerchantId))
                .col(big_integer(SessionEvents::MerchantSeq))
                .col(uuid(SessionEvents::PaymentSessionId))
                .col(uuid_null(SessionEvents::CustomerId))
                .col(integer(SessionEvents::Version))
                .col(string_null(SessionEvents::PreviousStatus))
                .col(string(SessionEvents::Status))
                .col(timestamp_with_time_zone(SessionEvents::OccurredAt))
                .col(timestamp_with_time_zone_null(SessionEvents::PublishedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_session_events_session_version")
                .table(SessionEvents::Table)
                .col(SessionEvents::PaymentSessionId)
                .col(SessionEvents::Version)
                .unique()
                .to_owned(),
        )
        .await?;
        index(m, SessionEvents::Table, "idx_session_events_merchant", &[SessionEvents::MerchantId, SessionEvents::Id])
            .await?;
        index(
            m,
            SessionEvents::Table,
            "idx_session_events_unpublished",
            &[SessionEvents::PublishedAt, SessionEvents::Id],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(uuid(IdempotencyKeys::MerchantId))
                .col(string(IdempotencyKeys::Operation))
                .col(string(IdempotencyKeys::Key))
                .col(string(IdempotencyKeys::RequestHash))
                .col(text_null(IdempotencyKeys::Response))
                .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                .col(timestamp_with_time_zone_null(IdempotencyKeys::CompletedAt))
                .primary_key(
                    Index::create()
                        .col(IdempotencyKeys::MerchantId)
                        .col(IdempotencyKeys::Operation)
                        .col(IdempotencyKeys::Key),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyKeys::Table.into_iden(),
            SessionEvents::Table.into_iden(),
            PaymentProfiles::Table.into_iden(),
            Payments::Table.into_iden(),
            PaymentSessions::Table.into_iden(),
            PaymentLinks::Table.into_iden(),
            Subscriptions::Table.into_iden(),
            OrderLineItems::Table.into_iden(),
            Orders::Table.into_iden(),
            Customers::Table.into_iden(),
            ApiKeys::Table.into_iden(),
            Merchants::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

/// A plain (non-unique) index on `cols` of `table`.
async fn index<T, C>(m: &SchemaManager<'_>, table: T, name: &str, cols: &[C]) -> Result<(), DbErr>
where
    T: IntoIden + Copy + 'static,
    C: IntoIden + Copy + 'static,
{
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(*col);
    }
    m.create_index(stmt.to_owned()).await
}

#[derive(DeriveIden, Clone, Copy)]
enum Merchants {
    Table,
    Id,
    Name,
    LogoUrl,
    AccentColor,
    /// The last sequence number given to one of the merchant's events.
    EventSeq,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiKeys {
    Table,
    Id,
    MerchantId,
    KeyHash,
    DisplayPrefix,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Customers {
    Table,
    Id,
    MerchantId,
    Email,
    Name,
    ExternalReference,
    Metadata,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Orders {
    Table,
    Id,
    MerchantId,
    CustomerId,
    Currency,
    TotalAmount,
    Status,
    ExternalReference,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OrderLineItems {
    Table,
    Id,
    MerchantId,
    OrderId,
    Position,
    Name,
    Quantity,
    UnitAmount,
}

#[derive(DeriveIden, Clone, Copy)]
enum Subscriptions {
    Table,
    Id,
    MerchantId,
    CustomerId,
    Currency,
    Amount,
    Interval,
    IntervalCount,
    Status,
    CurrentPeriodStart,
    CurrentPeriodEnd,
    CancelAtPeriodEnd,
    DefaultPaymentProfileId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PaymentLinks {
    Table,
    Id,
    MerchantId,
    Slug,
    Currency,
    Amount,
    LineItems,
    Active,
    MaxCompletedPayments,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PaymentSessions {
    Table,
    Id,
    MerchantId,
    Status,
    Version,
    Purpose,
    Currency,
    Amount,
    CustomerId,
    OrderId,
    SubscriptionId,
    PaymentLinkId,
    PaymentProfileId,
    AllowedPaymentMethods,
    SavePaymentProfile,
    AttemptCount,
    ClientSecret,
    SuccessUrl,
    Metadata,
    ExpiresAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Payments {
    Table,
    Id,
    MerchantId,
    PaymentSessionId,
    CustomerId,
    Status,
    Currency,
    Amount,
    MethodType,
    MethodSummary,
    CardFingerprint,
    CardTokenId,
    DeclineCode,
    RiskScore,
    FraudRule,
    FraudDecision,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PaymentProfiles {
    Table,
    Id,
    MerchantId,
    CustomerId,
    MethodType,
    Brand,
    Last4,
    ExpMonth,
    ExpYear,
    Fingerprint,
    ProcessorToken,
    IsDefault,
    PaymentSessionId,
    CreatedAt,
    RemovedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SessionEvents {
    Table,
    Id,
    MerchantId,
    MerchantSeq,
    PaymentSessionId,
    CustomerId,
    Version,
    PreviousStatus,
    Status,
    OccurredAt,
    PublishedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum IdempotencyKeys {
    Table,
    MerchantId,
    Operation,
    Key,
    RequestHash,
    Response,
    CreatedAt,
    CompletedAt,
}
