//! What a session's completion does besides its status, by purpose. These writes commit in
//! the same transaction as the move to COMPLETED, so a completed session always has its
//! effect and an effect never exists without its completed session:
//!
//! - CHECKOUT: the order is PAID.
//! - BALANCE_TOP_UP: a TOP_UP ledger entry credits the customer.
//! - OUTSTANDING_BALANCE: a SETTLEMENT ledger entry pays what was owed.
//! - SUBSCRIPTION: the subscription is ACTIVE for its next period and charges the saved
//!   profile from now on.
//! - with `savePaymentProfile` (always for SETUP and SUBSCRIPTION): the method becomes a
//!   payment profile of the customer (see `profiles`).

use super::Core;
use crate::domain::card::VaultCard;
use crate::domain::ledger::LedgerKind;
use crate::domain::payment::Payment;
use crate::domain::session::PaymentSession;
use crate::domain::subscription::{Subscription, period_end};
use crate::domain::{PaymentStatus, SessionPurpose};
use crate::error::AppResult;
use crate::storage::writes::{PaidPeriod, ProfileRef, SessionWrite};

/// What completing a session writes, by purpose.
#[derive(Clone)]
pub struct Fulfilment {
    core: Core,
    balances: super::balances::Balances,
    profiles: super::profiles::Profiles,
    subscriptions: super::subscriptions::Subscriptions,
}

impl Fulfilment {
    pub fn new(
        core: Core,
        balances: super::balances::Balances,
        profiles: super::profiles::Profiles,
        subscriptions: super::subscriptions::Subscriptions,
    ) -> Self {
        Fulfilment { core, balances, profiles, subscriptions }
    }
}

impl Fulfilment {
    /// The writes that complete `session`, paid by `payment` (none for SETUP, which charges
    /// nothing and saves `card`).
    pub(super) async fn completion_writes(
        &self,
        session: &PaymentSession,
        payment: Option<&Payment>,
        card: Option<&VaultCard>,
    ) -> AppResult<Vec<SessionWrite>> {
        let purpose = session.purpose;
        let mut writes = Vec::new();

        if session.save_payment_profile {
            match (card, payment.and_then(|p| p.profile)) {
                (Some(card), _) => writes
                    .extend(self.profiles.save_profile_writes(session, card, session.set_profile_as_default).await?),
                // Paid with a saved profile: nothing new to save, but the session points at it.
                (None, Some(profile)) => {
                    writes.push(SessionWrite::LinkProfile { profile: profile.0 });
                    if session.set_profile_as_default
                        && let Some(customer) = session.customer
                    {
                        writes.push(SessionWrite::ClearDefaultProfile { customer: customer.0 });
                        writes.push(SessionWrite::SetDefaultProfile {
                            customer: customer.0,
                            profile: ProfileRef::Id(profile.0),
                        });
                    }
                }
                // A bank transfer is not a method that can be charged again.
                (None, None) => {}
            }
        }

        match purpose {
            SessionPurpose::Checkout => {
                let order = session.order.ok_or_else(|| anyhow::anyhow!("CHECKOUT session without an order"))?;
                let held = payment.is_some_and(|p| p.status == PaymentStatus::Authorized);
                writes.push(SessionWrite::MarkOrderPaid { order: order.0, held });
            }
            SessionPurpose::BalanceTopUp => writes.push(self.balances.ledger_credit(session, LedgerKind::TopUp)?),
            SessionPurpose::OutstandingBalance => {
                writes.push(self.balances.ledger_credit(session, LedgerKind::Settlement)?)
            }
            SessionPurpose::Subscription => {
                let id = session.subscription.ok_or_else(|| anyhow::anyhow!("SUBSCRIPTION session without one"))?;
                let sub = self
                    .subscriptions
                    .get(session.merchant, id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("session's subscription is gone"))?;
                writes.push(SessionWrite::PayPeriod { subscription: sub.id.0, period: self.period_paid(&sub) });
                // Renewals charge what this session saved (or paid with).
                writes.push(SessionWrite::RenewWithSessionProfile { subscription: sub.id.0 });
            }
            SessionPurpose::Payment | SessionPurpose::Setup => {}
        }
        Ok(writes)
    }

    /// The next period of `sub`, paid: it runs to the end of the next period counted from its
    /// billing anchor (the first payment, which sets it).
    fn period_paid(&self, sub: &Subscription) -> PaidPeriod {
        let now = self.core.now();
        let interval = sub.interval;
        let anchor = sub.billing_anchor.unwrap_or(now);
        let periods_paid = sub.periods_paid + 1;
        let start = if sub.periods_paid == 0 { now } else { sub.current_period_end.unwrap_or(now) };
        PaidPeriod { anchor, periods_paid, start, end: period_end(anchor, interval, sub.interval_count * periods_paid) }
    }
}
