//! Customers: who pays. Owned by one merchant.

use std::collections::BTreeMap;

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{Services, validate};
use crate::domain::{CustomerId, MerchantId};
use crate::error::{AppError, AppResult};
use crate::storage::entities::customer;

/// The fields a customer is created with.
#[derive(Debug, Default)]
pub struct CustomerInput {
    pub email: Option<String>,
    pub name: Option<String>,
    pub external_reference: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
}

/// A partial update: `None` keeps a field, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct CustomerUpdate {
    pub email: Option<Option<String>>,
    pub name: Option<Option<String>>,
    pub external_reference: Option<Option<String>>,
    pub metadata: Option<BTreeMap<String, String>>,
}

pub use crate::storage::listings::CustomerFilter;
use crate::storage::listings::Listing;

impl Services {
    #[tracing::instrument(skip(self, input))]
    pub async fn create_customer(&self, merchant: MerchantId, input: CustomerInput) -> AppResult<customer::Model> {
        let now = self.now();
        let row = customer::ActiveModel {
            id: Set(Uuid::new_v4()),
            merchant_id: Set(merchant.0),
            email: Set(validate::email(input.email, &["input", "email"])?),
            name: Set(validate::text(input.name, 200, &["input", "name"])?),
            external_reference: Set(validate::text(input.external_reference, 200, &["input", "externalReference"])?),
            metadata: Set(validate::metadata(input.metadata, &["input", "metadata"])?),
            created_at: Set(now),
            updated_at: Set(now),
        };
        Ok(row.insert(&self.db).await?)
    }

    #[tracing::instrument(skip(self, update))]
    pub async fn update_customer(
        &self,
        merchant: MerchantId,
        id: CustomerId,
        update: CustomerUpdate,
    ) -> AppResult<customer::Model> {
        // Validate everything before touching anything.
        let email = update.email.map(|e| validate::email(e, &["input", "email"])).transpose()?;
        let name = update.name.map(|n| validate::text(n, 200, &["input", "name"])).transpose()?;
        let reference =
            update.external_reference.map(|r| validate::text(r, 200, &["input", "externalReference"])).transpose()?;
        let metadata = update.metadata.map(|m| validate::metadata(Some(m), &["input", "metadata"])).transpose()?;
        let existing =
            self.customer(merchant, id).await?.ok_or_else(|| AppError::not_found(&["input", "id"], "customer"))?;
        let mut row: customer::ActiveModel = existing.into();
        if let Some(email) = email {
            row.email = Set(email);
        }
        if let Some(name) = name {
            row.name = Set(name);
        }
        if let Some(reference) = reference {
            row.external_reference = Set(reference);
        }
        if let Some(metadata) = metadata {
            row.metadata = Set(metadata);
        }
        row.updated_at = Set(self.now());
        Ok(row.update(&self.db).await?)
    }

    pub async fn customer(&self, merchant: MerchantId, id: CustomerId) -> AppResult<Option<customer::Model>> {
        Ok(customer::Entity::find_by_id(id.0).filter(customer::Column::MerchantId.eq(merchant.0)).one(&self.db).await?)
    }

    /// The merchant's customers matching `filter`, for a connection.
    pub fn customers_query(&self, merchant: MerchantId, filter: CustomerFilter) -> Listing<customer::Entity> {
        crate::storage::listings::customers(merchant, filter)
    }
}
