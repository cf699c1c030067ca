//! The customer's method, checked against the session before anything is written: allowed
//! here, this merchant's and this session's, unused, fresh. What it resolves to is what the
//! attempt records and charges.

use uuid::Uuid;

use super::PaymentMethodInput;
use super::Payments;
use crate::domain::PaymentMethodType;
use crate::domain::card::VaultCard;
use crate::domain::card::Wallet;
use crate::domain::iban::Iban;
use crate::domain::new_secret;
use crate::domain::payment::{BankTransferSummary, CardSummary, MethodSummary};
use crate::domain::session::PaymentSession;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::service::auth::Caller;
use crate::service::vault::TOKEN_PREFIX;
use crate::storage::writes::SessionWrite;

/// Longer than any wallet's payment token (Apple Pay's is a few KiB of JSON).
const MAX_WALLET_TOKEN_BYTES: usize = 16 * 1024;

/// The method of one attempt, checked and ready to record.
pub(super) struct Method {
    pub kind: PaymentMethodType,
    pub summary: MethodSummary,
    pub fingerprint: String,
    /// What the processor charges; `None` for a bank transfer, which waits for its settlement.
    pub charge: Option<Chargeable>,
    /// Written with the move to PROCESSING: the vault token spent, or the wallet's card kept.
    pub writes: Vec<SessionWrite>,
}

/// A tokenized card the processor can charge.
pub(super) struct Chargeable {
    /// The vault row the payment points at (charged again after 3-D Secure; saved as a
    /// profile when the session asks). `None` when paying with a saved profile.
    pub vault_token: Option<VaultCard>,
    /// The saved profile charged, if that is how the customer pays.
    pub profile: Option<Uuid>,
    pub processor_token: String,
    /// The account that holds `processor_token`; none: the test processor.
    pub processor_account: Option<Uuid>,
    /// Wallet payments are authenticated on the device: no 3-D Secure challenge.
    pub authenticated: bool,
}

impl Payments {
    /// Checks the method against the session and resolves what the attempt records.
    pub(super) async fn checked_method(
        &self,
        caller: Caller,
        session: &PaymentSession,
        method: PaymentMethodInput,
    ) -> AppResult<Method> {
        let allowed = session.allowed_methods.clone();
        let (kind, field): (PaymentMethodType, &[&str]) = match &method {
            PaymentMethodInput::CardToken(_) => (PaymentMethodType::Card, &["input", "paymentMethod", "cardToken"]),
            PaymentMethodInput::Wallet { .. } => (PaymentMethodType::Wallet, &["input", "paymentMethod", "wallet"]),
            PaymentMethodInput::Profile(id) => {
                let profile = self.profiles.usable_profile(caller, session, *id).await?;
                let kind = profile.method;
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
        if matches!(kind, PaymentMethodType::Wallet | PaymentMethodType::BankTransfer)
            && !matches!(method, PaymentMethodInput::Profile(_))
        {
            self.check_supported(session, kind, field).await?;
        }
        match method {
            PaymentMethodInput::CardToken(token) => {
                let card = self.usable_token(caller, session.id.0, &token).await?;
                let summary = MethodSummary::Card(CardSummary {
                    brand: card.brand.clone(),
                    last4: card.last4.clone(),
                    exp_month: card.exp_month,
                    exp_year: card.exp_year,
                    ..CardSummary::default()
                });
                let writes = vec![SessionWrite::SpendCardToken { token: card.token.clone() }];
                Ok(Method {
                    kind,
                    summary,
                    fingerprint: card.fingerprint.clone(),
                    charge: Some(Chargeable {
                        processor_token: card.processor_token.clone(),
                        processor_account: card.processor_account,
                        vault_token: Some(card),
                        profile: None,
                        authenticated: false,
                    }),
                    writes,
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
                let (account, processor) = self.processors.current(session.merchant).await?;
                let card = processor
                    .tokenize_wallet(wallet, &token)
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?
                    .ok_or_else(invalid)?;
                let fingerprint = self.fingerprint_key.fingerprint(session.merchant, card.account_reference.as_bytes());
                let summary = MethodSummary::Wallet(CardSummary {
                    brand: card.brand.as_str().to_owned(),
                    last4: card.last4.clone(),
                    exp_month: card.exp_month,
                    exp_year: card.exp_year,
                    wallet: Some(wallet),
                    saved_profile: false,
                });
                // The wallet's card is kept in the vault like a tokenized card, already spent,
                // so a payment always points at what it charged.
                let now = self.core.now();
                let kept = VaultCard {
                    token: new_secret(TOKEN_PREFIX),
                    merchant: session.merchant,
                    session: Some(session.id),
                    processor_token: card.processor_token.clone(),
                    processor_account: account,
                    brand: card.brand.as_str().to_owned(),
                    last4: card.last4,
                    exp_month: card.exp_month,
                    exp_year: card.exp_year,
                    fingerprint: fingerprint.clone(),
                    created_at: now,
                    expires_at: now,
                    used_at: Some(now),
                    wallet: Some(wallet),
                };
                let writes = vec![SessionWrite::KeepWalletCard(kept.clone())];
                Ok(Method {
                    kind,
                    summary,
                    fingerprint,
                    charge: Some(Chargeable {
                        processor_token: card.processor_token,
                        processor_account: account,
                        vault_token: Some(kept),
                        profile: None,
                        authenticated: true,
                    }),
                    writes,
                })
            }
            PaymentMethodInput::Profile(id) => {
                let profile = self.profiles.usable_profile(caller, session, id).await?;
                let card = CardSummary {
                    brand: profile.brand.clone().unwrap_or_default(),
                    last4: profile.last4.clone().unwrap_or_default(),
                    exp_month: profile.exp_month.unwrap_or_default(),
                    exp_year: profile.exp_year.unwrap_or_default(),
                    wallet: None,
                    saved_profile: true,
                };
                let summary = if kind == PaymentMethodType::Wallet {
                    MethodSummary::Wallet(card)
                } else {
                    MethodSummary::Card(card)
                };
                Ok(Method {
                    kind,
                    summary,
                    fingerprint: profile.fingerprint,
                    charge: Some(Chargeable {
                        processor_token: profile.processor_token,
                        processor_account: profile.processor_account,
                        vault_token: None,
                        profile: Some(profile.id.0),
                        authenticated: false,
                    }),
                    writes: Vec::new(),
                })
            }
            PaymentMethodInput::BankTransfer { iban } => {
                let iban =
                    Iban::parse(&iban).map_err(|e| AppError::user(field, ErrorCode::InvalidIban, e.to_string()))?;
                let summary = MethodSummary::BankTransfer(BankTransferSummary {
                    country: iban.country().to_owned(),
                    last4: iban.last4().to_owned(),
                });
                let fingerprint = self.fingerprint_key.fingerprint(session.merchant, iban.as_str().as_bytes());
                Ok(Method { kind, summary, fingerprint, charge: None, writes: Vec::new() })
            }
        }
    }

    /// The merchant's processor takes `kind` (a Stripe account takes cards only, for now):
    /// refused before anything is written, never half-done.
    async fn check_supported(
        &self,
        session: &PaymentSession,
        kind: PaymentMethodType,
        field: &[&str],
    ) -> AppResult<()> {
        let (_, processor) = self.processors.current(session.merchant).await?;
        if processor.supports(kind) {
            return Ok(());
        }
        Err(AppError::user(
            field,
            ErrorCode::MethodNotSupportedByProcessor,
            format!("the merchant's processor does not take {}", kind.as_str()),
        ))
    }

    /// A token this caller may spend on `session` now. A token made with a session's client
    /// secret pays that session only, whoever confirms.
    async fn usable_token(&self, caller: Caller, session: Uuid, token: &str) -> AppResult<VaultCard> {
        let field = ["input", "paymentMethod", "cardToken"];
        let row = crate::storage::payments::card_token(&self.core.db, caller.merchant(), token)
            .await?
            .filter(|t| t.session.is_none_or(|bound| bound.0 == session))
            .ok_or_else(|| AppError::not_found(&field, "card token"))?;
        if row.used_at.is_some() {
            return Err(AppError::user(&field, ErrorCode::TokenUsed, "this card token was already used"));
        }
        if self.core.now() >= row.expires_at {
            return Err(AppError::user(
                &field,
                ErrorCode::TokenExpired,
                "this card token has expired; tokenize the card again",
            ));
        }
        Ok(row)
    }
}
