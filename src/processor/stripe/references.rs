//! Where the connector keeps Stripe's ids: on paygraph's own payment and refund rows, so
//! whichever instance asks next finds them.

use uuid::Uuid;

use crate::processor::ProcessorError;
use crate::storage::{self, Database};

#[derive(Clone)]
pub struct References {
    db: Database,
}

fn fault(error: sea_orm::DbErr) -> ProcessorError {
    ProcessorError(format!("the processor reference could not be read or stored: {error}"))
}

impl References {
    pub fn new(db: Database) -> References {
        References { db }
    }

    pub async fn charge(&self, payment: Uuid) -> Result<Option<String>, ProcessorError> {
        storage::processor_accounts::charge_reference(&self.db, payment).await.map_err(fault)
    }

    /// Stores it unless one is stored; answers the stored one.
    pub async fn record_charge(&self, payment: Uuid, reference: &str) -> Result<String, ProcessorError> {
        storage::processor_accounts::record_charge_reference(&self.db, payment, reference).await.map_err(fault)
    }

    /// The vault row `payment` charges now holds `token` (its card attached for later use).
    pub async fn record_reusable_token(&self, payment: Uuid, token: &str) -> Result<(), ProcessorError> {
        storage::processor_accounts::record_reusable_token(&self.db, payment, token).await.map_err(fault)
    }

    pub async fn refund(&self, refund: Uuid) -> Result<Option<String>, ProcessorError> {
        let stored = storage::processor_accounts::refund_reference(&self.db, refund).await.map_err(fault)?;
        Ok(stored.and_then(|(reference, _)| reference))
    }

    pub async fn payment_of_refund(&self, refund: Uuid) -> Result<Option<Uuid>, ProcessorError> {
        let stored = storage::processor_accounts::refund_reference(&self.db, refund).await.map_err(fault)?;
        Ok(stored.map(|(_, payment)| payment))
    }

    pub async fn record_refund(&self, refund: Uuid, reference: &str) -> Result<(), ProcessorError> {
        storage::processor_accounts::record_refund_reference(&self.db, refund, reference).await.map_err(fault)
    }
}
