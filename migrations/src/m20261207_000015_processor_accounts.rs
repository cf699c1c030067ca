//! Each merchant's own processor account, and the processor's references on what it did.
//! - `processor_accounts`: a connected account, its key and webhook signing secret sealed
//!   (AES-256-GCM under `PAYGRAPH_SECRETS_KEY`; the row's id is the associated data, so a
//!   sealed value moved to another row does not open). At most one per merchant is connected.
//! - `card_tokens`, `payment_profiles`, `payments`: the account that holds the card's token
//!   (none: the test processor). A payment is settled, captured and refunded there, whatever
//!   the merchant connects later.
//! - `payments.processor_reference` / `refunds.processor_reference`: the processor's own id
//!   (a PaymentIntent, a refund), stored as soon as it exists; every later step goes by it.
//! - `payments.next_action_url`: where the processor sends the customer for 3-D Secure.
//! - `processor_events`: the processor's webhook events taken, so one is applied once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ProcessorAccounts::Table)
                .if_not_exists()
                .col(uuid(ProcessorAccounts::Id).primary_key())
                .col(uuid(ProcessorAccounts::MerchantId))
                .col(string(ProcessorAccounts::Kind))
                .col(string(ProcessorAccounts::Label))
                .col(text(ProcessorAccounts::SecretKeySealed))
                .col(text_null(ProcessorAccounts::WebhookSecretSealed))
                .col(timestamp_with_time_zone(ProcessorAccounts::ConnectedAt))
                .col(timestamp_with_time_zone_null(ProcessorAccounts::DisconnectedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ProcessorAccounts::Table, ProcessorAccounts::MerchantId)
                        .to(Merchants::Table, Merchants::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_processor_accounts_connected")
                .table(ProcessorAccounts::Table)
                .col(ProcessorAccounts::MerchantId)
                .unique()
                .and_where(Expr::col(ProcessorAccounts::DisconnectedAt).is_null())
                .to_owned(),
        )
        .await?;
        // SQLite adds one column per ALTER TABLE.
        let account = || uuid_null(Alias::new("processor_account_id")).to_owned();
        for table in [Alias::new("card_tokens"), Alias::new("payment_profiles"), Alias::new("payments")] {
            m.alter_table(Table::alter().table(table).add_column(account()).to_owned()).await?;
        }
        for table in [Alias::new("payments"), Alias::new("refunds")] {
            let reference = string_null(Alias::new("processor_reference")).to_owned();
            m.alter_table(Table::alter().table(table).add_column(reference).to_owned()).await?;
        }
        let redirect = text_null(Alias::new("next_action_url")).to_owned();
        m.alter_table(Table::alter().table(Alias::new("payments")).add_column(redirect).to_owned()).await?;
        m.create_table(
            Table::create()
                .table(ProcessorEvents::Table)
                .if_not_exists()
                .col(uuid(ProcessorEvents::ProcessorAccountId))
                .col(string(ProcessorEvents::EventId))
                .col(string(ProcessorEvents::EventType))
                .col(timestamp_with_time_zone(ProcessorEvents::ReceivedAt))
                .primary_key(Index::create().col(ProcessorEvents::ProcessorAccountId).col(ProcessorEvents::EventId))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ProcessorEvents::Table).to_owned()).await?;
        let drop = Table::alter().table(Alias::new("payments")).drop_column(Alias::new("next_action_url")).to_owned();
        m.alter_table(drop).await?;
        for table in [Alias::new("payments"), Alias::new("refunds")] {
            let drop = Table::alter().table(table).drop_column(Alias::new("processor_reference")).to_owned();
            m.alter_table(drop).await?;
        }
        for table in [Alias::new("card_tokens"), Alias::new("payment_profiles"), Alias::new("payments")] {
            let drop = Table::alter().table(table).drop_column(Alias::new("processor_account_id")).to_owned();
            m.alter_table(drop).await?;
        }
        m.drop_table(Table::drop().table(ProcessorAccounts::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ProcessorAccounts {
    Table,
    Id,
    MerchantId,
    Kind,
    Label,
    SecretKeySealed,
    WebhookSecretSealed,
    ConnectedAt,
    DisconnectedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ProcessorEvents {
    Table,
    ProcessorAccountId,
    EventId,
    EventType,
    ReceivedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Merchants {
    Table,
    Id,
}
