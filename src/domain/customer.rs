//! A merchant's customer: who pays, saves methods, holds a balance and subscribes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{CustomerId, MerchantId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    pub id: CustomerId,
    pub merchant: MerchantId,
    pub email: Option<String>,
    pub name: Option<String>,
    pub external_reference: Option<String>,
    /// The language the customer reads paygraph's pages in.
    pub preferred_locale: Option<super::locale::Locale>,
    pub metadata: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
