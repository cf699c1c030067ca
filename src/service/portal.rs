//! The customer portal: a link a merchant hands one customer (`createCustomerPortalSession`)
//! to see and manage what they have with it. Every action here is the API's own use case
//! (set a default, remove a method, cancel or keep a subscription, open a session to pay or
//! to save a card), called for the portal's customer only: anything of another customer or
//! merchant reads as missing, as a foreign id does in the API.

use std::net::IpAddr;

use tokio::sync::broadcast;

use super::Core;
use super::profiles::Renewals;
use super::sessions::SessionInput;
use crate::domain::customer::Customer;
use crate::domain::locale::Locale;
use crate::domain::merchant::Merchant;
use crate::domain::payment::Payment;
use crate::domain::portal::{self, PortalSession};
use crate::domain::profile::PaymentProfile;
use crate::domain::refund::Refund;
use crate::domain::session::PaymentSession;
use crate::domain::subscription::Subscription;
use crate::domain::{CustomerId, MerchantId, Money, PaymentId, ProfileId, SessionPurpose, SubscriptionId, TypedId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage;

/// What `createCustomerPortalSession` asks for.
#[derive(Debug, Clone)]
pub struct PortalInput {
    pub customer: CustomerId,
    pub return_url: Option<String>,
    pub locale: Option<String>,
    pub expires_in_seconds: Option<i64>,
}

/// A portal link as its holder presents it.
pub enum Access {
    Open(PortalSession),
    /// It was a portal, and is no more.
    Expired(PortalSession),
    Unknown,
}

/// Everything a portal page shows of its customer.
pub struct PortalView {
    pub portal: PortalSession,
    pub merchant: Merchant,
    pub customer: Customer,
    /// Saved methods, the default first.
    pub profiles: Vec<PaymentProfile>,
    pub subscriptions: Vec<Subscription>,
    /// What the customer owes, per currency (positive amounts).
    pub owed: Vec<Money>,
    /// Payments that took or hold money, newest first, with their refunds.
    pub payments: Vec<(Payment, Vec<Refund>)>,
}

/// A change an open portal shows without a reload: one customer's, or (after the bus was
/// away) anyone's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Changed {
    /// One of the customer's sessions changed (its event reached this instance's hub).
    Session {
        merchant: MerchantId,
        customer: CustomerId,
    },
    Customer {
        merchant: MerchantId,
        customer: CustomerId,
    },
    Everyone,
}

impl Changed {
    /// What the live stream says changed: `sessions` (a payment of theirs moved), `account`
    /// (methods, subscriptions, preferences) or `everything` (the bus was away).
    pub fn what(self) -> &'static str {
        match self {
            Changed::Session { .. } => "sessions",
            Changed::Customer { .. } => "account",
            Changed::Everyone => "everything",
        }
    }

    pub fn concerns(self, portal: &PortalSession) -> bool {
        match self {
            Changed::Session { merchant, customer } | Changed::Customer { merchant, customer } => {
                merchant == portal.merchant && customer == portal.customer
            }
            Changed::Everyone => true,
        }
    }
}

#[derive(Clone)]
pub struct Portals {
    core: Core,
    public_url: String,
    customers: super::customers::Customers,
    merchants: super::merchants::Merchants,
    profiles: super::profiles::Profiles,
    subscriptions: super::subscriptions::Subscriptions,
    balances: super::balances::Balances,
    sessions: super::sessions::Sessions,
    audit: super::audit::Audit,
    changes: broadcast::Sender<Changed>,
}

/// The services a portal acts through.
pub struct PortalDependencies {
    pub core: Core,
    pub public_url: String,
    pub customers: super::customers::Customers,
    pub merchants: super::merchants::Merchants,
    pub profiles: super::profiles::Profiles,
    pub subscriptions: super::subscriptions::Subscriptions,
    pub balances: super::balances::Balances,
    pub sessions: super::sessions::Sessions,
    pub audit: super::audit::Audit,
}

impl Portals {
    pub fn new(deps: PortalDependencies) -> Self {
        // A portal that falls this far behind reads everything again (`Lagged` is a change).
        let (changes, _) = broadcast::channel(1024);
        Portals {
            core: deps.core,
            public_url: deps.public_url,
            customers: deps.customers,
            merchants: deps.merchants,
            profiles: deps.profiles,
            subscriptions: deps.subscriptions,
            balances: deps.balances,
            sessions: deps.sessions,
            audit: deps.audit,
            changes,
        }
    }

    /// Hands a change to every open portal of this instance (they pick their customer's).
    pub fn changed(&self, change: Changed) {
        let _ = self.changes.send(change); // No portal open: nobody to tell.
    }

    /// Changes from now on, for a portal page's live stream.
    pub fn changes(&self) -> broadcast::Receiver<Changed> {
        self.changes.subscribe()
    }

    pub fn url(&self, portal: &PortalSession) -> String {
        portal.url(&self.public_url)
    }
}

impl Portals {
    /// Opens a portal for one of `merchant`'s customers.
    #[tracing::instrument(skip(self, input))]
    pub async fn create(&self, merchant: MerchantId, input: PortalInput) -> AppResult<PortalSession> {
        let seconds = input.expires_in_seconds.unwrap_or(portal::DEFAULT_LIFETIME_SECONDS);
        if !portal::lifetime_in_bounds(seconds) {
            let message = format!(
                "must be between {} and {} seconds",
                portal::MIN_LIFETIME_SECONDS,
                portal::MAX_LIFETIME_SECONDS
            );
            return Err(AppError::user(&["input", "expiresInSeconds"], ErrorCode::ExpiryOutOfRange, message));
        }
        let return_url = super::validate::url(input.return_url, &["input", "returnUrl"])?;
        let locale = super::validate::locale(input.locale, &["input", "locale"])?;
        self.customers
            .get(merchant, input.customer)
            .await?
            .ok_or_else(|| AppError::not_found(&["input", "customerId"], "customer"))?;
        let portal = PortalSession::open(merchant, input.customer, self.core.now(), seconds, return_url, locale);
        Ok(storage::portals::insert(&self.core.db, portal).await?)
    }

    /// The merchant's portal session `id`.
    pub async fn get(&self, merchant: MerchantId, id: crate::domain::PortalId) -> AppResult<Option<PortalSession>> {
        Ok(storage::portals::find(&self.core.db, merchant, id).await?)
    }

    /// The portal a link's secret opens.
    pub async fn open(&self, secret: &str) -> AppResult<Access> {
        if !secret.starts_with(portal::SECRET_PREFIX) {
            return Ok(Access::Unknown);
        }
        Ok(match storage::portals::by_secret(&self.core.db, secret).await? {
            Some(found) if found.expired(self.core.now()) => Access::Expired(found),
            Some(found) => Access::Open(found),
            None => Access::Unknown,
        })
    }

    /// What the portal shows.
    pub async fn view(&self, portal: &PortalSession) -> AppResult<PortalView> {
        let db = &self.core.db;
        let customer = self
            .customers
            .get(portal.merchant, portal.customer)
            .await?
            .ok_or_else(|| anyhow::anyhow!("a portal's customer is gone"))?;
        let payments = storage::portals::payments_of(db, portal).await?;
        let mut refunds = storage::portals::refunds_of(db, &payments).await?;
        let payments = payments
            .into_iter()
            .map(|payment| {
                let (of, rest) = refunds.drain(..).partition(|r: &Refund| r.payment == payment.id);
                refunds = rest;
                (payment, of)
            })
            .collect();
        let owed = self
            .balances
            .balances(portal.merchant, portal.customer)
            .await?
            .into_iter()
            .filter(|m| m.amount() < 0)
            .map(|m| Money::from_stored(-m.amount(), m.currency()))
            .collect();
        Ok(PortalView {
            merchant: self.merchants.get(portal.merchant).await?,
            customer,
            profiles: storage::portals::profiles_of(db, portal).await?,
            subscriptions: storage::portals::subscriptions_of(db, portal).await?,
            owed,
            payments,
            portal: portal.clone(),
        })
    }

    /// The language the portal speaks, as chosen by the merchant or the customer; `None`
    /// leaves it to the browser.
    pub async fn locale(&self, portal: &PortalSession) -> AppResult<Option<Locale>> {
        if portal.locale.is_some() {
            return Ok(portal.locale);
        }
        let customer = self.customers.get(portal.merchant, portal.customer).await?;
        Ok(customer.and_then(|c| c.preferred_locale))
    }

    /// One payment of the customer, with its refunds and session, for a receipt.
    pub async fn receipt(
        &self,
        portal: &PortalSession,
        payment: PaymentId,
    ) -> AppResult<Option<(Payment, Vec<Refund>, PaymentSession)>> {
        let db = &self.core.db;
        let found = storage::payments::merchant_payment(db, portal.merchant, payment.0).await?;
        let Some(payment) = found.filter(|p| p.customer == Some(portal.customer)) else { return Ok(None) };
        let refunds = storage::portals::refunds_of(db, std::slice::from_ref(&payment)).await?;
        let session = self.sessions.get(portal.merchant, payment.session).await?;
        Ok(session.map(|session| (payment, refunds, session)))
    }
}

/// What the customer does in the portal: each the API's use case, for this customer only,
/// recorded in the audit trail as the customer's.
impl Portals {
    pub async fn make_default(&self, portal: &PortalSession, ip: Option<IpAddr>, id: ProfileId) -> AppResult<()> {
        let work = async {
            self.own_profile(portal, id).await?;
            self.profiles.set_default(portal.merchant, id).await.map(drop)
        };
        self.audit.portal(portal, "setDefaultPaymentProfile", ip, &[id.to_global()], work).await
    }

    pub async fn remove(&self, portal: &PortalSession, ip: Option<IpAddr>, id: ProfileId) -> AppResult<()> {
        let work = async {
            self.own_profile(portal, id).await?;
            self.profiles.remove(portal.merchant, id, Renewals::Keep).await.map(drop)
        };
        self.audit.portal(portal, "removePaymentProfile", ip, &[id.to_global()], work).await
    }

    /// Cancels at period end (`true`) or takes that back (`false`).
    pub async fn cancel_at_period_end(
        &self,
        portal: &PortalSession,
        ip: Option<IpAddr>,
        id: SubscriptionId,
        cancel: bool,
    ) -> AppResult<()> {
        let work = async {
            self.own_subscription(portal, id).await?;
            match cancel {
                true => self.subscriptions.cancel(portal.merchant, id, true).await.map(drop),
                false => self.subscriptions.resume(portal.merchant, id).await.map(drop),
            }
        };
        let action = if cancel { "cancelSubscription" } else { "updateSubscription" };
        self.audit.portal(portal, action, ip, &[id.to_global()], work).await
    }

    pub async fn renew_on(
        &self,
        portal: &PortalSession,
        ip: Option<IpAddr>,
        id: SubscriptionId,
        profile: ProfileId,
    ) -> AppResult<()> {
        let work = async {
            self.own_subscription(portal, id).await?;
            self.own_profile(portal, profile).await?;
            self.subscriptions.renew_on(portal.merchant, id, profile).await.map(drop)
        };
        self.audit.portal(portal, "updateSubscription", ip, &[id.to_global(), profile.to_global()], work).await
    }

    /// A SETUP session to save a card on the hosted page (3-D Secure there when the card
    /// asks), coming back to the portal.
    pub async fn add_card(&self, portal: &PortalSession, ip: Option<IpAddr>) -> AppResult<PaymentSession> {
        let mut input = self.session_back_here(portal, SessionPurpose::Setup).await?;
        input.allowed_payment_methods = Some(vec![crate::domain::PaymentMethodType::Card]);
        let work = self.sessions.create(portal.merchant, input, None);
        self.audit.portal(portal, "createPaymentSession", ip, &[], work).await
    }

    /// An OUTSTANDING_BALANCE session for what the customer owes in `currency`, paid on the
    /// hosted page and coming back to the portal.
    pub async fn pay_balance(
        &self,
        portal: &PortalSession,
        ip: Option<IpAddr>,
        currency: String,
    ) -> AppResult<PaymentSession> {
        let mut input = self.session_back_here(portal, SessionPurpose::OutstandingBalance).await?;
        input.currency = Some(currency);
        let work = self.sessions.create(portal.merchant, input, None);
        self.audit.portal(portal, "createPaymentSession", ip, &[], work).await
    }

    /// The customer's language, kept as their preference and this portal's.
    pub async fn choose_language(&self, portal: &PortalSession, ip: Option<IpAddr>, tag: String) -> AppResult<()> {
        let work = async {
            let Some(locale) = super::validate::locale(Some(tag), &["locale"])? else { return Ok(()) };
            let tag = Some(Some(locale.as_str().to_owned()));
            let update = super::customers::CustomerUpdate { preferred_locale: tag, ..Default::default() };
            self.customers.update(portal.merchant, portal.customer, update).await?;
            Ok(storage::portals::set_locale(&self.core.db, portal.id, locale).await?)
        };
        self.audit.portal(portal, "updateCustomer", ip, &[portal.customer.to_global()], work).await
    }

    async fn session_back_here(&self, portal: &PortalSession, purpose: SessionPurpose) -> AppResult<SessionInput> {
        let mut input = SessionInput::new(purpose);
        input.customer = Some(portal.customer);
        input.success_url = Some(self.url(portal));
        input.locale = self.locale(portal).await?.map(|l| l.as_str().to_owned());
        Ok(input)
    }

    /// The profile `id`, if it is a live one of the portal's customer.
    async fn own_profile(&self, portal: &PortalSession, id: ProfileId) -> AppResult<PaymentProfile> {
        let found = self.profiles.get(portal.merchant, id).await?;
        found.filter(|p| p.customer == portal.customer).ok_or_else(|| AppError::not_found(&["id"], "payment profile"))
    }

    async fn own_subscription(&self, portal: &PortalSession, id: SubscriptionId) -> AppResult<Subscription> {
        let found = self.subscriptions.get(portal.merchant, id).await?;
        found.filter(|s| s.customer == portal.customer).ok_or_else(|| AppError::not_found(&["id"], "subscription"))
    }
}
