//! Confirming a session: one payment attempt, from the customer's method to an outcome.
//!
//! 1. Checks that change nothing: the session is OPEN and payable, the method is allowed,
//!    the card token is this merchant's (and this session's), unused and fresh.
//! 2. OPEN → PROCESSING, in ONE transaction with the token marked used and the Payment row
//!    inserted. Of racing confirmations exactly one wins this compare-and-set; the others are
//!    told so and nothing of theirs is written. No charge happens before this commit.
//! 3. Fraud rules, then the processor's charge (keyed by the payment id, so a retried call
//!    cannot charge twice at the processor).
//! 4. PROCESSING → COMPLETED, REQUIRES_ACTION (3-D Secure), back to OPEN (a failed attempt)
//!    or FAILED (the attempt limit), in one transaction with the Payment's outcome.

use std::net::IpAddr;

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryTrait, Set, StatementBuilder};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Services;
use super::auth::{Caller, new_secret};
use super::fraud::Signals;
use super::idempotency::{Claimed, request_hash};
use super::sessions::AlsoWrite;
use super::vault::TOKEN_PREFIX;
use crate::domain::card::Wallet;
use crate::domain::fraud::canonical;
use crate::domain::iban::Iban;
use crate::domain::{
    Currency, CustomerId, Money, PaymentMethodType, ProfileId, SessionId, SessionPurpose, SessionStatus,
};
use crate::error::{AppError, AppResult, ErrorCode, UserError};
use crate::processor::{ChargeOutcome, ChargeRequest, DeclineCode};
use crate::storage::entities::{card_token, payment, payment_profile, payment_session};

/// Failed attempts after which a session is FAILED.
pub const MAX_ATTEMPTS: i32 = 3;

/// Longer than any wallet's payment token (Apple Pay's is a few KiB of JSON).
const MAX_WALLET_TOKEN_BYTES: usize = 16 * 1024;

pub const PAYMENT_PROCESSING: &str = "PROCESSING";
pub const PAYMENT_REQUIRES_ACTION: &str = "REQUIRES_ACTION";
pub const PAYMENT_SUCCEEDED: &str = "SUCCEEDED";
pub const PAYMENT_FAILED: &str = "FAILED";

/// How the customer pays.
#[derive(Debug, Clone, Serialize)]
pub enum PaymentMethodInput {
    CardToken(String),
    /// A wallet's payment token, exchanged with the processor for the card inside.
    Wallet {
        wallet: Wallet,
        token: String,
    },
    /// A saved profile of the session's customer.
    Profile(ProfileId),
    /// A transfer from this account; the session waits in PROCESSING until it settles.
    BankTransfer {
        iban: String,
    },
}

/// The method of one attempt, checked and ready to record.
struct Method {
    kind: PaymentMethodType,
    summary: serde_json::Value,
    fingerprint: String,
    /// What the processor charges; `None` for a bank transfer, which waits for its settlement.
    charge: Option<Chargeable>,
    /// Written with the move to PROCESSING: the vault token spent, or the wallet's card kept.
    writes: Vec<AlsoWrite>,
}

/// A tokenized card the processor can charge.
struct Chargeable {
    /// The vault row the payment points at (charged again after 3-D Secure; saved as a
    /// profile when the session asks). `None` when paying with a saved profile.
    vault_token: Option<card_token::Model>,
    /// The saved profile charged, if that is how the customer pays.
    profile: Option<Uuid>,
    processor_token: String,
    /// Wallet payments are authenticated on the device: no 3-D Secure challenge.
    authenticated: bool,
}

/// A confirmation's result: the session and payment as they now are and, for a declined or
/// blocked attempt, why.
#[derive(Debug)]
pub struct Confirmed {
    pub session: payment_session::Model,
    /// `None` for a SETUP session, which verifies the method without charging it.
    pub payment: Option<payment::Model>,
    pub declined: Option<UserError>,
}

#[derive(Serialize, Deserialize)]
struct ConfirmedRecord {
    payment_id: Option<Uuid>,
    declined: Option<UserError>,
}

fn decline_error(code: DeclineCode) -> UserError {
    let (code, message) = match code {
        DeclineCode::CardDeclined => (ErrorCode::CardDeclined, "the card was declined"),
        DeclineCode::InsufficientFunds => (ErrorCode::InsufficientFunds, "the card has insufficient funds"),
        DeclineCode::LostCard => (ErrorCode::LostCard, "the card was declined (reported lost)"),
        DeclineCode::StolenCard => (ErrorCode::StolenCard, "the card was declined (reported stolen)"),
        DeclineCode::ExpiredCard => (ErrorCode::ExpiredCard, "the card has expired"),
        DeclineCode::IncorrectCvc => (ErrorCode::IncorrectCvc, "the security code is incorrect"),
        DeclineCode::ProcessingError => (ErrorCode::ProcessingError, "the card could not be processed; try again"),
        DeclineCode::Fraudulent => (ErrorCode::Fraudulent, "the card was declined as likely fraud"),
        DeclineCode::AuthenticationFailed => (ErrorCode::CardDeclined, "3-D Secure authentication failed"),
        DeclineCode::BankTransferFailed => (ErrorCode::BankTransferFailed, "the bank transfer did not arrive"),
        DeclineCode::TestModeLiveCard => {
            (ErrorCode::TestModeLiveCard, "this is a test-mode service: use one of the test cards")
        }
    };
    UserError::new(&["input", "paymentMethod"], code, message)
}

impl Services {
    /// Confirms session `id` with `method`; see the module documentation for the steps.
    /// `client_ip` is where the customer's request came from, for the fraud rules.
    #[tracing::instrument(skip(self, method, idempotency_key))]
    pub async fn confirm_session(
        &self,
        caller: Caller,
        id: SessionId,
        method: PaymentMethodInput,
        idempotency_key: Option<String>,
        client_ip: Option<IpAddr>,
    ) -> AppResult<Confirmed> {
        let merchant = caller.merchant();
        let not_found = || AppError::not_found(&["input", "id"], "payment session");
        if !caller.may_see_session(id) {
            return Err(not_found());
        }
        let key = super::validate::idempotency_key(idempotency_key)?;
        let claim = match &key {
            None => None,
            Some(key) => {
                let hash = request_hash(&(id, &method))?;
                match self.claim_idempotency::<ConfirmedRecord>(merchant, "confirmPaymentSession", key, &hash).await? {
                    Claimed::Replay(record) => return self.replay_confirmed(caller, id, record).await,
                    Claimed::Run(claim) => Some(claim),
                }
            }
        };
        let result = self.attempt(caller, id, method, client_ip.map(canonical), false).await;
        match (&result, claim) {
            (Ok(done), Some(claim)) => {
                let record = ConfirmedRecord {
                    payment_id: done.payment.as_ref().map(|p| p.id),
                    declined: done.declined.clone(),
                };
                self.complete_idempotency(&self.db, &claim, &record).await?;
            }
            (Err(_), Some(claim)) => self.release_idempotency(claim).await,
            _ => {}
        }
        result
    }

    async fn replay_confirmed(&self, caller: Caller, id: SessionId, record: ConfirmedRecord) -> AppResult<Confirmed> {
        let session =
            self.session(caller.merchant(), id).await?.ok_or_else(|| anyhow::anyhow!("replayed session gone"))?;
        let payment = match record.payment_id {
            Some(id) => Some(
                payment::Entity::find_by_id(id)
                    .one(&self.db)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("replayed payment gone"))?,
            ),
            None => None,
        };
        Ok(Confirmed { session, payment, declined: record.declined })
    }

    /// One attempt to pay session `id`. `off_session`: the customer is not there (a renewal
    /// charged from their saved profile).
    pub(super) async fn attempt(
        &self,
        caller: Caller,
        id: SessionId,
        method: PaymentMethodInput,
        client_ip: Option<String>,
        off_session: bool,
    ) -> AppResult<Confirmed> {
        let merchant = caller.merchant();
        let session = self
            .session(merchant, id)
            .await?
            .ok_or_else(|| AppError::not_found(&["input", "id"], "payment session"))?;
        let status: SessionStatus = session.status.parse().map_err(|e| AppError::Internal(anyhow::Error::new(e)))?;
        if status == SessionStatus::Open && self.now() >= session.expires_at {
            return Err(AppError::user(
                &["input", "id"],
                ErrorCode::SessionExpired,
                "this payment session has expired",
            ));
        }
        if status != SessionStatus::Open {
            return Err(AppError::user(
                &["input", "id"],
                ErrorCode::IllegalTransition,
                format!("a {status} payment session cannot be paid"),
            ));
        }
        self.check_link_not_used_up(&session).await?;
        let method = self.checked_method(caller, &session, method).await?;
        if session.purpose == SessionPurpose::Setup.as_str() {
            return self.set_up(&session, method).await;
        }
        let currency = Currency::parse(session.currency.as_deref().unwrap_or_default())
            .map_err(|e| AppError::Internal(e.into()))?;
        let amount = Money::from_stored(session.amount.unwrap_or_default(), currency);

        // 2. OPEN → PROCESSING with the token spent and the payment recorded, all or nothing.
        let now = self.now();
        let payment_row = payment::ActiveModel {
            id: Set(Uuid::new_v4()),
            merchant_id: Set(merchant.0),
            payment_session_id: Set(session.id),
            customer_id: Set(session.customer_id),
            status: Set(PAYMENT_PROCESSING.to_owned()),
            currency: Set(currency.code().to_owned()),
            amount: Set(amount.amount()),
            method_type: Set(method.kind.as_str().to_owned()),
            method_summary: Set(method.summary.to_string()),
            card_fingerprint: Set(Some(method.fingerprint.clone())),
            card_token_id: Set(method.charge.as_ref().and_then(|c| c.vault_token.as_ref()).map(|t| t.id.clone())),
            payment_profile_id: Set(method.charge.as_ref().and_then(|c| c.profile)),
            off_session: Set(off_session),
            subscription_id: Set(session.subscription_id),
            decline_code: Set(None),
            risk_score: Set(0),
            fraud_rule: Set(None),
            fraud_decision: Set("PENDING".to_owned()),
            client_ip: Set(client_ip.clone()),
            created_at: Set(now),
            updated_at: Set(now),
        };
        let payment_id = *payment_row.id.as_ref();
        let backend = self.db.get_database_backend();
        let mut writes = method.writes;
        writes.push(AlsoWrite::new(payment::Entity::insert(payment_row).build(backend)));
        let (processing, _) = self.change_status_with(&session, SessionStatus::Processing, writes).await?;

        // 3. Fraud rules, then the charge (a bank transfer waits for its settlement instead).
        let signals = Signals {
            merchant,
            amount,
            fingerprint: &method.fingerprint,
            client_ip: client_ip.as_deref(),
            customer: session.customer_id.map(CustomerId),
            this_payment: payment_id,
        };
        let assessment = self.assess(signals).await?;
        let outcome = match (assessment.blocked_by, &method.charge) {
            (Some(rule), _) => Err(rule),
            (None, Some(card)) => Ok(self.charge(&card.processor_token, amount, payment_id, card.authenticated).await),
            (None, None) => {
                let payment = self.record_assessment(payment_id, assessment.risk_score).await?;
                return Ok(Confirmed { session: processing, payment: Some(payment), declined: None });
            }
        };
        self.record_outcome(&processing, payment_id, outcome, assessment.risk_score).await
    }

    /// A link's limit counts completed payments: once reached, its other open sessions take
    /// no more. (Two customers paying at the same moment can both get through; the limit is
    /// a sales cap, like Stripe's, not a guarantee.)
    async fn check_link_not_used_up(&self, session: &payment_session::Model) -> AppResult<()> {
        let Some(link_id) = session.payment_link_id else { return Ok(()) };
        let link = self.link(crate::domain::MerchantId(session.merchant_id), crate::domain::LinkId(link_id)).await?;
        if let Some(max) = link.and_then(|l| l.max_completed_payments)
            && self.completed_payments(link_id).await? >= u64::try_from(max).unwrap_or(0)
        {
            return Err(AppError::user(
                &["input", "id"],
                ErrorCode::PaymentLinkUnavailable,
                "this payment link has taken all the payments it allows",
            ));
        }
        Ok(())
    }

    /// Checks the method against the session and resolves what the attempt records.
    async fn checked_method(
        &self,
        caller: Caller,
        session: &payment_session::Model,
        method: PaymentMethodInput,
    ) -> AppResult<Method> {
        let allowed =
            PaymentMethodType::split(&session.allowed_payment_methods).map_err(|e| AppError::Internal(e.into()))?;
        let (kind, field): (PaymentMethodType, &[&str]) = match &method {
            PaymentMethodInput::CardToken(_) => (PaymentMethodType::Card, &["input", "paymentMethod", "cardToken"]),
            PaymentMethodInput::Wallet { .. } => (PaymentMethodType::Wallet, &["input", "paymentMethod", "wallet"]),
            PaymentMethodInput::Profile(id) => {
                let profile = self.usable_profile(caller, session, *id).await?;
                let kind = profile.method_type.parse().map_err(|e| AppError::Internal(anyhow::Error::new(e)))?;
                (kind, &["input", "paymentMethod", "paymentProfileId"])
            }
            PaymentMethodInput::BankTransfer { .. } => {
                (PaymentMethodType::BankTransfer, &["input", "paymentMethod", "bankTransfer", "iban"])
            }
        };
        if !allowed.contains(&kind) {
            return Err(AppError::user(
                field,
                ErrorCode::MethodNotAllowed,
                format!("this session does not accept {}", kind.as_str()),
            ));
        }
        let backend = self.db.get_database_backend();
        match method {
            PaymentMethodInput::CardToken(token) => {
                let card = self.usable_token(caller, session.id, &token).await?;
                let summary = serde_json::json!({
                    "brand": card.brand, "last4": card.last4, "expMonth": card.exp_month, "expYear": card.exp_year
                });
                let spend_token = card_token::Entity::update_many()
                    .col_expr(card_token::Column::UsedAt, Expr::value(self.now()))
                    .filter(card_token::Column::Id.eq(card.id.as_str()))
                    .filter(card_token::Column::UsedAt.is_null())
                    .build(backend);
                let used = AppError::user(field, ErrorCode::TokenUsed, "this card token was already used");
                Ok(Method {
                    kind,
                    summary,
                    fingerprint: card.fingerprint.clone(),
                    charge: Some(Chargeable {
                        processor_token: card.processor_token.clone(),
                        vault_token: Some(card),
                        profile: None,
                        authenticated: false,
                    }),
                    writes: vec![AlsoWrite::exactly_one(spend_token, used)],
                })
            }
            PaymentMethodInput::Wallet { wallet, token } => {
                let invalid = || {
                    let name = match wallet {
                        Wallet::ApplePay => "Apple Pay",
                        Wallet::GooglePay => "Google Pay",
                    };
                    AppError::user(
                        &["input", "paymentMethod", "wallet", "token"],
                        ErrorCode::InvalidWalletToken,
                        format!("this is not a valid {name} payment token"),
                    )
                };
                if token.is_empty() || token.len() > MAX_WALLET_TOKEN_BYTES {
                    return Err(invalid());
                }
                let card = self
                    .processor
                    .tokenize_wallet(wallet, &token)
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?
                    .ok_or_else(invalid)?;
                let fingerprint = self.fingerprint_key.fingerprint(card.account_reference.as_bytes());
                let summary = serde_json::json!({
                    "wallet": wallet.as_str(), "brand": card.brand.as_str(), "last4": card.last4,
                    "expMonth": card.exp_month, "expYear": card.exp_year
                });
                // The wallet's card is kept in the vault like a tokenized card, already spent,
                // so a payment always points at what it charged.
                let now = self.now();
                let kept = card_token::Model {
                    id: new_secret(TOKEN_PREFIX),
                    merchant_id: session.merchant_id,
                    payment_session_id: Some(session.id),
                    processor_token: card.processor_token.clone(),
                    brand: card.brand.as_str().to_owned(),
                    last4: card.last4,
                    exp_month: card.exp_month,
                    exp_year: card.exp_year,
                    fingerprint: fingerprint.clone(),
                    created_at: now,
                    expires_at: now,
                    used_at: Some(now),
                    wallet: Some(wallet.as_str().to_owned()),
                };
                let insert = card_token::Entity::insert(card_token::ActiveModel::from(kept.clone())).build(backend);
                Ok(Method {
                    kind,
                    summary,
                    fingerprint,
                    charge: Some(Chargeable {
                        processor_token: card.processor_token,
                        vault_token: Some(kept),
                        profile: None,
                        authenticated: true,
                    }),
                    writes: vec![AlsoWrite::new(insert)],
                })
            }
            PaymentMethodInput::Profile(id) => {
                let profile = self.usable_profile(caller, session, id).await?;
                let summary = serde_json::json!({
                    "brand": profile.brand, "last4": profile.last4, "expMonth": profile.exp_month,
                    "expYear": profile.exp_year, "savedProfile": true
                });
                Ok(Method {
                    kind,
                    summary,
                    fingerprint: profile.fingerprint,
                    charge: Some(Chargeable {
                        processor_token: profile.processor_token,
                        vault_token: None,
                        profile: Some(profile.id),
                        authenticated: false,
                    }),
                    writes: Vec::new(),
                })
            }
            PaymentMethodInput::BankTransfer { iban } => {
                let iban =
                    Iban::parse(&iban).map_err(|e| AppError::user(field, ErrorCode::InvalidIban, e.to_string()))?;
                let summary = serde_json::json!({ "country": iban.country(), "last4": iban.last4() });
                let fingerprint = self.fingerprint_key.fingerprint(iban.as_str().as_bytes());
                Ok(Method { kind, summary, fingerprint, charge: None, writes: Vec::new() })
            }
        }
    }

    /// Records the fraud rules' verdict on a payment that goes on waiting (a bank transfer).
    async fn record_assessment(&self, payment_id: Uuid, risk_score: i32) -> AppResult<payment::Model> {
        payment::Entity::update_many()
            .col_expr(payment::Column::RiskScore, Expr::value(risk_score))
            .col_expr(payment::Column::FraudDecision, Expr::value("ALLOW"))
            .filter(payment::Column::Id.eq(payment_id))
            .exec(&self.db)
            .await?;
        Ok(payment::Entity::find_by_id(payment_id)
            .one(&self.db)
            .await?
            .ok_or_else(|| anyhow::anyhow!("payment vanished"))?)
    }

    /// Test mode: the bank transfer of `payment` arrives (or never does), as a sandbox's
    /// settlement would report it. PROCESSING → COMPLETED, or back to OPEN / FAILED.
    #[tracing::instrument(skip(self))]
    pub async fn settle_test_bank_transfer(
        &self,
        merchant: crate::domain::MerchantId,
        payment_id: Uuid,
        settled: bool,
    ) -> AppResult<Confirmed> {
        let field = ["input", "paymentId"];
        let payment = payment::Entity::find_by_id(payment_id)
            .filter(payment::Column::MerchantId.eq(merchant.0))
            .one(&self.db)
            .await?
            .ok_or_else(|| AppError::not_found(&field, "payment"))?;
        if payment.method_type != PaymentMethodType::BankTransfer.as_str() || payment.status != PAYMENT_PROCESSING {
            return Err(AppError::user(
                &field,
                ErrorCode::IllegalTransition,
                "this payment is not a bank transfer awaiting settlement",
            ));
        }
        let session = self
            .session(merchant, SessionId(payment.payment_session_id))
            .await?
            .ok_or_else(|| anyhow::anyhow!("payment without its session"))?;
        let outcome =
            if settled { ChargeOutcome::Succeeded } else { ChargeOutcome::Declined(DeclineCode::BankTransferFailed) };
        self.record_outcome(&session, payment.id, Ok(outcome), payment.risk_score).await
    }

    /// Charges once; a processor fault counts as a failed attempt (logged with its cause),
    /// so a session never waits in PROCESSING for an answer that will not come.
    async fn charge(
        &self,
        processor_token: &str,
        amount: Money,
        payment_id: Uuid,
        authenticated: bool,
    ) -> ChargeOutcome {
        let key = payment_id.to_string();
        let request = ChargeRequest { processor_token, amount, idempotency_key: &key };
        match self.processor.charge(request, authenticated).await {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::error!(%error, payment = %payment_id, "processor fault; the attempt fails");
                ChargeOutcome::Declined(DeclineCode::ProcessingError)
            }
        }
    }

    /// Step 4: the session's next status with the payment's outcome, in one transaction.
    /// `outcome` is the charge's result, or the fraud rule that blocked it.
    async fn record_outcome(
        &self,
        processing: &payment_session::Model,
        payment_id: Uuid,
        outcome: Result<ChargeOutcome, &'static str>,
        risk_score: i32,
    ) -> AppResult<Confirmed> {
        let backend = self.db.get_database_backend();
        let (next, payment_status, decline, declined) = match outcome {
            Ok(ChargeOutcome::Succeeded) => (SessionStatus::Completed, PAYMENT_SUCCEEDED, None, None),
            Ok(ChargeOutcome::RequiresAction) => (SessionStatus::RequiresAction, PAYMENT_REQUIRES_ACTION, None, None),
            Ok(ChargeOutcome::Declined(code)) => {
                (self.after_failure(processing), PAYMENT_FAILED, Some(code.as_str()), Some(decline_error(code)))
            }
            Err(rule) => (
                self.after_failure(processing),
                PAYMENT_FAILED,
                Some("blocked"),
                Some(UserError::new(
                    &["input", "paymentMethod"],
                    ErrorCode::BlockedByFraudRule,
                    format!("the payment was blocked by the fraud rule `{rule}`"),
                )),
            ),
        };
        let blocked_by = outcome.err();
        let mut also = vec![AlsoWrite::new(
            payment::Entity::update_many()
                .col_expr(payment::Column::Status, Expr::value(payment_status))
                .col_expr(payment::Column::DeclineCode, Expr::value(decline))
                .col_expr(payment::Column::RiskScore, Expr::value(if blocked_by.is_some() { 100 } else { risk_score }))
                .col_expr(payment::Column::FraudRule, Expr::value(blocked_by))
                .col_expr(
                    payment::Column::FraudDecision,
                    Expr::value(if blocked_by.is_some() { "BLOCK" } else { "ALLOW" }),
                )
                .col_expr(payment::Column::UpdatedAt, Expr::value(self.now()))
                .filter(payment::Column::Id.eq(payment_id))
                .build(backend),
        )];
        if declined.is_some() {
            also.push(self.count_attempt(processing));
        }
        if next != SessionStatus::Completed {
            also.extend(self.renewal_unpaid(processing));
        }
        if next == SessionStatus::Completed {
            let paid = self.payment_row(payment_id).await?;
            let card = self.vault_row_of(&paid).await?;
            also.extend(self.completion_writes(processing, Some(&paid), card.as_ref()).await?);
        }
        self.change_status_with(processing, next, also).await?;
        let merchant = crate::domain::MerchantId(processing.merchant_id);
        let session = self
            .session(merchant, SessionId(processing.id))
            .await?
            .ok_or_else(|| anyhow::anyhow!("session vanished"))?;
        let payment = self.payment_row(payment_id).await?;
        Ok(Confirmed { session, payment: Some(payment), declined })
    }

    async fn payment_row(&self, id: Uuid) -> AppResult<payment::Model> {
        Ok(payment::Entity::find_by_id(id).one(&self.db).await?.ok_or_else(|| anyhow::anyhow!("payment vanished"))?)
    }

    /// The vault row a payment charged, if it charged one (not a profile or a transfer).
    async fn vault_row_of(&self, payment: &payment::Model) -> AppResult<Option<card_token::Model>> {
        Ok(match &payment.card_token_id {
            Some(id) => card_token::Entity::find_by_id(id.clone()).one(&self.db).await?,
            None => None,
        })
    }

    /// The processor token a payment charges: its vault row's, or its saved profile's.
    async fn processor_token_of(&self, payment: &payment::Model) -> AppResult<String> {
        if let Some(card) = self.vault_row_of(payment).await? {
            return Ok(card.processor_token);
        }
        let profile = match payment.payment_profile_id {
            Some(id) => payment_profile::Entity::find_by_id(id).one(&self.db).await?,
            None => None,
        };
        Ok(profile.ok_or_else(|| anyhow::anyhow!("a card payment without its card"))?.processor_token)
    }

    /// A SETUP session: the method is verified with the processor (a zero-amount check, as
    /// Stripe's SetupIntents do) and saved as a profile; nothing is charged and no Payment is
    /// recorded. OPEN → PROCESSING → COMPLETED, or back to OPEN (FAILED at the attempt limit).
    async fn set_up(&self, session: &payment_session::Model, method: Method) -> AppResult<Confirmed> {
        let field = ["input", "paymentMethod"];
        let Some(Chargeable { vault_token: Some(card), processor_token, .. }) = method.charge else {
            return Err(AppError::user(
                &field,
                ErrorCode::NotAllowed,
                "a SETUP session saves a new card or wallet; this method cannot be saved",
            ));
        };
        let (processing, _) = self.change_status_with(session, SessionStatus::Processing, method.writes).await?;
        let outcome = match self.processor.verify(&processor_token).await {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::error!(%error, session = %session.id, "processor fault while verifying; the attempt fails");
                ChargeOutcome::Declined(DeclineCode::ProcessingError)
            }
        };
        let (next, also, declined) = match outcome {
            ChargeOutcome::Succeeded | ChargeOutcome::RequiresAction => {
                (SessionStatus::Completed, self.completion_writes(&processing, None, Some(&card)).await?, None)
            }
            ChargeOutcome::Declined(code) => {
                (self.after_failure(&processing), vec![self.count_attempt(&processing)], Some(decline_error(code)))
            }
        };
        self.change_status_with(&processing, next, also).await?;
        let session = self
            .session(crate::domain::MerchantId(session.merchant_id), SessionId(session.id))
            .await?
            .ok_or_else(|| anyhow::anyhow!("session vanished"))?;
        Ok(Confirmed { session, payment: None, declined })
    }

    /// One more failed attempt on the session, written with its status change.
    fn count_attempt(&self, session: &payment_session::Model) -> AlsoWrite {
        AlsoWrite::new(StatementBuilder::build(
            Query::update()
                .table(payment_session::Entity)
                .value(payment_session::Column::AttemptCount, Expr::col(payment_session::Column::AttemptCount).add(1))
                .and_where(payment_session::Column::Id.eq(session.id)),
            &self.db.get_database_backend(),
        ))
    }

    /// Test mode: the customer passes (or fails) the 3-D Secure challenge of `payment`.
    /// REQUIRES_ACTION → PROCESSING, then the charge again, authenticated (or declined as
    /// `authentication_failed`) → COMPLETED, or back to OPEN / FAILED.
    #[tracing::instrument(skip(self))]
    pub async fn complete_test_challenge(
        &self,
        caller: Caller,
        payment_id: Uuid,
        passed: bool,
    ) -> AppResult<Confirmed> {
        let field = ["input", "paymentId"];
        let payment = payment::Entity::find_by_id(payment_id)
            .filter(payment::Column::MerchantId.eq(caller.merchant().0))
            .one(&self.db)
            .await?
            .filter(|p| caller.may_see_session(SessionId(p.payment_session_id)))
            .ok_or_else(|| AppError::not_found(&field, "payment"))?;
        if payment.status != PAYMENT_REQUIRES_ACTION {
            return Err(AppError::user(&field, ErrorCode::IllegalTransition, "this payment has no pending challenge"));
        }
        let session = self
            .session(caller.merchant(), SessionId(payment.payment_session_id))
            .await?
            .ok_or_else(|| anyhow::anyhow!("payment without its session"))?;
        let (processing, _) = self.change_status(&session, SessionStatus::Processing).await.map_err(|e| match e {
            AppError::User(mut errors) => {
                errors.iter_mut().for_each(|e| e.field = field.iter().map(|s| (*s).to_owned()).collect());
                AppError::User(errors)
            }
            other => other,
        })?;
        let processor_token = self.processor_token_of(&payment).await?;
        let amount = Money::from_stored(
            payment.amount,
            Currency::parse(&payment.currency).map_err(|e| AppError::Internal(e.into()))?,
        );
        let outcome = if passed {
            self.charge(&processor_token, amount, payment.id, true).await
        } else {
            ChargeOutcome::Declined(DeclineCode::AuthenticationFailed)
        };
        self.record_outcome(&processing, payment.id, Ok(outcome), payment.risk_score).await
    }

    /// Where a failed attempt leaves the session: OPEN for another try, FAILED at the limit.
    fn after_failure(&self, session: &payment_session::Model) -> SessionStatus {
        if session.attempt_count + 1 >= MAX_ATTEMPTS { SessionStatus::Failed } else { SessionStatus::Open }
    }

    /// A token this caller may spend on `session` now. A token made with a session's client
    /// secret pays that session only, whoever confirms.
    async fn usable_token(&self, caller: Caller, session: Uuid, token: &str) -> AppResult<card_token::Model> {
        let field = ["input", "paymentMethod", "cardToken"];
        let row = card_token::Entity::find_by_id(token.to_owned())
            .filter(card_token::Column::MerchantId.eq(caller.merchant().0))
            .one(&self.db)
            .await?
            .filter(|t| t.payment_session_id.is_none_or(|bound| bound == session))
            .ok_or_else(|| AppError::not_found(&field, "card token"))?;
        if row.used_at.is_some() {
            return Err(AppError::user(&field, ErrorCode::TokenUsed, "this card token was already used"));
        }
        if self.now() >= row.expires_at {
            return Err(AppError::user(
                &field,
                ErrorCode::TokenExpired,
                "this card token has expired; tokenize the card again",
            ));
        }
        Ok(row)
    }
}
