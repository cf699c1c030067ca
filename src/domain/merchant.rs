//! A merchant: a tenant, and the name and branding its hosted pages show.

use chrono::{DateTime, Utc};

use super::MerchantId;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merchant {
    pub id: MerchantId,
    pub name: String,
    /// Shown at the top of the hosted page (https only).
    pub logo_url: Option<String>,
    /// `#rrggbb`.
    pub accent_color: Option<String>,
    /// Web origins its browser apps call the API from (CORS), each `scheme://host[:port]`.
    pub allowed_origins: Vec<String>,
    pub created_at: DateTime<Utc>,
}
