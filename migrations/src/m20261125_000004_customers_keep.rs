//! What customers keep: one profile per card per customer, payments by saved profile,
//! renewals, and the balance ledger.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The same card saved twice is one profile: saving it again revives and refreshes it.
        m.drop_index(
            Index::drop().name("idx_payment_profiles_customer_fingerprint").table(PaymentProfiles::Table).to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_payment_profiles_customer_fingerprint")
                .table(PaymentProfiles::Table)
                .col(PaymentProfiles::CustomerId)
                .col(PaymentProfiles::Fingerprint)
                .unique()
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(PaymentSessions::Table)
                .add_column(boolean(PaymentSessions::SetProfileAsDefault).default(false))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter().table(Payments::Table).add_column(uuid_null(Payments::PaymentProfileId)).to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter().table(Payments::Table).add_column(boolean(Payments::OffSession).default(false)).to_owned(),
        )
        .await?;
        // Payments of a subscription (its first payment and renewals), listed without a join.
        m.alter_table(Table::alter().table(Payments::Table).add_column(uuid_null(Payments::SubscriptionId)).to_owned())
            .await?;
        m.create_index(
            Index::create()
                .name("idx_payments_subscription")
                .table(Payments::Table)
                .col(Payments::SubscriptionId)
                .col(Payments::CreatedAt)
                .to_owned(),
        )
        .await?;
        // The open renewal session of the current period; set by the one runner that claims it.
        m.alter_table(
            Table::alter()
                .table(Subscriptions::Table)
                .add_column(uuid_null(Subscriptions::RenewalSessionId))
                .to_owned(),
        )
        .await?;
        // Periods are counted from the anchor, so monthly billing from the 31st comes back to
        // the 31st after a short month instead of drifting to the 28th.
        m.alter_table(
            Table::alter()
                .table(Subscriptions::Table)
                .add_column(timestamp_with_time_zone_null(Subscriptions::BillingAnchor))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Subscriptions::Table)
                .add_column(integer(Subscriptions::PeriodsPaid).default(0))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Subscriptions::Table)
                .add_column(timestamp_with_time_zone_null(Subscriptions::CanceledAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_subscriptions_due")
                .table(Subscriptions::Table)
                .col(Subscriptions::Status)
                .col(Subscriptions::CurrentPeriodEnd)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LedgerEntries::Table)
                .col(uuid(LedgerEntries::Id).primary_key())
                .col(uuid(LedgerEntries::MerchantId))
                .col(uuid(LedgerEntries::CustomerId))
                .col(string(LedgerEntries::Currency))
                // Signed minor units: a credit to the customer is positive, a charge negative.
                .col(big_integer(LedgerEntries::Amount))
                .col(string(LedgerEntries::Kind))
                .col(uuid_null(LedgerEntries::PaymentSessionId))
                .col(string_null(LedgerEntries::Description))
                .col(timestamp_with_time_zone(LedgerEntries::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_ledger_entries_customer")
                .table(LedgerEntries::Table)
                .col(LedgerEntries::CustomerId)
                .col(LedgerEntries::Currency)
                .col(LedgerEntries::CreatedAt)
                .to_owned(),
        )
        .await?;
        // A session credits the ledger once, however often its completion is retried.
        m.create_index(
            Index::create()
                .name("uq_ledger_entries_session")
                .table(LedgerEntries::Table)
                .col(LedgerEntries::PaymentSessionId)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LedgerEntries::Table).to_owned()).await?;
        m.drop_index(Index::drop().name("idx_subscriptions_due").table(Subscriptions::Table).to_owned()).await?;
        for column in [
            Subscriptions::RenewalSessionId,
            Subscriptions::BillingAnchor,
            Subscriptions::PeriodsPaid,
            Subscriptions::CanceledAt,
        ] {
            m.alter_table(Table::alter().table(Subscriptions::Table).drop_column(column).to_owned()).await?;
        }
        m.drop_index(Index::drop().name("idx_payments_subscription").table(Payments::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Payments::Table).drop_column(Payments::SubscriptionId).to_owned()).await?;
        m.alter_table(Table::alter().table(Payments::Table).drop_column(Payments::OffSession).to_owned()).await?;
        m.alter_table(Table::alter().table(Payments::Table).drop_column(Payments::PaymentProfileId).to_owned()).await?;
        m.alter_table(
            Table::alter().table(PaymentSessions::Table).drop_column(PaymentSessions::SetProfileAsDefault).to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop().name("uq_payment_profiles_customer_fingerprint").table(PaymentProfiles::Table).to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_payment_profiles_customer_fingerprint")
                .table(PaymentProfiles::Table)
                .col(PaymentProfiles::CustomerId)
                .col(PaymentProfiles::Fingerprint)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum PaymentProfiles {
    Table,
    CustomerId,
    Fingerprint,
}

#[derive(DeriveIden)]
enum PaymentSessions {
    Table,
    SetProfileAsDefault,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    PaymentProfileId,
    OffSession,
    SubscriptionId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    RenewalSessionId,
    BillingAnchor,
    PeriodsPaid,
    CanceledAt,
    Status,
    CurrentPeriodEnd,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    MerchantId,
    CustomerId,
    Currency,
    Amount,
    Kind,
    PaymentSessionId,
    Description,
    CreatedAt,
}
