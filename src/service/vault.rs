//! The card vault: the only place a card number passes. It is validated, handed to the
//! processor's tokenization and dropped; what is kept is a single-use, short-lived token
//! pointing at the processor's token, with brand, last 4, expiry and a keyed fingerprint.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Datelike, Duration};
use rand::RngCore;

use super::Core;
use super::auth::Caller;
use crate::domain::card::VaultCard;
use crate::domain::card::{CardError, CardNumber, Cvc, FingerprintKey, check_expiry};
use crate::domain::new_secret;
use crate::domain::{MerchantId, SessionId, SessionStatus};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::processor::CardDetails;
use crate::storage;

/// Prefix of the one-time tokens the vault gives out.
pub const TOKEN_PREFIX: &str = "tok_";
/// How long a token may wait to be used.
pub const TOKEN_LIFETIME_MINUTES: i64 = 15;

/// Card input as the client sent it. Its `Debug` shows nothing, and its number and CVC are
/// overwritten when it is dropped.
pub struct CardInput {
    pub number: String,
    pub exp_month: i64,
    pub exp_year: i64,
    pub cvc: String,
}

impl fmt::Debug for CardInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CardInput(***)")
    }
}

impl Drop for CardInput {
    fn drop(&mut self) {
        for secret in [&mut self.number, &mut self.cvc] {
            let mut bytes = std::mem::take(secret).into_bytes();
            bytes.iter_mut().for_each(|b| *b = 0);
            std::hint::black_box(&mut bytes);
        }
    }
}

/// What the client gets back: nothing it could charge elsewhere.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenizedCard {
    pub token: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
}

fn card_error(error: CardError) -> AppError {
    let code = match error {
        CardError::InvalidNumber => ErrorCode::InvalidNumber,
        CardError::UnsupportedBrand => ErrorCode::UnsupportedBrand,
        CardError::InvalidExpiry => ErrorCode::InvalidExpiry,
        CardError::Expired => ErrorCode::ExpiredCard,
        CardError::InvalidCvc => ErrorCode::InvalidCvc,
    };
    AppError::user(&[error.field()], code, error.to_string())
}

/// Card tokenization: the only place a card number passes.
#[derive(Clone)]
pub struct Vault {
    core: Core,
    processors: std::sync::Arc<crate::processor::Processors>,
    fingerprint_key: FingerprintKey,
}

impl Vault {
    pub fn new(
        core: Core,
        processors: std::sync::Arc<crate::processor::Processors>,
        fingerprint_key: FingerprintKey,
    ) -> Self {
        Vault { core, processors, fingerprint_key }
    }
}

impl Vault {
    /// A client secret tokenizes only for its session while the session can be paid: a card
    /// tester holding the secret of a canceled session gets nothing from the processor.
    async fn payable(&self, merchant: MerchantId, session: SessionId) -> AppResult<()> {
        let found = storage::sessions::session(&self.core.db, merchant, session.0).await?;
        let open = found.is_some_and(|s| {
            matches!(s.status, SessionStatus::Open | SessionStatus::RequiresAction) && s.expires_at > self.core.now()
        });
        if open {
            Ok(())
        } else {
            Err(AppError::user(&[], ErrorCode::SessionNotOpen, "the session can no longer be paid"))
        }
    }

    /// Validates a card and exchanges it for a one-time token. A client secret's token can
    /// pay that session only.
    #[tracing::instrument(skip_all)]
    pub async fn tokenize_card(&self, caller: Caller, input: CardInput) -> AppResult<TokenizedCard> {
        if let Caller::Session { merchant, session } = caller {
            self.payable(merchant, session).await?;
        }
        let number = CardNumber::parse(&input.number).map_err(card_error)?;
        let today = self.core.now();
        let (exp_year, exp_month) =
            check_expiry(input.exp_month, input.exp_year, today.year(), today.month()).map_err(card_error)?;
        let cvc = Cvc::parse(&input.cvc, number.brand()).map_err(card_error)?;
        drop(input);

        let card = CardDetails { number: &number, exp_month, exp_year, cvc: &cvc };
        let (account, processor) = self.processors.current(caller.merchant()).await?;
        let processor_token = processor.tokenize(card).await.map_err(|e| AppError::Internal(e.into()))?;
        let now = self.core.now();
        let row = VaultCard {
            token: new_secret(TOKEN_PREFIX),
            merchant: caller.merchant(),
            session: match caller {
                Caller::Session { session, .. } => Some(session),
                Caller::Merchant { .. } => None,
            },
            processor_token,
            processor_account: account,
            brand: number.brand().as_str().to_owned(),
            last4: number.last4(),
            exp_month: exp_month as i32,
            exp_year,
            fingerprint: number.fingerprint(&self.fingerprint_key, caller.merchant()),
            created_at: now,
            expires_at: now + Duration::minutes(TOKEN_LIFETIME_MINUTES),
            used_at: None,
            wallet: None,
        };
        let row = storage::payments::insert_card(&self.core.db, row).await?;
        Ok(TokenizedCard {
            token: row.token,
            brand: row.brand,
            last4: row.last4,
            exp_month: row.exp_month,
            exp_year: row.exp_year,
        })
    }
}

const FINGERPRINT_KEY: &str = "fingerprint_key";

/// The fingerprint key: `configured` (base64url of 64 bytes) when given, else the one this
/// deployment made on its first start and keeps in the database, so that every instance and
/// every restart recognises the same card.
pub async fn fingerprint_key(db: &storage::Database, configured: Option<&str>) -> anyhow::Result<FingerprintKey> {
    let decode = |text: &str| -> anyhow::Result<FingerprintKey> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim())?;
        let key: [u8; 64] = bytes.try_into().map_err(|_| anyhow::anyhow!("the fingerprint key must be 64 bytes"))?;
        Ok(FingerprintKey(key))
    };
    if let Some(text) = configured {
        return decode(text);
    }
    let stored = storage::secrets::get_or_make(db, FINGERPRINT_KEY, || {
        let mut key = [0u8; 64];
        rand::rng().fill_bytes(&mut key);
        URL_SAFE_NO_PAD.encode(key)
    })
    .await?;
    decode(&stored)
}
