//! The built-in test processor: Stripe's documented test cards behave as they do on Stripe.
//!
//! Tokenizing looks the number up in the table below and puts only the behaviour in the
//! token (`tp_<behaviour>.<random>`), the way a real acquirer's token points at card data it
//! keeps itself. A card number that is not a test card is declined with
//! `test_mode_live_card`, as Stripe does in test mode.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use futures_util::future::BoxFuture;

use super::test_books::{self, Books};
use super::test_cards::{TEST_CARDS, TEST_WALLET_EXPIRY, TEST_WALLET_TOKENS};
use super::test_disputes::TestDisputes;
use super::{
    CardDetails, ChargeOutcome, ChargeRequest, DeclineCode, DisputeReport, Processor, ProcessorError, RefundOutcome,
    RefundRequest, Verified, WalletCard,
};
use crate::domain::Money;
use crate::domain::PaymentMethodType;
use crate::domain::capture::HoldOutcome;
use crate::domain::card::{CardNumber, Wallet};
use crate::domain::dispute::DisputeEvidence;
use crate::domain::new_secret;

/// What a test card does when charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Behaviour {
    Succeed,
    Decline(DeclineCode),
    ThreeDSecure,
    /// Saving it succeeds; every charge is declined (Stripe's 4000000000000341), which is
    /// how a renewal's decline is tested.
    SavesThenDeclines,
    /// Charges succeed; a refund is PENDING, then fails (Stripe's 4000000000005126, with
    /// `expired_or_canceled_card`).
    RefundFails,
    /// Charges succeed, and the customer's bank disputes them (Stripe's 4000000000000259).
    Disputed,
}

/// Why a refund of a [`Behaviour::RefundFails`] card fails, as Stripe names it.
pub const REFUND_FAILURE: &str = "expired_or_canceled_card";

fn behaviour_of(number: &CardNumber) -> Behaviour {
    TEST_CARDS
        .iter()
        .find(|(test_card, _)| number.is(test_card))
        .map_or(Behaviour::Decline(DeclineCode::TestModeLiveCard), |(_, b)| *b)
}

impl Behaviour {
    pub(super) fn tag(self) -> &'static str {
        match self {
            Behaviour::Succeed => "ok",
            Behaviour::ThreeDSecure => "3ds",
            Behaviour::Decline(code) => code.as_str(),
            Behaviour::SavesThenDeclines => "saves_then_declines",
            Behaviour::RefundFails => "refund_fails",
            Behaviour::Disputed => "disputed",
        }
    }

    fn from_token(token: &str) -> Option<Behaviour> {
        let rest = token.strip_prefix("tp_")?;
        let (tag, _) = rest.split_once('.')?;
        Behaviour::from_tag(tag)
    }

    pub(super) fn from_tag(tag: &str) -> Option<Behaviour> {
        match tag {
            "ok" => Some(Behaviour::Succeed),
            "3ds" => Some(Behaviour::ThreeDSecure),
            "saves_then_declines" => Some(Behaviour::SavesThenDeclines),
            "refund_fails" => Some(Behaviour::RefundFails),
            "disputed" => Some(Behaviour::Disputed),
            code => code.parse().ok().map(Behaviour::Decline),
        }
    }
}

/// The processor `cargo run` uses. Like an acquirer, it remembers each charge by its
/// idempotency key (the latest outcome; the newest [`REMEMBERED_CHARGES`] keys), so a charge
/// whose answer was lost can be looked up. Given a database (`keep_in`), its books are kept
/// there too, so a restarted process still knows them, as an acquirer would.
#[derive(Default)]
pub struct TestProcessor {
    charges: Mutex<ChargeLog>,
    books: Books,
    disputes: TestDisputes,
}

/// What the processor did with money, in the order it did it: every charge that took or
/// held money (once per idempotency key, however often it was asked), every capture, void
/// and refund. Tests count "paid once" here, where the money moves, beside paygraph's rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// (idempotency key, amount in minor units): charged at once or held.
    pub charges: Vec<(String, i64)>,
    /// (the hold's charge key, amount taken).
    pub captures: Vec<(String, i64)>,
    /// The holds' charge keys.
    pub voids: Vec<String>,
    /// (refund idempotency key, amount).
    pub refunds: Vec<(String, i64)>,
}

/// Charges remembered for lookup; older ones are forgotten first.
pub const REMEMBERED_CHARGES: usize = 100_000;

#[derive(Default)]
struct ChargeLog {
    outcomes: HashMap<String, (ChargeOutcome, Behaviour)>,
    order: VecDeque<String>,
    /// Refunds by their idempotency key, with the behaviour of the card they refund.
    refunds: HashMap<String, (RefundOutcome, Behaviour)>,
    /// Authorizations by their charge's key: `None` while held, then how they ended.
    holds: HashMap<String, Option<HoldOutcome>>,
    ledger: Ledger,
}

impl ChargeLog {
    fn record(&mut self, key: &str, outcome: ChargeOutcome, behaviour: Behaviour) {
        if self.outcomes.insert(key.to_owned(), (outcome, behaviour)).is_none() {
            self.order.push_back(key.to_owned());
            if self.order.len() > REMEMBERED_CHARGES
                && let Some(oldest) = self.order.pop_front()
            {
                self.outcomes.remove(&oldest);
            }
        }
    }
}

impl TestProcessor {
    /// Keeps the processor's books in `db` from now on (charges, holds, refunds).
    pub fn keep_in(&self, db: crate::storage::Database) {
        self.books.keep_in(db);
    }

    /// Brings the record of `kind` known by `key` into memory from the books, if it is only
    /// there (made before a restart).
    async fn recall(&self, kind: &str, key: &str) -> Result<(), ProcessorError> {
        let known = {
            let log = self.charge_log();
            match kind {
                test_books::CHARGE => log.outcomes.contains_key(key),
                test_books::HOLD => log.holds.contains_key(key),
                _ => log.refunds.contains_key(key),
            }
        };
        if known {
            return Ok(());
        }
        let Some(text) = self.books.get(kind, key).await? else { return Ok(()) };
        let unreadable = || ProcessorError(format!("an unreadable {kind} record: {text}"));
        let mut log = self.charge_log();
        match kind {
            test_books::CHARGE => {
                let (outcome, behaviour) = test_books::charge_of(&text).ok_or_else(unreadable)?;
                log.record(key, outcome, behaviour);
            }
            test_books::HOLD => {
                log.holds.entry(key.to_owned()).or_insert(test_books::hold_of(&text).ok_or_else(unreadable)?);
            }
            _ => {
                log.refunds.entry(key.to_owned()).or_insert(test_books::refund_of(&text).ok_or_else(unreadable)?);
            }
        }
        Ok(())
    }

    /// Everything this processor did with money so far.
    pub fn ledger(&self) -> Ledger {
        self.charge_log().ledger.clone()
    }

    fn charge_log(&self) -> std::sync::MutexGuard<'_, ChargeLog> {
        // A panic while holding the lock cannot leave the map half-written: take it anyway.
        self.charges.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Processor for TestProcessor {
    fn tokenize<'a>(&'a self, card: CardDetails<'a>) -> BoxFuture<'a, Result<String, ProcessorError>> {
        let behaviour = behaviour_of(card.number);
        Box::pin(async move { Ok(new_secret(&format!("tp_{}.", behaviour.tag()))) })
    }

    fn tokenize_wallet<'a>(
        &'a self,
        wallet: Wallet,
        payment_token: &'a str,
    ) -> BoxFuture<'a, Result<Option<WalletCard>, ProcessorError>> {
        Box::pin(async move {
            let Some((name, _, number)) =
                TEST_WALLET_TOKENS.iter().find(|(name, of, _)| *name == payment_token && *of == wallet)
            else {
                return Ok(None);
            };
            let number = CardNumber::parse(number).map_err(|e| ProcessorError(e.to_string()))?;
            let (exp_month, exp_year) = TEST_WALLET_EXPIRY;
            Ok(Some(WalletCard {
                processor_token: new_secret(&format!("tp_{}.", behaviour_of(&number).tag())),
                brand: number.brand(),
                last4: number.last4(),
                exp_month,
                exp_year,
                account_reference: (*name).to_owned(),
            }))
        })
    }

    /// As a charge would end, except that 3-D Secure is not asked when saving: the test
    /// cards that require it do so at their first charge.
    fn verify<'a>(
        &'a self,
        processor_token: &'a str,
        authenticated: bool,
    ) -> BoxFuture<'a, Result<Verified, ProcessorError>> {
        Box::pin(async move {
            let behaviour = Behaviour::from_token(processor_token)
                .ok_or_else(|| ProcessorError("not a test processor token".into()))?;
            Ok(match behaviour {
                Behaviour::Decline(code) => Verified::Declined(code.into()),
                // As a SetupIntent of such a card does: the customer authenticates first.
                Behaviour::ThreeDSecure if !authenticated => Verified::RequiresAction,
                Behaviour::Succeed
                | Behaviour::ThreeDSecure
                | Behaviour::SavesThenDeclines
                | Behaviour::RefundFails
                | Behaviour::Disputed => Verified::Usable(processor_token.to_owned()),
            })
        })
    }

    fn supports(&self, _method: PaymentMethodType) -> bool {
        true
    }

    fn charge<'a>(
        &'a self,
        request: ChargeRequest<'a>,
        authenticated: bool,
    ) -> BoxFuture<'a, Result<ChargeOutcome, ProcessorError>> {
        Box::pin(async move {
            let behaviour = Behaviour::from_token(request.processor_token)
                .ok_or_else(|| ProcessorError("not a test processor token".into()))?;
            let key = request.idempotency_key;
            self.recall(test_books::CHARGE, key).await?;
            self.recall(test_books::HOLD, key).await?;
            let mut outcome = match behaviour {
                Behaviour::Succeed | Behaviour::RefundFails | Behaviour::Disputed => ChargeOutcome::Succeeded,
                Behaviour::Decline(code) => ChargeOutcome::Declined(code.into()),
                Behaviour::ThreeDSecure if authenticated => ChargeOutcome::Succeeded,
                Behaviour::ThreeDSecure => ChargeOutcome::RequiresAction { redirect: None },
                Behaviour::SavesThenDeclines => ChargeOutcome::Declined(DeclineCode::CardDeclined.into()),
            };
            let hold = {
                let mut log = self.charge_log();
                if outcome == ChargeOutcome::Succeeded && !request.capture {
                    outcome = ChargeOutcome::Authorized;
                    log.holds.entry(key.to_owned()).or_insert(None);
                }
                let took_money = |o: Option<&ChargeOutcome>| {
                    o.is_some_and(|o| matches!(o, ChargeOutcome::Succeeded | ChargeOutcome::Authorized))
                };
                let before = log.outcomes.get(key).map(|(o, _)| o.clone());
                if took_money(Some(&outcome)) && !took_money(before.as_ref()) {
                    log.ledger.charges.push((key.to_owned(), request.amount.amount()));
                }
                log.record(key, outcome.clone(), behaviour);
                log.holds.get(key).copied()
            };
            self.books.put(test_books::CHARGE, key, &test_books::charge_text(&outcome, behaviour)).await?;
            if let Some(hold) = hold {
                self.books.put(test_books::HOLD, key, &test_books::hold_text(hold)).await?;
            }
            if behaviour == Behaviour::Disputed && outcome == ChargeOutcome::Succeeded {
                self.disputes.open(&self.books, key, request.amount.amount()).await?;
            }
            Ok(outcome)
        })
    }

    fn charge_outcome<'a>(
        &'a self,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<ChargeOutcome>, ProcessorError>> {
        Box::pin(async move {
            self.recall(test_books::CHARGE, idempotency_key).await?;
            Ok(self.charge_log().outcomes.get(idempotency_key).map(|(outcome, _)| outcome.clone()))
        })
    }

    /// At once, except for [`Behaviour::RefundFails`] cards: PENDING, and FAILED when next
    /// asked. A charge this process does not remember (made before a restart) refunds at once.
    fn refund<'a>(&'a self, request: RefundRequest<'a>) -> BoxFuture<'a, Result<RefundOutcome, ProcessorError>> {
        Box::pin(async move {
            let key = request.idempotency_key;
            self.recall(test_books::REFUND, key).await?;
            self.recall(test_books::CHARGE, request.charge_key).await?;
            let (outcome, behaviour) = {
                let mut log = self.charge_log();
                if let Some((outcome, _)) = log.refunds.get(key) {
                    return Ok(*outcome);
                }
                let behaviour = log.outcomes.get(request.charge_key).map_or(Behaviour::Succeed, |(_, b)| *b);
                let outcome =
                    if behaviour == Behaviour::RefundFails { RefundOutcome::Pending } else { RefundOutcome::Succeeded };
                log.refunds.insert(key.to_owned(), (outcome, behaviour));
                log.ledger.refunds.push((key.to_owned(), request.amount.amount()));
                (outcome, behaviour)
            };
            self.books.put(test_books::REFUND, key, &test_books::refund_text(outcome, behaviour)).await?;
            Ok(outcome)
        })
    }

    fn refund_outcome<'a>(
        &'a self,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<RefundOutcome>, ProcessorError>> {
        Box::pin(async move {
            self.recall(test_books::REFUND, idempotency_key).await?;
            let (outcome, behaviour, changed) = {
                let mut log = self.charge_log();
                let Some(entry) = log.refunds.get_mut(idempotency_key) else { return Ok(None) };
                let changed = entry.0 == RefundOutcome::Pending && entry.1 == Behaviour::RefundFails;
                if changed {
                    entry.0 = RefundOutcome::Failed(REFUND_FAILURE);
                }
                (entry.0, entry.1, changed)
            };
            if changed {
                self.books
                    .put(test_books::REFUND, idempotency_key, &test_books::refund_text(outcome, behaviour))
                    .await?;
            }
            Ok(Some(outcome))
        })
    }

    fn capture<'a>(&'a self, charge_key: &'a str, amount: Money) -> BoxFuture<'a, Result<HoldOutcome, ProcessorError>> {
        Box::pin(self.end_hold(charge_key, HoldOutcome::Captured(amount.amount())))
    }

    fn void<'a>(&'a self, charge_key: &'a str) -> BoxFuture<'a, Result<HoldOutcome, ProcessorError>> {
        Box::pin(self.end_hold(charge_key, HoldOutcome::Voided))
    }

    fn dispute_news(&self) -> BoxFuture<'_, Result<Vec<DisputeReport>, ProcessorError>> {
        Box::pin(self.disputes.news(&self.books))
    }

    fn disputes_seen<'a>(&'a self, reports: &'a [DisputeReport]) -> BoxFuture<'a, Result<(), ProcessorError>> {
        Box::pin(self.disputes.seen(&self.books, reports))
    }

    fn submit_dispute<'a>(
        &'a self,
        reference: &'a str,
        evidence: &'a DisputeEvidence,
    ) -> BoxFuture<'a, Result<(), ProcessorError>> {
        Box::pin(self.disputes.decide(&self.books, reference, evidence))
    }

    fn accept_dispute<'a>(&'a self, _reference: &'a str) -> BoxFuture<'a, Result<(), ProcessorError>> {
        // Conceded: closed LOST by paygraph at once, nothing more to report.
        Box::pin(async { Ok(()) })
    }
}

impl TestProcessor {
    /// Ends the hold of `charge_key` with `ending` unless it has ended; answers how it ended.
    /// A hold this process does not remember (made before a restart) ends as asked.
    async fn end_hold(&self, charge_key: &str, ending: HoldOutcome) -> Result<HoldOutcome, ProcessorError> {
        self.recall(test_books::HOLD, charge_key).await?;
        {
            let mut log = self.charge_log();
            let hold = log.holds.entry(charge_key.to_owned()).or_insert(None);
            if let Some(ended) = *hold {
                return Ok(ended);
            }
            *hold = Some(ending);
            match ending {
                HoldOutcome::Captured(amount) => log.ledger.captures.push((charge_key.to_owned(), amount)),
                HoldOutcome::Voided => log.ledger.voids.push(charge_key.to_owned()),
            }
        }
        self.books.put(test_books::HOLD, charge_key, &test_books::hold_text(Some(ending))).await?;
        Ok(ending)
    }
}

#[cfg(test)]
#[path = "test_processor_tests.rs"]
mod tests;
