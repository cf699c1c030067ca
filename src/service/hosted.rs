//! What the hosted payment page shows: a session found by its client secret, with its
//! merchant's branding and, for an order, the order's lines.

use super::Core;
use super::auth::CLIENT_SECRET_PREFIX;
use crate::domain::SessionStatus;
use crate::domain::merchant::Merchant;
use crate::domain::order::LineItem;
use crate::domain::payment::Payment;
use crate::domain::refund::Refund;
use crate::domain::session::PaymentSession;
use crate::error::AppResult;
use crate::storage;

/// One session as its hosted page presents it.
pub struct HostedView {
    pub session: PaymentSession,
    pub merchant: Merchant,
    /// The order's lines (CHECKOUT), else empty.
    pub items: Vec<LineItem>,
    /// Money given back of the session's payment, oldest first.
    pub refunds: Vec<Refund>,
    /// A completed MANUAL session's payment: held, captured or released.
    pub held: Option<Payment>,
}

/// What the hosted page shows.
#[derive(Clone)]
pub struct Hosted {
    core: Core,
    merchants: super::merchants::Merchants,
}

impl Hosted {
    pub fn new(core: Core, merchants: super::merchants::Merchants) -> Self {
        Hosted { core, merchants }
    }
}

impl Hosted {
    /// The session whose client secret this is, or `None` (an unknown secret is a 404).
    pub async fn view(&self, client_secret: &str) -> AppResult<Option<HostedView>> {
        if !client_secret.starts_with(CLIENT_SECRET_PREFIX) {
            return Ok(None);
        }
        let Some(session) = storage::sessions::by_client_secret(&self.core.db, client_secret).await? else {
            return Ok(None);
        };
        let merchant = self.merchants.get(session.merchant).await?;
        let items = match session.order {
            Some(order) => storage::orders::line_items(&self.core.db, order.0).await?,
            None => Vec::new(),
        };
        // Only a completed session's payment can have been refunded.
        let refunds = match session.status {
            SessionStatus::Completed => storage::refunds::of_session(&self.core.db, session.id.0).await?,
            _ => Vec::new(),
        };
        let held = match (session.status, session.captures_at_once()) {
            (SessionStatus::Completed, false) => {
                storage::holds::completing_payment(&self.core.db, session.id.0).await?
            }
            _ => None,
        };
        Ok(Some(HostedView { session, merchant, items, refunds, held }))
    }

    /// The language the merchant chose for a page of `view`: the session's, else its
    /// customer's preference; `None` leaves it to the browser. Only pages with text ask.
    pub async fn locale(&self, view: &HostedView) -> AppResult<Option<crate::domain::locale::Locale>> {
        let session = &view.session;
        Ok(match (session.locale, session.customer) {
            (Some(locale), _) => Some(locale),
            (None, Some(customer)) => {
                let customer =
                    storage::records::find::<storage::kinds::Customers>(&self.core.db, session.merchant, customer.0)
                        .await?;
                customer.and_then(|c| c.preferred_locale)
            }
            (None, None) => None,
        })
    }
}
