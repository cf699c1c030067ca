//! Settling webhook sends in groups. Each finished send hands its answer to one task, which
//! writes every answer waiting in one transaction (`storage::deliveries::settle_all`).
//! While a group commits the next one gathers, so a burst pays one commit (a disk flush) per
//! group rather than per delivery, and a lone answer waits for nobody.
//!
//! A group that fails is written again answer by answer, so one bad row costs only its own
//! answer. An answer that could not be written leaves its delivery leased: the lease runs
//! out and it is sent again (at least once, never lost), as when a process dies mid-send.

use std::sync::Mutex;

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::storage::deliveries::Settlement;
use crate::storage::{self, Database};

/// Most answers in one transaction.
const MOST_AT_ONCE: usize = 64;

/// The queue of answers to settle, and the task that writes them.
#[derive(Clone)]
pub struct Settler {
    queue: mpsc::UnboundedSender<Waiting>,
}

/// An answer waiting for its group, and where to say how it went.
struct Waiting {
    lease: Uuid,
    settlement: Settlement,
    settled: oneshot::Sender<AppResult<bool>>,
}

impl Settler {
    /// Starts the task that settles into `db`; it ends once the `Settler` is dropped.
    pub fn spawn(db: Database) -> Self {
        let (queue, mut waiting) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut group = Vec::with_capacity(MOST_AT_ONCE);
            while waiting.recv_many(&mut group, MOST_AT_ONCE).await > 0 {
                settle_group(&db, std::mem::take(&mut group)).await;
            }
        });
        Settler { queue }
    }

    /// Whether its task still runs: it would end only with its runtime, or by a panic.
    fn alive(&self) -> bool {
        !self.queue.is_closed()
    }

    /// Settles a try of the delivery held under `lease` with the next group. `Ok(false)`:
    /// the lease was lost and nothing was written.
    pub async fn settle(&self, lease: Uuid, settlement: Settlement) -> AppResult<bool> {
        let stopped = || AppError::Internal(anyhow::anyhow!("the webhook settler has stopped"));
        let (settled, answer) = oneshot::channel();
        self.queue.send(Waiting { lease, settlement, settled }).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// A settler started by its first use (in the runtime of the caller), and again if its
/// task ended, rather than failing every answer from then on.
#[derive(Default)]
pub struct OnDemand(Mutex<Option<Settler>>);

impl OnDemand {
    pub fn get(&self, db: &Database) -> Settler {
        let mut settler = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match settler.as_ref().filter(|s| s.alive()) {
            Some(alive) => alive.clone(),
            None => settler.insert(Settler::spawn(db.clone())).clone(),
        }
    }
}

async fn settle_group(db: &Database, group: Vec<Waiting>) {
    if group.len() > 1 {
        let all = group.iter().map(|w| (w.lease, w.settlement.clone())).collect();
        match storage::deliveries::settle_all(db, all).await {
            Ok(settled) => {
                for (waiting, settled) in group.into_iter().zip(settled) {
                    let _ = waiting.settled.send(Ok(settled));
                }
                return;
            }
            Err(error) => tracing::warn!(%error, answers = group.len(), "settling a group failed; one by one"),
        }
    }
    for Waiting { lease, settlement, settled } in group {
        let answer = storage::deliveries::settle_all(db, vec![(lease, settlement)]).await;
        let _ = settled.send(answer.map(|settled| settled.first().copied().unwrap_or(false)).map_err(AppError::from));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settler_whose_task_ended_is_started_again() {
        let on_demand = OnDemand::default();
        let runtime = || tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let first = runtime();
        let db = first.block_on(sea_orm::Database::connect("sqlite::memory:")).unwrap();
        let settler = first.block_on(async { on_demand.get(&db) });
        assert!(settler.alive());
        assert!(first.block_on(async { on_demand.get(&db) }).queue.same_channel(&settler.queue), "kept while alive");
        drop(first);
        assert!(!settler.alive(), "its task went with its runtime");
        let second = runtime();
        let again = second.block_on(async { on_demand.get(&db) });
        assert!(again.alive(), "a new one, in the runtime of its caller");
    }
}
