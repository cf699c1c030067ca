//! Saved payment profiles: a customer's card (or wallet card) kept to pay again without
//! entering it. A profile keeps the processor's token, brand, last 4, expiry and the keyed
//! fingerprint; never a number. One card is one profile per customer: saving it again
//! refreshes (and, if removed, revives) the same profile.

use super::Core;
use super::auth::Caller;
use crate::domain::card::VaultCard;
use crate::domain::profile::PaymentProfile;
use crate::domain::session::PaymentSession;
use crate::domain::{CustomerId, MerchantId, PaymentMethodType, ProfileId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage;
use crate::storage::kinds;
use crate::storage::listings::Listing;

use crate::domain::event::EventKind;
use crate::storage::transition::TransitionError;
use crate::storage::writes::{AccountWrite, Guard, ProfileRef, SessionWrite};

/// Saved payment methods of a customer.
#[derive(Clone)]
pub struct Profiles {
    core: Core,
}

impl Profiles {
    pub fn new(core: Core) -> Self {
        Profiles { core }
    }
}

impl Profiles {
    /// The writes that save the method of `card` for `session`'s customer when the session
    /// completes: the profile (inserted, or refreshed by fingerprint), the session's link to
    /// it and, when asked or when the customer has none, the default flag.
    pub(super) async fn save_profile_writes(
        &self,
        session: &PaymentSession,
        card: &VaultCard,
        make_default: bool,
    ) -> AppResult<Vec<SessionWrite>> {
        let Some(customer_id) = session.customer else {
            return Err(anyhow::anyhow!("saving a profile for a session without a customer").into());
        };
        let make_default = make_default || self.default_of(customer_id).await?.is_none();
        let customer = customer_id.0;
        let kind = if card.wallet.is_some() { PaymentMethodType::Wallet } else { PaymentMethodType::Card };
        let profile = PaymentProfile {
            id: ProfileId::new(),
            merchant: session.merchant,
            customer: customer_id,
            method: kind,
            brand: Some(card.brand.clone()),
            last4: Some(card.last4.clone()),
            exp_month: Some(card.exp_month),
            exp_year: Some(card.exp_year),
            fingerprint: card.fingerprint.clone(),
            processor_token: card.processor_token.clone(),
            processor_account: card.processor_account,
            is_default: false,
            saved_by: Some(session.id),
            created_at: self.core.now(),
            removed_at: None,
        };
        let fingerprint = card.fingerprint.clone();
        let mut writes = vec![
            SessionWrite::SaveProfile(profile),
            SessionWrite::LinkProfileByFingerprint { customer, fingerprint: fingerprint.clone() },
        ];
        if make_default {
            writes.push(SessionWrite::ClearDefaultProfile { customer });
            writes.push(SessionWrite::SetDefaultProfile { customer, profile: ProfileRef::Fingerprint(fingerprint) });
        }
        Ok(writes)
    }

    /// The customer's default profile, if they have one that is not removed.
    pub async fn default_of(&self, customer: CustomerId) -> AppResult<Option<PaymentProfile>> {
        Ok(storage::profiles::default_of(&self.core.db, customer).await?)
    }

    /// A profile of this merchant that is not removed.
    /// Saved profiles that were not removed, optionally of one customer.
    pub fn listing(&self, merchant: MerchantId, customer: Option<CustomerId>) -> Listing<kinds::Profiles> {
        storage::listings::profiles(merchant, customer)
    }

    pub async fn get(&self, merchant: MerchantId, id: ProfileId) -> AppResult<Option<PaymentProfile>> {
        Ok(storage::profiles::live(&self.core.db, merchant, id.0).await?)
    }

    /// A profile `caller` may pay `session` with: the session's customer's, not removed.
    /// Anything else reads as not found, so a foreign profile's existence does not leak.
    pub(super) async fn usable_profile(
        &self,
        caller: Caller,
        session: &PaymentSession,
        id: ProfileId,
    ) -> AppResult<PaymentProfile> {
        let field = ["input", "paymentMethod", "paymentProfileId"];
        self.get(caller.merchant(), id)
            .await?
            .filter(|p| session.customer == Some(p.customer))
            .ok_or_else(|| AppError::not_found(&field, "payment profile"))
    }

    /// Makes a profile its customer's default, which renewals charge.
    #[tracing::instrument(skip(self))]
    pub async fn set_default(&self, merchant: MerchantId, id: ProfileId) -> AppResult<PaymentProfile> {
        let profile =
            self.get(merchant, id).await?.ok_or_else(|| AppError::not_found(&["input", "id"], "payment profile"))?;
        let customer = profile.customer.0;
        let writes = vec![
            SessionWrite::ClearDefaultProfile { customer },
            SessionWrite::SetDefaultProfile { customer, profile: ProfileRef::Id(profile.id.0) },
        ];
        self.record(&profile, EventKind::PaymentMethodUpdated, writes).await?;
        Ok(PaymentProfile { is_default: true, ..profile })
    }

    /// Removes a profile: it no longer pays and is no longer listed. With `Renewals::MayLose`
    /// (the merchant) a subscription that charged it falls back to the customer's default at
    /// its next renewal; with `Renewals::Keep` (the customer, in the portal) the method a
    /// running subscription renews on is `PAYMENT_METHOD_IN_USE` until another is chosen.
    #[tracing::instrument(skip(self))]
    pub async fn remove(&self, merchant: MerchantId, id: ProfileId, renewals: Renewals) -> AppResult<PaymentProfile> {
        let field = ["input", "id"];
        let profile = self.get(merchant, id).await?.ok_or_else(|| AppError::not_found(&field, "payment profile"))?;
        let (customer, keep_renewals) = (profile.customer.0, renewals == Renewals::Keep);
        let writes = vec![
            SessionWrite::Account(AccountWrite::RemoveProfile { profile: id.0, customer, keep_renewals }),
            SessionWrite::Account(AccountWrite::DetachProfile { profile: id.0 }),
        ];
        match self.record(&profile, EventKind::PaymentMethodRemoved, writes).await {
            Ok(()) => Ok(PaymentProfile { is_default: false, removed_at: Some(self.core.now()), ..profile }),
            Err(AppError::Internal(_)) | Err(AppError::User(_)) if self.get(merchant, id).await?.is_none() => {
                Err(AppError::not_found(&field, "payment profile")) // Removed meanwhile.
            }
            Err(error) => Err(error),
        }
    }

    /// One change of `profile`, recorded as event `kind` of the session that saved it, in
    /// one transaction with `writes`.
    async fn record(&self, profile: &PaymentProfile, kind: EventKind, writes: Vec<SessionWrite>) -> AppResult<()> {
        let saved_by = match profile.saved_by {
            Some(session) => storage::sessions::session(&self.core.db, profile.merchant, session.0).await?,
            None => None,
        };
        let anchor =
            saved_by.ok_or_else(|| anyhow::anyhow!("payment profile {} was saved by no session", profile.id))?;
        match self.core.record_account_change(&anchor, kind, Some(profile.id.0), writes).await {
            Ok(()) => {
                self.core.customer_changed(profile.merchant, profile.customer).await;
                Ok(())
            }
            Err(TransitionError::Refused(Guard::ProfileNotRemovable)) => Err(AppError::user(
                &["input", "id"],
                ErrorCode::PaymentMethodInUse,
                "a running subscription renews on this method: choose another for it first",
            )),
            Err(TransitionError::Refused(Guard::Missing)) => {
                Err(AppError::not_found(&["input", "id"], "payment profile"))
            }
            Err(error) => Err(super::transition::refusal(anchor.id, error)),
        }
    }
}

/// Whether a removal may leave a subscription with nothing to renew on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renewals {
    /// The merchant's call: a subscription that charged it falls back to the default.
    MayLose,
    /// The customer's: the method a running subscription renews on stays until another is chosen.
    Keep,
}

/// Which attempts may save a profile: cards and wallets, not bank transfers.
pub fn saveable(kind: PaymentMethodType) -> bool {
    matches!(kind, PaymentMethodType::Card | PaymentMethodType::Wallet)
}
