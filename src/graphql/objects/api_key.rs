use async_graphql::{ID, Object};
use chrono::{DateTime, Utc};

use crate::domain::{self, TypedId};
use crate::graphql::enums::ApiKeyScope;

/// One of the merchant's secret keys. The secret itself is shown once, when the key is
/// created or rolled; this is what identifies it afterwards.
pub struct ApiKey(pub domain::api_key::ApiKey);

#[Object]
impl ApiKey {
    pub async fn id(&self) -> ID {
        ID(self.0.id.to_global())
    }
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    /// The secret's first characters (`sk_test_` and 4 more).
    async fn prefix(&self) -> &str {
        &self.0.prefix
    }
    async fn scope(&self) -> ApiKeyScope {
        self.0.scope.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the key last opened the API (to the minute).
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    /// A rolled key stops working then.
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}
