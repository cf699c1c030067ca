//! Creating a session: its input checked, its references resolved by purpose (an order's
//! total, a subscription's price, what a customer owes), and the session written with its
//! first event (version 1, OPEN) and its idempotency record, in one transaction.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DEFAULT_METHODS, SessionInput, Sessions, open_session};
use crate::domain::capture::CaptureMethod;
use crate::domain::session::PaymentSession;
use crate::domain::session::expiry;
use crate::domain::{CustomerId, MerchantId, Money, PaymentMethodType, SessionId, SessionPurpose};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::idempotency::{Claimed, request_hash};
use crate::service::validate;

/// What an idempotency record keeps of `createPaymentSession`: the session it made.
#[derive(Serialize, Deserialize)]
struct CreatedRecord {
    session_id: Uuid,
}

/// A session's amount, customer and links once its references are checked.
struct Resolved {
    money: Option<Money>,
    customer: Option<CustomerId>,
}

impl Sessions {
    /// Creates a session for any purpose; see the purpose rules in `resolve_references`.
    #[tracing::instrument(skip(self, input, idempotency_key), fields(purpose = input.purpose.as_str()))]
    pub async fn create(
        &self,
        merchant: MerchantId,
        input: SessionInput,
        idempotency_key: Option<String>,
    ) -> AppResult<PaymentSession> {
        let lifetime = expiry::lifetime(input.expires_in_seconds)
            .map_err(|e| AppError::user(&["input", "expiresInSeconds"], ErrorCode::ExpiryOutOfRange, e.to_string()))?;
        let methods =
            self.processor_takes(merchant, allowed_methods(&input)?, input.allowed_payment_methods.is_some()).await?;
        let metadata = validate::metadata_map(input.metadata.clone(), &["input", "metadata"])?;
        let success_url = validate::url(input.success_url.clone(), &["input", "successUrl"])?;
        let locale = validate::locale(input.locale.clone(), &["input", "locale"])?;
        let key = validate::idempotency_key(idempotency_key)?;
        check_amount_presence(&input)?;
        check_references_fit_purpose(&input)?;
        let (save_profile, set_as_default) = profile_choice(&input)?;
        let capture_method = capture_method(&input)?;

        let claim = match &key {
            None => None,
            Some(key) => {
                let hash = request_hash(&input)?;
                match self.core.claim_idempotency::<CreatedRecord>(merchant, "createPaymentSession", key, &hash).await?
                {
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
            let now = self.core.now();
            let session = PaymentSession {
                amount: resolved.money,
                customer: resolved.customer,
                order: input.order,
                subscription: input.subscription,
                payment_link: input.payment_link,
                allowed_methods: methods,
                save_payment_profile: save_profile,
                set_profile_as_default: set_as_default,
                capture_method,
                success_url,
                locale,
                metadata,
                ..open_session(merchant, input.purpose, now, now + lifetime)
            };
            let record = CreatedRecord { session_id: session.id.0 };
            let writes = claim.as_ref().map(|claim| claim.completion(&record)).transpose()?;
            let (session, event) =
                crate::storage::sessions::create(&self.core.db, session, now, writes.into_iter().collect())
                    .await
                    .map_err(|e| crate::service::transition::refusal(SessionId(record.session_id), e))?;
            self.core.publish(event).await;
            Ok(session)
        }
        .await;

        if let (Err(_), Some(claim)) = (&result, claim) {
            self.core.release_idempotency(claim).await;
        }
        result
    }

    async fn replay_created(&self, merchant: MerchantId, record: CreatedRecord) -> AppResult<PaymentSession> {
        Ok(self
            .get(merchant, SessionId(record.session_id))
            .await?
            .ok_or_else(|| anyhow::anyhow!("idempotency record names a missing session"))?)
    }

    /// Checks the objects a session points at and derives its amount and customer.
    async fn resolve_references(&self, merchant: MerchantId, input: &SessionInput) -> AppResult<Resolved> {
        let mut customer = match input.customer {
            Some(id) => Some(
                self.customers
                    .get(merchant, id)
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
                    .orders
                    .get(merchant, id)
                    .await?
                    .ok_or_else(|| AppError::not_found(&["input", "orderId"], "order"))?;
                if order.status != crate::domain::order::OrderStatus::Open {
                    return Err(AppError::user(
                        &["input", "orderId"],
                        ErrorCode::OrderNotPayable,
                        "this order is already paid",
                    ));
                }
                match (customer, order.customer) {
                    (Some(c), Some(o)) if c != o => return Err(mismatch("order")),
                    (None, Some(o)) => customer = Some(o),
                    _ => {}
                }
                Some(order.total)
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
                    .subscriptions
                    .get(merchant, id)
                    .await?
                    .ok_or_else(|| AppError::not_found(&["input", "subscriptionId"], "subscription"))?;
                if !crate::service::transition::PAYABLE_SUBSCRIPTIONS.contains(&sub.status) {
                    return Err(AppError::user(
                        &["input", "subscriptionId"],
                        ErrorCode::SubscriptionNotPayable,
                        "only an INCOMPLETE or PAST_DUE subscription takes a payment session",
                    ));
                }
                if customer.is_some_and(|c| c != sub.customer) {
                    return Err(mismatch("subscription"));
                }
                customer = Some(sub.customer);
                Some(sub.price)
            }
            SessionPurpose::OutstandingBalance => {
                let customer = customer.ok_or_else(|| needs_customer(input.purpose))?;
                Some(self.balances.outstanding_amount(merchant, customer, input.currency.as_deref()).await?)
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

/// Whether the payment is held for a capture later. Only an order or a free payment can be:
/// a balance credit, a subscription period or a saved method is not something to hold.
fn capture_method(input: &SessionInput) -> AppResult<CaptureMethod> {
    let method = input.capture_method.unwrap_or(CaptureMethod::Automatic);
    if method == CaptureMethod::Manual && !matches!(input.purpose, SessionPurpose::Checkout | SessionPurpose::Payment) {
        return Err(AppError::user(
            &["input", "captureMethod"],
            ErrorCode::NotAllowed,
            "only CHECKOUT and PAYMENT sessions can capture manually",
        ));
    }
    Ok(method)
}

impl Sessions {
    /// The methods the merchant's processor takes, of `methods`: one asked for by name that it
    /// does not take is refused (the session would offer what cannot be paid); the default
    /// list keeps what it takes.
    async fn processor_takes(
        &self,
        merchant: MerchantId,
        methods: Vec<PaymentMethodType>,
        named: bool,
    ) -> AppResult<Vec<PaymentMethodType>> {
        let (_, processor) = self.processors.current(merchant).await?;
        if let Some(refused) = methods.iter().find(|m| !processor.supports(**m)).filter(|_| named) {
            return Err(AppError::user(
                &["input", "allowedPaymentMethods"],
                ErrorCode::MethodNotSupportedByProcessor,
                format!("the merchant's processor does not take {}", refused.as_str()),
            ));
        }
        Ok(methods.into_iter().filter(|m| processor.supports(*m)).collect())
    }
}

/// A bank transfer is money that arrived, not a hold: a MANUAL session takes cards and wallets.
fn allowed_methods(input: &SessionInput) -> AppResult<Vec<PaymentMethodType>> {
    let holds = input.capture_method == Some(CaptureMethod::Manual);
    let methods = input.allowed_payment_methods.clone().unwrap_or_else(|| {
        if input.purpose == SessionPurpose::Setup || holds {
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
    if holds && methods.contains(&PaymentMethodType::BankTransfer) {
        return Err(AppError::user(
            &["input", "allowedPaymentMethods"],
            ErrorCode::NotAllowed,
            "a bank transfer cannot be authorized for a capture later",
        ));
    }
    Ok(methods)
}
