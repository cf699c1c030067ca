//! What the hosted payment page shows: a session found by its client secret, with its
//! merchant's branding and, for an order, the order's lines.

use super::Services;
use super::auth::CLIENT_SECRET_PREFIX;
use crate::domain::merchant::Merchant;
use crate::domain::order::LineItem;
use crate::domain::session::PaymentSession;
use crate::error::AppResult;
use crate::storage;

/// One session as its hosted page presents it.
pub struct HostedView {
    pub session: PaymentSession,
    pub merchant: Merchant,
    /// The order's lines (CHECKOUT), else empty.
    pub items: Vec<LineItem>,
}

impl Services {
    /// The session whose client secret this is, or `None` (an unknown secret is a 404).
    pub async fn hosted_view(&self, client_secret: &str) -> AppResult<Option<HostedView>> {
        if !client_secret.starts_with(CLIENT_SECRET_PREFIX) {
            return Ok(None);
        }
        let Some(session) = storage::sessions::by_client_secret(&self.db, client_secret).await? else {
            return Ok(None);
        };
        let merchant = self.merchant(session.merchant).await?;
        let items = match session.order {
            Some(order) => storage::orders::line_items(&self.db, order.0).await?,
            None => Vec::new(),
        };
        Ok(Some(HostedView { session, merchant, items }))
    }
}
