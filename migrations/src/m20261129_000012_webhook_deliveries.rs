//! Webhook deliveries, fed from the session event log.
//! - `webhook_endpoints.fed_seq`: the merchant event number up to which the endpoint's
//!   deliveries are queued (the feeder's compare-and-set); `failing_since`: when its
//!   deliveries started failing with no success since, for the 3-day give-up.
//! - `webhook_deliveries`: one event to send to one endpoint, with its retry schedule and
//!   the lease of the instance sending it now. Per endpoint and session, only the PENDING
//!   delivery of the lowest event number may be sent (version order).
//! - `webhook_delivery_attempts`: each try, with its status code, duration, error, the
//!   start of the answer and the next retry: what the merchant sees.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            big_integer(WebhookEndpoints::FedSeq).default(0).to_owned(),
            timestamp_with_time_zone_null(WebhookEndpoints::FailingSince),
        ];
        for column in columns {
            m.alter_table(Table::alter().table(WebhookEndpoints::Table).add_column(column).to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table(WebhookDeliveries::Table)
                .if_not_exists()
                .col(uuid(WebhookDeliveries::Id).primary_key())
                .col(uuid(WebhookDeliveries::MerchantId))
                .col(uuid(WebhookDeliveries::EndpointId))
                .col(big_integer(WebhookDeliveries::EventId))
                .col(big_integer(WebhookDeliveries::EventSeq))
                .col(uuid(WebhookDeliveries::PaymentSessionId))
                .col(string(WebhookDeliveries::State))
                .col(integer(WebhookDeliveries::Attempts).default(0))
                .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                .col(uuid_null(WebhookDeliveries::Lease))
                .col(timestamp_with_time_zone_null(WebhookDeliveries::LeasedUntil))
                .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                .col(timestamp_with_time_zone(WebhookDeliveries::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_deliveries_due")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::State)
                .col(WebhookDeliveries::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_deliveries_in_order")
                .table(WebhookDeliveries::Table)
                .col(WebhookDeliveries::EndpointId)
                .col(WebhookDeliveries::PaymentSessionId)
                .col(WebhookDeliveries::EventSeq)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WebhookDeliveryAttempts::Table)
                .if_not_exists()
                .col(uuid(WebhookDeliveryAttempts::Id).primary_key())
                .col(uuid(WebhookDeliveryAttempts::MerchantId))
                .col(uuid(WebhookDeliveryAttempts::EndpointId))
                .col(uuid(WebhookDeliveryAttempts::DeliveryId))
                .col(big_integer(WebhookDeliveryAttempts::EventId))
                .col(integer(WebhookDeliveryAttempts::Attempt))
                .col(boolean(WebhookDeliveryAttempts::Succeeded))
                .col(integer_null(WebhookDeliveryAttempts::StatusCode))
                .col(big_integer(WebhookDeliveryAttempts::DurationMs))
                .col(string_null(WebhookDeliveryAttempts::Error))
                .col(string_null(WebhookDeliveryAttempts::ResponsePrefix))
                .col(timestamp_with_time_zone_null(WebhookDeliveryAttempts::NextRetryAt))
                .col(timestamp_with_time_zone(WebhookDeliveryAttempts::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("webhook_attempts_by_endpoint")
                .table(WebhookDeliveryAttempts::Table)
                .col(WebhookDeliveryAttempts::EndpointId)
                .col(WebhookDeliveryAttempts::CreatedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WebhookDeliveryAttempts::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned()).await?;
        for column in [WebhookEndpoints::FailingSince, WebhookEndpoints::FedSeq] {
            m.alter_table(Table::alter().table(WebhookEndpoints::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookEndpoints {
    Table,
    FedSeq,
    FailingSince,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookDeliveries {
    Table,
    Id,
    MerchantId,
    EndpointId,
    EventId,
    EventSeq,
    PaymentSessionId,
    State,
    Attempts,
    NextAttemptAt,
    Lease,
    LeasedUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookDeliveryAttempts {
    Table,
    Id,
    MerchantId,
    EndpointId,
    DeliveryId,
    EventId,
    Attempt,
    Succeeded,
    StatusCode,
    DurationMs,
    Error,
    ResponsePrefix,
    NextRetryAt,
    CreatedAt,
}
