//! A customer portal session: a link a merchant hands one customer, through which they
//! manage what they have with the merchant (saved methods, subscriptions, what they owe,
//! receipts) for a while. It names one customer and grants nothing else.

use chrono::{DateTime, Duration, Utc};

use super::locale::Locale;
use super::{CustomerId, MerchantId, PortalId};

/// How long a portal link lasts, unless asked otherwise, and the bounds of what may be asked.
pub const DEFAULT_LIFETIME_SECONDS: i64 = 3_600;
pub const MIN_LIFETIME_SECONDS: i64 = 300;
pub const MAX_LIFETIME_SECONDS: i64 = 86_400;

/// What a portal secret starts with, so a stray one is recognisable in a log or a leak scan.
pub const SECRET_PREFIX: &str = "cps_";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortalSession {
    pub id: PortalId,
    pub merchant: MerchantId,
    pub customer: CustomerId,
    /// The secret in the portal's link: whoever holds it is this customer, until it expires.
    pub secret: String,
    /// Where the portal's "back" link goes.
    pub return_url: Option<String>,
    /// The language the merchant asked for (or the customer chose in the portal).
    pub locale: Option<Locale>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

impl PortalSession {
    /// A portal for `customer` from `now`, lasting `seconds` (already within bounds).
    pub fn open(
        merchant: MerchantId,
        customer: CustomerId,
        now: DateTime<Utc>,
        seconds: i64,
        return_url: Option<String>,
        locale: Option<Locale>,
    ) -> Self {
        PortalSession {
            id: PortalId::new(),
            merchant,
            customer,
            secret: super::new_secret(SECRET_PREFIX),
            return_url,
            locale,
            expires_at: now + Duration::seconds(seconds),
            created_at: now,
        }
    }

    /// The portal's page, under paygraph's public URL.
    pub fn url(&self, public_url: &str) -> String {
        format!("{}/portal/{}", public_url.trim_end_matches('/'), self.secret)
    }

    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }
}

/// Whether `seconds` is a lifetime a portal may be given.
pub fn lifetime_in_bounds(seconds: i64) -> bool {
    (MIN_LIFETIME_SECONDS..=MAX_LIFETIME_SECONDS).contains(&seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_portal_expires_at_its_end_and_not_before() {
        let now = Utc::now();
        let portal = PortalSession::open(MerchantId::new(), CustomerId::new(), now, 300, None, None);
        assert!(!portal.expired(now + Duration::seconds(299)));
        assert!(portal.expired(now + Duration::seconds(300)));
    }

    #[test]
    fn lifetimes_are_bounded() {
        assert!(!lifetime_in_bounds(299));
        assert!(lifetime_in_bounds(300));
        assert!(lifetime_in_bounds(86_400));
        assert!(!lifetime_in_bounds(86_401));
    }
}
