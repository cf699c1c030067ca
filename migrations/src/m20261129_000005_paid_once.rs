//! The money invariants, held by the database as well as by the guarded writes:
//! - an order and a subscription name the one session paying them (`paying_session_id`),
//!   taken when the session starts processing and released when its attempt fails;
//! - at most one session of an order is processing, waiting on 3-D Secure or completed,
//!   and at most one session of a subscription is processing or waiting, at any time
//!   (partial unique indexes, portable between SQLite and PostgreSQL);
//! - SETUP sessions record each verification, so the fraud rules count them as attempts.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const IN_FLIGHT: [&str; 2] = ["PROCESSING", "REQUIRES_ACTION"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Orders::Table).add_column(uuid_null(Orders::PayingSessionId)).to_owned())
            .await?;
        m.alter_table(
            Table::alter().table(Subscriptions::Table).add_column(uuid_null(Subscriptions::PayingSessionId)).to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_payment_sessions_order_paid_once")
                .table(PaymentSessions::Table)
                .col(PaymentSessions::OrderId)
                .unique()
                .and_where(Expr::col(PaymentSessions::OrderId).is_not_null())
                .and_where(Expr::col(PaymentSessions::Status).is_in(IN_FLIGHT.into_iter().chain(["COMPLETED"])))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_payment_sessions_subscription_in_flight")
                .table(PaymentSessions::Table)
                .col(PaymentSessions::SubscriptionId)
                .unique()
                .and_where(Expr::col(PaymentSessions::SubscriptionId).is_not_null())
                .and_where(Expr::col(PaymentSessions::Status).is_in(IN_FLIGHT))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Verifications::Table)
                .col(uuid(Verifications::Id).primary_key())
                .col(uuid(Verifications::MerchantId))
                .col(uuid(Verifications::PaymentSessionId))
                .col(uuid_null(Verifications::CustomerId))
                .col(string(Verifications::Status))
                .col(string(Verifications::CardFingerprint))
                .col(string_null(Verifications::ClientIp))
                .col(string_null(Verifications::DeclineCode))
                .col(string_null(Verifications::FraudRule))
                .col(integer(Verifications::RiskScore))
                .col(timestamp_with_time_zone(Verifications::CreatedAt))
                .col(timestamp_with_time_zone(Verifications::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_verifications_fingerprint")
                .table(Verifications::Table)
                .col(Verifications::MerchantId)
                .col(Verifications::CardFingerprint)
                .col(Verifications::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_verifications_session")
                .table(Verifications::Table)
                .col(Verifications::PaymentSessionId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Verifications::Table).to_owned()).await?;
        for name in ["uq_payment_sessions_subscription_in_flight", "uq_payment_sessions_order_paid_once"] {
            m.drop_index(Index::drop().name(name).table(PaymentSessions::Table).to_owned()).await?;
        }
        m.alter_table(
            Table::alter().table(Subscriptions::Table).drop_column(Subscriptions::PayingSessionId).to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table(Orders::Table).drop_column(Orders::PayingSessionId).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    PayingSessionId,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    PayingSessionId,
}

#[derive(DeriveIden)]
enum PaymentSessions {
    Table,
    OrderId,
    SubscriptionId,
    Status,
}

#[derive(DeriveIden)]
enum Verifications {
    Table,
    Id,
    MerchantId,
    PaymentSessionId,
    CustomerId,
    Status,
    CardFingerprint,
    ClientIp,
    DeclineCode,
    FraudRule,
    RiskScore,
    CreatedAt,
    UpdatedAt,
}
