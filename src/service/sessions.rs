//! Payment sessions: creation, reading, and the one path every status change takes.
//!
//! [`Services::change_status`] is that path: the state machine decides, then one
//! transaction moves the session's `version` up by exactly one (compare-and-set on the
//! version read, so of two racing changes exactly one wins) and inserts the event row (the
//! outbox); after commit the event is published. Creation writes the session's first event,
//! version 1 OPEN, the same way.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Select, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::auth::{CLIENT_SECRET_PREFIX, new_secret};
use super::idempotency::{Claimed, request_hash};
use super::{Services, validate};
use crate::domain::session::expiry;
use crate::domain::subscription::SubscriptionStatus;
use crate::domain::{
    CustomerId, LinkId, MerchantId, Money, OrderId, PaymentMethodType, SessionId, SessionPurpose, SessionStatus,
    SubscriptionId,
};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::entities::payment_session;

/// Methods a session accepts when the merchant names none.
const DEFAULT_METHODS: [PaymentMethodType; 3] =
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
        }
    }
}

/// What an idempotency record keeps of `createPaymentSession`: the session it made.
#[derive(Serialize, Deserialize)]
struct CreatedRecord {
    session_id: Uuid,
}

/// Which sessions a listing shows.
#[derive(Debug, Default)]
pub struct SessionFilter {
    pub statuses: Vec<SessionStatus>,
    pub purposes: Vec<SessionPurpose>,
    pub customer: Option<CustomerId>,
    pub order: Option<OrderId>,
    pub subscription: Option<SubscriptionId>,
    pub payment_link: Option<LinkId>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

/// A session's amount, customer and links once its references are checked.
struct Resolved {
    money: Option<Money>,
    customer: Option<CustomerId>,
}

impl Services {
    /// Creates a session for any purpose; see the purpose rules in `resolve_references`.
    #[tracing::instrument(skip(self, input, idempotency_key), fields(purpose = input.purpose.as_str()))]
    pub async fn create_session(
        &self,
        merchant: MerchantId,
        input: SessionInput,
        idempotency_key: Option<String>,
    ) -> AppResult<payment_session::Model> {
        let lifetime = expiry::lifetime(input.expires_in_seconds)
            .map_err(|e| AppError::user(&["input", "expiresInSeconds"], ErrorCode::ExpiryOutOfRange, e.to_string()))?;
        let methods = allowed_methods(&input)?;
        let metadata = validate::metadata(input.metadata.clone(), &["input", "metadata"])?;
        let success_url = validate::url(input.success_url.clone(), &["input", "successUrl"])?;
        let key = validate::idempotency_key(idempotency_key)?;
        check_amount_presence(&input)?;
        check_references_fit_purpose(&input)?;
        let (save_profile, set_as_default) = profile_choice(&input)?;

        let claim = match &key {
            None => None,
            Some(key) => {
                let hash = request_hash(&input)?;
                match self.claim_idempotency::<CreatedRecord>(merchant, "createPaymentSession", key, &hash).await? {
                    Claimed::Replay(record) => return self.replay_created(merchant, record).await,
                    Claimed::Run(claim) => Some(claim),
                }
            }
        };

        let result = async {
            let resolved = self.resolve_references(merchant, &input).await?;
            if save_profile && resolved.customer.is_none() {
                return Err(AppError::user(
                    &["input", "customerId"],
                    ErrorCode::Required,
                    "saving a payment profile needs a customer",
                ));
            }
            let now = self.now();
            let row = payment_session::ActiveModel {
                currency: Set(resolved.money.map(|m| m.currency().code().to_owned())),
                amount: Set(resolved.money.map(Money::amount)),
                customer_id: Set(resolved.customer.map(|c| c.0)),
                order_id: Set(input.order.map(|o| o.0)),
                subscription_id: Set(input.subscription.map(|s| s.0)),
                payment_link_id: Set(input.payment_link.map(|l| l.0)),
                allowed_payment_methods: Set(PaymentMethodType::join(&methods)),
                save_payment_profile: Set(save_profile),
                set_profile_as_default: Set(set_as_default),
                success_url: Set(success_url),
                metadata: Set(metadata),
                ..open_session_row(merchant, input.purpose, now, now + lifetime)
            };
            let txn = self.db.begin().await?;
            let session = row.insert(&txn).await?;
            let event = crate::storage::events::insert_event(&txn, &session, None, now).await?;
            if let Some(claim) = &claim {
                let record = CreatedRecord { session_id: session.id };
                self.complete_idempotency(&txn, claim, &record).await?;
            }
            txn.commit().await?;
            self.publish(event).await;
            Ok(session)
        }
        .await;

        if let (Err(_), Some(claim)) = (&result, claim) {
            self.release_idempotency(claim).await;
        }
        result
    }

    async fn replay_created(&self, merchant: MerchantId, record: CreatedRecord) -> AppResult<payment_session::Model> {
        Ok(self
            .session(merchant, SessionId(record.session_id))
            .await?
            .ok_or_else(|| anyhow::anyhow!("idempotency record names a missing session"))?)
    }

    /// Checks the objects a session points at and derives its amount and customer.
    async fn resolve_references(&self, merchant: MerchantId, input: &SessionInput) -> AppResult<Resolved> {
        let mut customer = match input.customer {
            Some(id) => Some(
                self.customer(merchant, id)
                    .await?
                    .map(|_| id)
                    .ok_or_else(|| AppError::not_found(&["input", "customerId"], "customer"))?,
            ),
            None => None,
        };
        let mismatch = |field: &str| {
            AppError::user(
                &["input", "customerId"],
                ErrorCode::Invalid,
                format!("customerId differs from the {field}'s customer"),
            )
        };
        let typed = |input: &SessionInput| -> AppResult<Option<Money>> {
            input.amount.as_ref().map(|a| validate::money(a.amount, &a.currency, &["input", "amount"])).transpose()
        };
        let money = match input.purpose {
            SessionPurpose::Checkout => {
                let id = input.order.ok_or_else(|| {
                    AppError::user(&["input", "orderId"], ErrorCode::Required, "a CHECKOUT session needs an order")
                })?;
                let order = self
                    .order(merchant, id)
                    .await?
                    .ok_or_else(|| AppError::not_found(&["input", "orderId"], "order"))?;
                if order.status != crate::domain::order::OrderStatus::Open.as_str() {
                    return Err(AppError::user(
                        &["input", "orderId"],
                        ErrorCode::OrderNotPayable,
                        "this order is already paid",
                    ));
                }
                match (customer, order.customer_id) {
                    (Some(c), Some(o)) if c.0 != o => return Err(mismatch("order")),
                    (None, Some(o)) => customer = Some(CustomerId(o)),
                    _ => {}
                }
                let currency = validate::currency(&order.currency, &["input", "orderId"])?;
                Some(Money::from_stored(order.total_amount, currency))
            }
            SessionPurpose::Subscription => {
                let id = input.subscription.ok_or_else(|| {
                    AppError::user(
                        &["input", "subscriptionId"],
                        ErrorCode::Required,
                        "a SUBSCRIPTION session needs a subscription",
                    )
                })?;
                let sub = self
                    .subscription(merchant, id)
                    .await?
                    .ok_or_else(|| AppError::not_found(&["input", "subscriptionId"], "subscription"))?;
                let payable = [SubscriptionStatus::Incomplete.as_str(), SubscriptionStatus::PastDue.as_str()];
                if !payable.contains(&sub.status.as_str()) {
                    return Err(AppError::user(
                        &["input", "subscriptionId"],
                        ErrorCode::SubscriptionNotPayable,
                        "only an INCOMPLETE or PAST_DUE subscription takes a payment session",
                    ));
                }
                if customer.is_some_and(|c| c.0 != sub.customer_id) {
                    return Err(mismatch("subscription"));
                }
                customer = Some(CustomerId(sub.customer_id));
                let currency = validate::currency(&sub.currency, &["input", "subscriptionId"])?;
                Some(Money::from_stored(sub.amount, currency))
            }
            SessionPurpose::OutstandingBalance => {
                let customer = customer.ok_or_else(|| needs_customer(input.purpose))?;
                Some(self.outstanding_amount(merchant, customer, input.currency.as_deref()).await?)
            }
            SessionPurpose::BalanceTopUp => {
                if customer.is_none() {
                    return Err(needs_customer(input.purpose));
                }
                typed(input)?
            }
            SessionPurpose::Payment => typed(input)?,
            SessionPurpose::Setup => {
                if customer.is_none() {
                    return Err(needs_customer(input.purpose));
                }
                None
            }
        };
        Ok(Resolved { money, customer })
    }

    pub async fn session(&self, merchant: MerchantId, id: SessionId) -> AppResult<Option<payment_session::Model>> {
        Ok(payment_session::Entity::find_by_id(id.0)
            .filter(payment_session::Column::MerchantId.eq(merchant.0))
            .one(&self.db)
            .await?)
    }

    /// The merchant's sessions matching `filter`, for a connection.
    pub fn sessions_query(&self, merchant: MerchantId, filter: SessionFilter) -> Select<payment_session::Entity> {
        use payment_session::Column as C;
        let mut select = payment_session::Entity::find().filter(C::MerchantId.eq(merchant.0));
        if !filter.statuses.is_empty() {
            select = select.filter(C::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
        }
        if !filter.purposes.is_empty() {
            select = select.filter(C::Purpose.is_in(filter.purposes.iter().map(|p| p.as_str())));
        }
        if let Some(c) = filter.customer {
            select = select.filter(C::CustomerId.eq(c.0));
        }
        if let Some(o) = filter.order {
            select = select.filter(C::OrderId.eq(o.0));
        }
        if let Some(s) = filter.subscription {
            select = select.filter(C::SubscriptionId.eq(s.0));
        }
        if let Some(l) = filter.payment_link {
            select = select.filter(C::PaymentLinkId.eq(l.0));
        }
        if let Some(after) = filter.created_after {
            select = select.filter(C::CreatedAt.gte(after));
        }
        if let Some(before) = filter.created_before {
            select = select.filter(C::CreatedAt.lt(before));
        }
        select
    }

    /// Cancels an open session (or one waiting on 3-D Secure): the customer can no longer pay.
    #[tracing::instrument(skip(self))]
    pub async fn cancel_session(&self, merchant: MerchantId, id: SessionId) -> AppResult<payment_session::Model> {
        let session = self
            .session(merchant, id)
            .await?
            .ok_or_else(|| AppError::not_found(&["input", "id"], "payment session"))?;
        Ok(self.change_status(&session, SessionStatus::Canceled).await?.0)
    }

    /// Expires a session now, as the merchant asks (the sweeper does it at `expiresAt`).
    #[tracing::instrument(skip(self))]
    pub async fn expire_session(&self, merchant: MerchantId, id: SessionId) -> AppResult<payment_session::Model> {
        let session = self
            .session(merchant, id)
            .await?
            .ok_or_else(|| AppError::not_found(&["input", "id"], "payment session"))?;
        Ok(self.change_status(&session, SessionStatus::Expired).await?.0)
    }
}

/// A new OPEN session at version 1 with a fresh client secret and nothing paid yet; the
/// caller sets what its purpose needs.
pub(super) fn open_session_row(
    merchant: MerchantId,
    purpose: SessionPurpose,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> payment_session::ActiveModel {
    payment_session::ActiveModel {
        id: Set(Uuid::new_v4()),
        merchant_id: Set(merchant.0),
        status: Set(SessionStatus::Open.as_str().to_owned()),
        version: Set(1),
        purpose: Set(purpose.as_str().to_owned()),
        currency: Set(None),
        amount: Set(None),
        customer_id: Set(None),
        order_id: Set(None),
        subscription_id: Set(None),
        payment_link_id: Set(None),
        payment_profile_id: Set(None),
        allowed_payment_methods: Set(PaymentMethodType::join(&DEFAULT_METHODS)),
        save_payment_profile: Set(false),
        set_profile_as_default: Set(false),
        attempt_count: Set(0),
        client_secret: Set(new_secret(CLIENT_SECRET_PREFIX)),
        success_url: Set(None),
        metadata: Set("{}".to_owned()),
        expires_at: Set(expires_at),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

fn needs_customer(purpose: SessionPurpose) -> AppError {
    AppError::user(
        &["input", "customerId"],
        ErrorCode::Required,
        format!("a {} session needs a customer", purpose.as_str()),
    )
}

/// An amount is typed only for PAYMENT and BALANCE_TOP_UP; the others derive or have none.
fn check_amount_presence(input: &SessionInput) -> AppResult<()> {
    let typed = matches!(input.purpose, SessionPurpose::Payment | SessionPurpose::BalanceTopUp);
    match (&input.amount, typed) {
        (None, true) => Err(AppError::user(
            &["input", "amount"],
            ErrorCode::Required,
            format!("a {} session needs an amount", input.purpose.as_str()),
        )),
        (Some(_), false) => Err(AppError::user(
            &["input", "amount"],
            ErrorCode::NotAllowed,
            format!("a {} session takes no amount: it is derived", input.purpose.as_str()),
        )),
        _ => Ok(()),
    }
}

/// An order is paid by a CHECKOUT session and a subscription by a SUBSCRIPTION session only:
/// any other session naming one would hold it without paying it.
fn check_references_fit_purpose(input: &SessionInput) -> AppResult<()> {
    if input.order.is_some() && input.purpose != SessionPurpose::Checkout {
        return Err(AppError::user(
            &["input", "orderId"],
            ErrorCode::NotAllowed,
            "only a CHECKOUT session pays an order",
        ));
    }
    if input.subscription.is_some() && input.purpose != SessionPurpose::Subscription {
        return Err(AppError::user(
            &["input", "subscriptionId"],
            ErrorCode::NotAllowed,
            "only a SUBSCRIPTION session pays a subscription",
        ));
    }
    Ok(())
}

/// Whether the session saves its method, and as the default. SETUP sessions exist to save
/// one; SUBSCRIPTION sessions save the method renewals will charge, as the default.
fn profile_choice(input: &SessionInput) -> AppResult<(bool, bool)> {
    let always = matches!(input.purpose, SessionPurpose::Setup | SessionPurpose::Subscription);
    let save = always || input.save_payment_profile.unwrap_or(false);
    let default = input.purpose == SessionPurpose::Subscription || input.set_profile_as_default.unwrap_or(false);
    if input.set_profile_as_default == Some(true) && !save {
        return Err(AppError::user(
            &["input", "setProfileAsDefault"],
            ErrorCode::NotAllowed,
            "only a saved profile can become the default: set savePaymentProfile too",
        ));
    }
    if input.currency.is_some() && input.purpose != SessionPurpose::OutstandingBalance {
        return Err(AppError::user(
            &["input", "currency"],
            ErrorCode::NotAllowed,
            "currency is for OUTSTANDING_BALANCE sessions; other sessions take it with their amount",
        ));
    }
    Ok((save, default))
}

fn allowed_methods(input: &SessionInput) -> AppResult<Vec<PaymentMethodType>> {
    let methods = input.allowed_payment_methods.clone().unwrap_or_else(|| {
        if input.purpose == SessionPurpose::Setup {
            vec![PaymentMethodType::Card, PaymentMethodType::Wallet]
        } else {
            DEFAULT_METHODS.to_vec()
        }
    });
    if methods.is_empty() {
        return Err(AppError::user(
            &["input", "allowedPaymentMethods"],
            ErrorCode::Required,
            "allow at least one payment method",
        ));
    }
    if input.purpose == SessionPurpose::Setup && methods.contains(&PaymentMethodType::BankTransfer) {
        return Err(AppError::user(
            &["input", "allowedPaymentMethods"],
            ErrorCode::NotAllowed,
            "a bank transfer cannot be saved for later use",
        ));
    }
    Ok(methods)
}
