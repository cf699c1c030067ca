//! Customers: who pays. Owned by one merchant.

use std::collections::BTreeMap;

use super::{Core, validate};
use crate::domain::customer::Customer;
use crate::domain::{CustomerId, MerchantId};
use crate::error::{AppError, AppResult};
use crate::storage::kinds;
pub use crate::storage::listings::CustomerFilter;
use crate::storage::listings::Listing;
use crate::storage::records;

/// The fields a customer is created with.
#[derive(Debug, Default)]
pub struct CustomerInput {
    pub email: Option<String>,
    pub name: Option<String>,
    pub external_reference: Option<String>,
    pub preferred_locale: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
}

/// A partial update: `None` keeps a field, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct CustomerUpdate {
    pub email: Option<Option<String>>,
    pub name: Option<Option<String>>,
    pub external_reference: Option<Option<String>>,
    pub preferred_locale: Option<Option<String>>,
    pub metadata: Option<BTreeMap<String, String>>,
}

/// Customers: create, update, read.
#[derive(Clone)]
pub struct Customers {
    core: Core,
}

impl Customers {
    pub fn new(core: Core) -> Self {
        Customers { core }
    }
}

impl Customers {
    #[tracing::instrument(skip(self, input))]
    pub async fn create(&self, merchant: MerchantId, input: CustomerInput) -> AppResult<Customer> {
        let now = self.core.now();
        let row = Customer {
            id: CustomerId::new(),
            merchant,
            email: validate::email(input.email, &["input", "email"])?,
            name: validate::text(input.name, 200, &["input", "name"])?,
            external_reference: validate::text(input.external_reference, 200, &["input", "externalReference"])?,
            preferred_locale: validate::locale(input.preferred_locale, &["input", "preferredLocale"])?,
            metadata: validate::metadata_map(input.metadata, &["input", "metadata"])?,
            created_at: now,
            updated_at: now,
        };
        Ok(records::insert::<kinds::Customers>(&self.core.db, row).await?)
    }

    #[tracing::instrument(skip(self, update))]
    pub async fn update(&self, merchant: MerchantId, id: CustomerId, update: CustomerUpdate) -> AppResult<Customer> {
        // Validate everything before touching anything.
        let email = update.email.map(|e| validate::email(e, &["input", "email"])).transpose()?;
        let name = update.name.map(|n| validate::text(n, 200, &["input", "name"])).transpose()?;
        let reference =
            update.external_reference.map(|r| validate::text(r, 200, &["input", "externalReference"])).transpose()?;
        let metadata = update.metadata.map(|m| validate::metadata_map(Some(m), &["input", "metadata"])).transpose()?;
        let locale = update.preferred_locale.map(|l| validate::locale(l, &["input", "preferredLocale"])).transpose()?;
        let existing =
            self.get(merchant, id).await?.ok_or_else(|| AppError::not_found(&["input", "id"], "customer"))?;
        let mut row = existing.clone();
        if let Some(email) = email {
            row.email = email;
        }
        if let Some(name) = name {
            row.name = name;
        }
        if let Some(reference) = reference {
            row.external_reference = reference;
        }
        if let Some(locale) = locale {
            row.preferred_locale = locale;
        }
        if let Some(metadata) = metadata {
            row.metadata = metadata;
        }
        row.updated_at = self.core.now();
        let saved = records::save_changes::<kinds::Customers>(&self.core.db, existing, row).await?;
        self.core.customer_changed(merchant, id).await;
        Ok(saved)
    }

    pub async fn get(&self, merchant: MerchantId, id: CustomerId) -> AppResult<Option<Customer>> {
        Ok(records::find::<kinds::Customers>(&self.core.db, merchant, id.0).await?)
    }

    /// The merchant's customers matching `filter`, for a connection.
    pub fn listing(&self, merchant: MerchantId, filter: CustomerFilter) -> Listing<kinds::Customers> {
        crate::storage::listings::customers(merchant, filter)
    }
}
