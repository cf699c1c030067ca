//! The test processor's books in the database, as an acquirer keeps its own: charges, holds
//! and refunds by their key, written through as they happen and read back on a miss, so a
//! restarted process still knows a charge whose answer was lost. Without a database (unit
//! tests) the books are the process's memory alone.

use std::sync::OnceLock;

use super::test_processor::{Behaviour, REFUND_FAILURE};
use super::{ChargeOutcome, Decline, ProcessorError, RefundOutcome};
use crate::domain::capture::HoldOutcome;
use crate::storage::{self, Database};

pub(super) const CHARGE: &str = "charge";
pub(super) const HOLD: &str = "hold";
pub(super) const REFUND: &str = "refund";

#[derive(Default)]
pub(super) struct Books {
    db: OnceLock<Database>,
}

impl Books {
    pub fn keep_in(&self, db: Database) {
        let _ = self.db.set(db);
    }

    pub async fn get(&self, kind: &str, key: &str) -> Result<Option<String>, ProcessorError> {
        let Some(db) = self.db.get() else { return Ok(None) };
        storage::test_processor::get(db, kind, key).await.map_err(fault)
    }

    pub async fn put(&self, kind: &str, key: &str, value: &str) -> Result<(), ProcessorError> {
        let Some(db) = self.db.get() else { return Ok(()) };
        storage::test_processor::put(db, kind, key, value).await.map_err(fault)
    }
}

impl Books {
    /// Every record of `kind`; `None` without a database (the caller's memory holds them).
    pub async fn all(&self, kind: &str) -> Result<Option<Vec<(String, String)>>, ProcessorError> {
        let Some(db) = self.db.get() else { return Ok(None) };
        storage::test_processor::all(db, kind).await.map(Some).map_err(fault)
    }

    /// Removes the record of `kind` known by `key` if it still holds `value` (a newer one
    /// written meanwhile stays).
    pub async fn remove(&self, kind: &str, key: &str, value: &str) -> Result<(), ProcessorError> {
        let Some(db) = self.db.get() else { return Ok(()) };
        storage::test_processor::remove(db, kind, key, value).await.map_err(fault)
    }
}

fn fault(error: sea_orm::DbErr) -> ProcessorError {
    ProcessorError(format!("the test processor's books: {error}"))
}

/// `<outcome>|<behaviour>`.
pub(super) fn charge_text(outcome: &ChargeOutcome, behaviour: Behaviour) -> String {
    let outcome = match outcome {
        ChargeOutcome::Succeeded => "succeeded".to_owned(),
        ChargeOutcome::Authorized => "authorized".to_owned(),
        ChargeOutcome::RequiresAction { .. } => "requires_action".to_owned(),
        ChargeOutcome::Declined(decline) => format!("declined:{}", decline.as_str()),
    };
    format!("{outcome}|{}", behaviour.tag())
}

pub(super) fn charge_of(text: &str) -> Option<(ChargeOutcome, Behaviour)> {
    let (outcome, tag) = text.split_once('|')?;
    let outcome = match outcome {
        "succeeded" => ChargeOutcome::Succeeded,
        "authorized" => ChargeOutcome::Authorized,
        "requires_action" => ChargeOutcome::RequiresAction { redirect: None },
        other => ChargeOutcome::Declined(Decline::from_code(other.strip_prefix("declined:")?)),
    };
    Some((outcome, Behaviour::from_tag(tag)?))
}

/// `held`, `captured:<amount>` or `voided`.
pub(super) fn hold_text(hold: Option<HoldOutcome>) -> String {
    match hold {
        None => "held".to_owned(),
        Some(HoldOutcome::Captured(amount)) => format!("captured:{amount}"),
        Some(HoldOutcome::Voided) => "voided".to_owned(),
    }
}

pub(super) fn hold_of(text: &str) -> Option<Option<HoldOutcome>> {
    match text {
        "held" => Some(None),
        "voided" => Some(Some(HoldOutcome::Voided)),
        other => Some(Some(HoldOutcome::Captured(other.strip_prefix("captured:")?.parse().ok()?))),
    }
}

/// `<succeeded|pending|failed>|<behaviour>`.
pub(super) fn refund_text(outcome: RefundOutcome, behaviour: Behaviour) -> String {
    let outcome = match outcome {
        RefundOutcome::Succeeded => "succeeded",
        RefundOutcome::Pending => "pending",
        RefundOutcome::Failed(_) => "failed",
    };
    format!("{outcome}|{}", behaviour.tag())
}

pub(super) fn refund_of(text: &str) -> Option<(RefundOutcome, Behaviour)> {
    let (outcome, tag) = text.split_once('|')?;
    let outcome = match outcome {
        "succeeded" => RefundOutcome::Succeeded,
        "pending" => RefundOutcome::Pending,
        "failed" => RefundOutcome::Failed(REFUND_FAILURE),
        _ => return None,
    };
    Some((outcome, Behaviour::from_tag(tag)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processor::DeclineCode;

    #[test]
    fn every_record_reads_back_as_written() {
        let charges = [
            (ChargeOutcome::Succeeded, Behaviour::Succeed),
            (ChargeOutcome::Authorized, Behaviour::RefundFails),
            (ChargeOutcome::RequiresAction { redirect: None }, Behaviour::ThreeDSecure),
            (
                ChargeOutcome::Declined(DeclineCode::InsufficientFunds.into()),
                Behaviour::Decline(DeclineCode::InsufficientFunds),
            ),
            (ChargeOutcome::Declined(DeclineCode::CardDeclined.into()), Behaviour::SavesThenDeclines),
        ];
        for (outcome, behaviour) in charges {
            assert_eq!(charge_of(&charge_text(&outcome, behaviour)), Some((outcome, behaviour)));
        }
        for hold in [None, Some(HoldOutcome::Captured(1500)), Some(HoldOutcome::Voided)] {
            assert_eq!(hold_of(&hold_text(hold)), Some(hold));
        }
        for refund in [RefundOutcome::Succeeded, RefundOutcome::Pending, RefundOutcome::Failed(REFUND_FAILURE)] {
            assert_eq!(refund_of(&refund_text(refund, Behaviour::RefundFails)), Some((refund, Behaviour::RefundFails)));
        }
    }
}
