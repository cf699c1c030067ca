//! Payment sessions: reading, listing, canceling and expiring; creation is in `create`.
//! Every status change goes through `Core::change_status` (see `service::transition`).

mod create;

use std::collections::BTreeMap;

use crate::storage::listings::Listing;
pub use crate::storage::listings::SessionFilter;
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;

use super::Core;
use super::auth::CLIENT_SECRET_PREFIX;
use crate::domain::capture::CaptureMethod;
use crate::domain::new_secret;
use crate::domain::session::PaymentSession;
use crate::domain::stats::{self, Bucket, MAX_BUCKETS, StatsInterval};
use crate::domain::{
    CustomerId, LinkId, MerchantId, OrderId, PaymentMethodType, SessionId, SessionPurpose, SessionStatus,
    SubscriptionId,
};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage;
use crate::storage::kinds;

/// Methods a session accepts when the merchant names none.
pub(super) const DEFAULT_METHODS: [PaymentMethodType; 3] =
    [PaymentMethodType::Card, PaymentMethodType::Wallet, PaymentMethodType::BankTransfer];

/// An amount as the client typed it, validated by purpose.
#[derive(Debug, Clone, Serialize)]
pub struct AmountInput {
    pub amount: i64,
    pub currency: String,
}

/// What `createPaymentSession` asks for; its canonical JSON is the idempotency hash.
#[derive(Debug, Clone, Serialize)]
pub struct SessionInput {
    pub purpose: SessionPurpose,
    pub amount: Option<AmountInput>,
    pub customer: Option<CustomerId>,
    pub order: Option<OrderId>,
    pub subscription: Option<SubscriptionId>,
    pub allowed_payment_methods: Option<Vec<PaymentMethodType>>,
    pub expires_in_seconds: Option<i64>,
    pub save_payment_profile: Option<bool>,
    /// With a saved profile: make it the customer's default.
    pub set_profile_as_default: Option<bool>,
    /// OUTSTANDING_BALANCE only: which currency's charges to pay, when the customer owes in
    /// several.
    pub currency: Option<String>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub success_url: Option<String>,
    /// The payment link whose visit opens this session (set by paygraph, never by a client).
    pub payment_link: Option<LinkId>,
    /// Left out of the hash when not given, so keys recorded before it existed still match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture_method: Option<CaptureMethod>,
    /// The language of its pages; left out of the hash when not given, as above.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

impl SessionInput {
    /// A session of `purpose` with nothing else set.
    pub fn new(purpose: SessionPurpose) -> Self {
        SessionInput {
            purpose,
            amount: None,
            customer: None,
            order: None,
            subscription: None,
            allowed_payment_methods: None,
            expires_in_seconds: None,
            save_payment_profile: None,
            set_profile_as_default: None,
            currency: None,
            metadata: None,
            success_url: None,
            payment_link: None,
            capture_method: None,
            locale: None,
        }
    }
}

/// Payment sessions: create, read, cancel, expire.
#[derive(Clone)]
pub struct Sessions {
    core: Core,
    customers: super::customers::Customers,
    orders: super::orders::Orders,
    subscriptions: super::subscriptions::Subscriptions,
    balances: super::balances::Balances,
    /// Which methods the merchant's processor takes.
    processors: std::sync::Arc<crate::processor::Processors>,
}

impl Sessions {
    pub fn new(
        core: Core,
        customers: super::customers::Customers,
        orders: super::orders::Orders,
        subscriptions: super::subscriptions::Subscriptions,
        balances: super::balances::Balances,
        processors: std::sync::Arc<crate::processor::Processors>,
    ) -> Self {
        Sessions { core, customers, orders, subscriptions, balances, processors }
    }
}

impl Sessions {
    pub async fn get(&self, merchant: MerchantId, id: SessionId) -> AppResult<Option<PaymentSession>> {
        Ok(crate::storage::sessions::session(&self.core.db, merchant, id.0).await?)
    }

    /// The merchant's sessions matching `filter`, for a connection.
    pub fn listing(&self, merchant: MerchantId, filter: SessionFilter) -> Listing<kinds::Sessions> {
        crate::storage::listings::sessions(merchant, filter)
    }

    /// Cancels an open session (or one waiting on 3-D Secure): the customer can no longer pay.
    #[tracing::instrument(skip(self))]
    pub async fn cancel(&self, merchant: MerchantId, id: SessionId) -> AppResult<PaymentSession> {
        let session =
            self.get(merchant, id).await?.ok_or_else(|| AppError::not_found(&["input", "id"], "payment session"))?;
        Ok(self.core.change_status(&session, SessionStatus::Canceled).await?.0)
    }

    /// Expires a session now, as the merchant asks (the sweeper does it at `expiresAt`).
    #[tracing::instrument(skip(self))]
    pub async fn expire(&self, merchant: MerchantId, id: SessionId) -> AppResult<PaymentSession> {
        let session =
            self.get(merchant, id).await?.ok_or_else(|| AppError::not_found(&["input", "id"], "payment session"))?;
        Ok(self.core.change_status(&session, SessionStatus::Expired).await?.0)
    }

    /// `merchant`'s sessions created in `[since, until)` (until: now), counted per bucket of
    /// `interval`, status and currency, in one statement.
    pub async fn stats(
        &self,
        merchant: MerchantId,
        since: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
        interval: StatsInterval,
    ) -> AppResult<Vec<Bucket>> {
        // Buckets are counted in whole seconds from `since`.
        let since = since.trunc_subsecs(0);
        let until = until.unwrap_or_else(|| self.core.now());
        if until <= since {
            return Err(AppError::user(&["until"], ErrorCode::InvalidPeriod, "`until` must be after `since`"));
        }
        if stats::bucket_count(since, until, interval).is_none() {
            let message = format!("at most {MAX_BUCKETS} buckets: a longer interval, or a shorter range");
            return Err(AppError::user(&["interval"], ErrorCode::TooManyBuckets, message));
        }
        let groups = storage::totals::session_stats(&self.core.db, merchant.0, since, until, interval).await?;
        Ok(stats::buckets(since, until, interval, &groups))
    }
}

/// A new OPEN session at version 1 with a fresh client secret and nothing paid yet; the
/// caller sets what its purpose needs.
pub(super) fn open_session(
    merchant: MerchantId,
    purpose: SessionPurpose,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> PaymentSession {
    PaymentSession {
        id: SessionId::new(),
        merchant,
        status: SessionStatus::Open,
        version: 1,
        purpose,
        amount: None,
        customer: None,
        order: None,
        subscription: None,
        payment_link: None,
        payment_profile: None,
        allowed_methods: DEFAULT_METHODS.to_vec(),
        save_payment_profile: false,
        set_profile_as_default: false,
        capture_method: CaptureMethod::Automatic,
        attempt_count: 0,
        client_secret: new_secret(CLIENT_SECRET_PREFIX),
        success_url: None,
        locale: None,
        metadata: BTreeMap::new(),
        expires_at,
        created_at: now,
        updated_at: now,
    }
}
