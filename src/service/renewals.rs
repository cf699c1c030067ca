//! Renewals: when an ACTIVE subscription's period ends, the next period is charged
//! off-session from its saved profile, as a new SUBSCRIPTION session paid by the background
//! job. Every renewal attempt is a Payment of that session (`offSession: true`).
//!
//! - Paid: the session COMPLETES and the subscription runs one more period (see
//!   `fulfilment`), all in the completion's transaction.
//! - Declined, blocked, needing 3-D Secure, or no profile to charge: the subscription is
//!   PAST_DUE and the session stays payable on the hosted page for
//!   [`RENEWAL_PAYMENT_WINDOW`]; paying it there makes the subscription ACTIVE again.
//! - That session ends unpaid (expired, failed at the attempt limit, or canceled by the
//!   merchant): the subscription is CANCELED.
//! - `cancelAtPeriodEnd`: at the period's end the subscription is CANCELED, not charged.
//! - Interrupted between the claim and the charge (a crash, the database gone): a later pass
//!   finds the claimed session still OPEN with no attempt and charges it then.
//!
//! Several instances may run the job at once. A renewal is claimed by setting the
//! subscription's `renewal_session_id` where it is still empty for that period end, in the
//! transaction that creates the session: of two instances one claims it, the other changes
//! nothing, and only the claimed session is ever charged.

use super::Core;
use super::auth::Caller;
use super::payments::PaymentMethodInput;
use super::payments::attempt::Attempt;
use super::sessions::open_session;
use crate::domain::SessionPurpose;
use crate::domain::profile::PaymentProfile;
use crate::domain::session::PaymentSession;
use crate::domain::subscription::Subscription;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage;
use crate::storage::transition::TransitionError;
use crate::storage::writes::{Guard, SessionWrite};
use chrono::Duration;

/// How long a renewal the customer has to pay themselves stays payable on the hosted page.
/// Longer than the 24 hours a merchant's own session may last: this is dunning, not checkout.
pub const RENEWAL_PAYMENT_WINDOW: Duration = Duration::days(7);

const RENEWAL_BATCH: u64 = 100;

/// A claimed renewal with no attempt after this long was interrupted, not slow.
const STRANDED_AFTER: Duration = Duration::minutes(1);

/// What one pass of the renewal job did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RenewalPass {
    /// Renewals this pass claimed (charged, or opened for the customer to pay).
    pub renewed: usize,
    /// Subscriptions that ended: canceled at period end, or their renewal went unpaid.
    pub canceled: usize,
    /// Renewals claimed earlier whose charge never ran (the instance died or the database
    /// failed between the claim and the charge), charged now.
    pub resumed: usize,
}

/// Subscription renewals: charging the saved profile each period.
#[derive(Clone)]
pub struct Renewals {
    core: Core,
    payments: super::payments::Payments,
    profiles: super::profiles::Profiles,
    subscriptions: super::subscriptions::Subscriptions,
}

impl Renewals {
    pub fn new(
        core: Core,
        payments: super::payments::Payments,
        profiles: super::profiles::Profiles,
        subscriptions: super::subscriptions::Subscriptions,
    ) -> Self {
        Renewals { core, payments, profiles, subscriptions }
    }
}

impl Renewals {
    /// Renews every ACTIVE subscription whose period has ended, ends those set to cancel at
    /// period end, and cancels those whose renewal session ended unpaid.
    pub async fn renew_once(&self) -> AppResult<RenewalPass> {
        let due = storage::renewals::due(&self.core.db, self.core.now(), RENEWAL_BATCH).await?;
        let mut pass = RenewalPass::default();
        for sub in due {
            if sub.cancel_at_period_end {
                pass.canceled += usize::from(self.end_at_period_end(&sub).await?);
                continue;
            }
            match self.renew(&sub).await {
                Ok(claimed) => pass.renewed += usize::from(claimed),
                // One subscription's fault must not hold up the others; it is retried next pass
                // if its claim did not commit, and is PAST_DUE with its session if it did.
                Err(error) => tracing::warn!(subscription = %sub.id, error = %format!("{error:#}"), "renewal failed"),
            }
        }
        pass.resumed = self.resume_stranded().await?;
        pass.canceled += self.lapse_unpaid().await?;
        Ok(pass)
    }

    /// Claims and charges one renewal. `false`: another instance claimed it first.
    async fn renew(&self, sub: &Subscription) -> AppResult<bool> {
        let Some(session) = self.claim_renewal(sub).await? else { return Ok(false) };
        self.charge_renewal(sub, &session).await?;
        Ok(true)
    }

    /// The first half of a renewal: the subscription's period is claimed and its session
    /// created, in one transaction. `None`: it was claimed already (another instance, or an
    /// earlier pass). Public so tests can stop a renewal here, as a crash would.
    pub async fn claim_renewal(&self, sub: &Subscription) -> AppResult<Option<PaymentSession>> {
        let merchant = sub.merchant;
        let now = self.core.now();
        let row = PaymentSession {
            amount: Some(sub.price),
            customer: Some(sub.customer),
            subscription: Some(sub.id),
            // Paid by hand on the hosted page, the new method is what later renewals charge.
            save_payment_profile: true,
            set_profile_as_default: true,
            ..open_session(merchant, SessionPurpose::Subscription, now, now + RENEWAL_PAYMENT_WINDOW)
        };
        // Of two instances claiming one renewal, one creates its session; the other's
        // transaction is rolled back by the refused claim.
        let claim = SessionWrite::ClaimRenewal { subscription: sub.id.0, period_end: sub.current_period_end };
        let (session, event) = match storage::sessions::create(&self.core.db, row, now, vec![claim]).await {
            Ok(created) => created,
            Err(TransitionError::Refused(Guard::RenewalClaimed)) => return Ok(None),
            Err(error) => return Err(anyhow::Error::new(error).context("claiming a renewal").into()),
        };
        self.core.publish(event).await;
        Ok(Some(session))
    }

    /// The second half: the off-session charge of the claimed session, or PAST_DUE when there
    /// is nothing to charge or the attempt could not be made.
    async fn charge_renewal(&self, sub: &Subscription, session: &PaymentSession) -> AppResult<()> {
        let Some(profile) = self.renewal_profile(sub).await? else {
            tracing::info!(subscription = %sub.id, "no saved profile to renew with; PAST_DUE until the customer pays");
            return self.mark_past_due(session).await;
        };
        let method = PaymentMethodInput::Profile(profile.id);
        let caller = Caller::merchant_key(sub.merchant);
        let attempt = Attempt { caller, id: session.id, method, client_ip: None, off_session: true };
        let attempt = self.payments.attempt(attempt, None).await;
        match attempt {
            Ok(_) => Ok(()),
            // Another instance resumed the same renewal at the same moment: its attempt stands.
            Err(AppError::User(errors)) if errors.iter().any(|e| e.code == ErrorCode::VersionConflict) => Ok(()),
            Err(error) => {
                // The session is the customer's to pay now; the subscription must say so.
                self.mark_past_due(session).await?;
                Err(error)
            }
        }
    }

    /// Charges renewals whose claim committed but whose charge never ran: the subscription is
    /// still ACTIVE and its renewal session OPEN with no attempt, for longer than a renewal
    /// takes. Racing instances are settled by the session's compare-and-set: one charge.
    async fn resume_stranded(&self) -> AppResult<usize> {
        let stranded =
            storage::renewals::stranded(&self.core.db, self.core.now() - STRANDED_AFTER, RENEWAL_BATCH).await?;
        let mut resumed = 0;
        for session in stranded {
            let Some(sub_id) = session.subscription else { continue };
            let Some(sub) = self.subscriptions.get(session.merchant, sub_id).await? else {
                continue;
            };
            tracing::warn!(subscription = %sub.id, session = %session.id, "resuming a renewal whose charge never ran");
            match self.charge_renewal(&sub, &session).await {
                Ok(()) => resumed += 1,
                Err(error) => tracing::warn!(subscription = %sub.id, error = %format!("{error:#}"), "renewal failed"),
            }
        }
        Ok(resumed)
    }

    /// The profile a renewal charges: the subscription's own, else the customer's default.
    async fn renewal_profile(&self, sub: &Subscription) -> AppResult<Option<PaymentProfile>> {
        if let Some(id) = sub.default_profile
            && let Some(profile) = self.profiles.get(sub.merchant, id).await?
        {
            return Ok(Some(profile));
        }
        self.profiles.default_of(sub.customer).await
    }

    /// With a renewal session that was not paid: its subscription is PAST_DUE (the same
    /// write a failed attempt carries with its status change).
    async fn mark_past_due(&self, session: &PaymentSession) -> AppResult<()> {
        if session.purpose == SessionPurpose::Subscription {
            storage::renewals::mark_past_due(&self.core.db, session.id.0, self.core.now()).await?;
        }
        Ok(())
    }

    /// A subscription set to cancel at period end reaches it: CANCELED, as of that moment.
    async fn end_at_period_end(&self, sub: &Subscription) -> AppResult<bool> {
        Ok(storage::renewals::end_at_period_end(&self.core.db, sub, self.core.now()).await?)
    }

    /// Cancels subscriptions whose renewal session ended without being paid.
    async fn lapse_unpaid(&self) -> AppResult<usize> {
        Ok(storage::renewals::lapse_unpaid(&self.core.db, self.core.now(), RENEWAL_BATCH).await?)
    }
}
