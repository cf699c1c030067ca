//! The test processor's disputes, as in Stripe's test mode: a charge of the dispute card
//! (4000 0000 0000 0259) is disputed as FRAUDULENT once it succeeds; submitted evidence wins
//! when its explanation holds "winning_evidence" and loses otherwise. What changed waits as
//! news until paygraph's background pass recorded it (`disputes_seen`), in the books so a
//! restart loses none.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::test_books::Books;
use super::{DisputeReport, ProcessorError};
use crate::domain::dispute::{DisputeEvidence, DisputeReason, DisputeStatus};

/// `<charge key>|<amount>`, by the dispute's reference.
const DISPUTE: &str = "dispute";
/// The status to report, by the dispute's reference.
const NEWS: &str = "dispute_news";
/// What an explanation holds to win, as Stripe's test mode reads it.
pub const WINNING_EVIDENCE: &str = "winning_evidence";

/// Without a database (unit tests) the disputes live here alone.
#[derive(Default)]
pub(super) struct TestDisputes {
    disputes: Mutex<BTreeMap<String, String>>,
    news: Mutex<BTreeMap<String, String>>,
}

impl TestDisputes {
    /// The charge `charge_key` of `amount` is disputed.
    pub async fn open(&self, books: &Books, charge_key: &str, amount: i64) -> Result<(), ProcessorError> {
        let reference = format!("dp_test_{}", charge_key.replace('-', ""));
        let details = format!("{charge_key}|{amount}");
        self.put(books, DISPUTE, &reference, &details).await?;
        self.put(books, NEWS, &reference, DisputeStatus::NeedsResponse.as_str()).await
    }

    /// The bank decides on the evidence.
    pub async fn decide(
        &self,
        books: &Books,
        reference: &str,
        evidence: &DisputeEvidence,
    ) -> Result<(), ProcessorError> {
        if self.get(books, DISPUTE, reference).await?.is_none() {
            return Err(ProcessorError(format!("no dispute {reference}")));
        }
        let wins = evidence.explanation.as_deref().is_some_and(|text| text.contains(WINNING_EVIDENCE));
        let decided = if wins { DisputeStatus::Won } else { DisputeStatus::Lost };
        self.put(books, NEWS, reference, decided.as_str()).await
    }

    /// Every dispute with news.
    pub async fn news(&self, books: &Books) -> Result<Vec<DisputeReport>, ProcessorError> {
        let news = match books.all(NEWS).await? {
            Some(rows) => rows,
            None => self.memory(&self.news).clone().into_iter().collect(),
        };
        let mut reports = Vec::with_capacity(news.len());
        for (reference, status) in news {
            let details = self.get(books, DISPUTE, &reference).await?.unwrap_or_default();
            let unreadable = || ProcessorError("an unreadable dispute record".to_owned());
            let (charge_key, amount) = details.split_once('|').ok_or_else(unreadable)?;
            reports.push(DisputeReport {
                reference,
                charge_key: charge_key.to_owned(),
                amount: amount.parse().map_err(|_| unreadable())?,
                reason: DisputeReason::Fraudulent,
                status: status.parse().map_err(|_| unreadable())?,
                evidence_due_by: None,
            });
        }
        Ok(reports)
    }

    /// These reports were recorded; news written since stays.
    pub async fn seen(&self, books: &Books, reports: &[DisputeReport]) -> Result<(), ProcessorError> {
        for report in reports {
            let status = report.status.as_str();
            books.remove(NEWS, &report.reference, status).await?;
            let mut news = self.memory(&self.news);
            if news.get(&report.reference).is_some_and(|held| held == status) {
                news.remove(&report.reference);
            }
        }
        Ok(())
    }

    async fn put(&self, books: &Books, kind: &str, key: &str, value: &str) -> Result<(), ProcessorError> {
        let map = if kind == NEWS { &self.news } else { &self.disputes };
        self.memory(map).insert(key.to_owned(), value.to_owned());
        books.put(kind, key, value).await
    }

    async fn get(&self, books: &Books, kind: &str, key: &str) -> Result<Option<String>, ProcessorError> {
        let map = if kind == NEWS { &self.news } else { &self.disputes };
        if let Some(value) = self.memory(map).get(key) {
            return Ok(Some(value.clone()));
        }
        books.get(kind, key).await
    }

    fn memory<'a>(
        &self,
        map: &'a Mutex<BTreeMap<String, String>>,
    ) -> std::sync::MutexGuard<'a, BTreeMap<String, String>> {
        map.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
