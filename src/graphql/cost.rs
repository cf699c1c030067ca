//! The query-cost budget on every operation (see `throttle::cost`): the requested cost is
//! the validated complexity, taken from the caller's bucket before anything runs; the actual
//! cost is what the response holds (each field returned costs 1, as each field requested
//! does in the complexity), and the difference is given back. Every response reports it:
//!
//! `extensions.cost { requestedQueryCost actualQueryCost throttleStatus { maximumAvailable
//! currentlyAvailable restoreRate } }`
//!
//! An operation whose requested cost is more than the bucket holds is refused with
//! `THROTTLED` before it runs. Operations without a credential are not charged (they can
//! only fail with `UNAUTHENTICATED`).

use std::sync::LazyLock;

use async_graphql::indexmap::IndexMap;
use async_graphql::{ErrorExtensionValues, Name, Response, ServerError, Value};

use crate::service::auth::Caller;
use crate::throttle::BudgetKey;
use crate::throttle::cost::{BucketStatus, CostBudget};

/// What one operation was charged.
pub struct Charged {
    key: BudgetKey,
    requested: u64,
    status: BucketStatus,
    /// Refused: nothing ran, so nothing is given back.
    throttled: bool,
}

/// Takes the requested cost (`complexity`) from `caller`'s bucket. `None`: nothing charged
/// (no caller, or the budget is off).
pub async fn charge(budget: &CostBudget, caller: Option<Caller>, complexity: usize) -> Option<Charged> {
    let caller = caller.filter(|_| budget.enabled())?;
    let (key, requested) = (caller.budget_key(), complexity as u64);
    let verdict = budget.charge(key, requested).await;
    let throttled = verdict.is_err();
    let status = verdict.unwrap_or_else(|status| status);
    Some(Charged { key, requested, status, throttled })
}

impl Charged {
    /// The error of an operation refused for its cost, if it was.
    pub fn refusal(&self) -> Option<ServerError> {
        self.throttled.then(|| throttled_error(self.requested, self.status))
    }

    /// Gives back what `response` did not use and reports the cost in its extensions.
    pub async fn settle(self, budget: &CostBudget, response: Response) -> Response {
        if self.throttled {
            return with_cost(response, self.requested, None, self.status);
        }
        let actual = actual_cost(&response.data).min(self.requested);
        // Nothing to give back: no second trip to the bucket (a Redis round trip when shared).
        let status = match self.requested - actual {
            0 => self.status,
            unused => budget.refund(self.key, unused).await,
        };
        with_cost(response, self.requested, Some(actual), status)
    }
}

fn throttled_error(requested: u64, status: BucketStatus) -> ServerError {
    let mut error = ServerError::new(
        format!(
            "Throttled: this query costs {requested} points and {} are available; {} are restored each second.",
            status.currently_available, status.restore_rate
        ),
        None,
    );
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "THROTTLED");
    error.extensions = Some(extensions);
    error
}

fn with_cost(response: Response, requested: u64, actual: Option<u64>, status: BucketStatus) -> Response {
    // Built by hand from names made once: `value!` would allocate every name and serialize
    // every number, on every response.
    static NAMES: LazyLock<[Name; 6]> = LazyLock::new(|| {
        [
            "requestedQueryCost",
            "actualQueryCost",
            "throttleStatus",
            "maximumAvailable",
            "currentlyAvailable",
            "restoreRate",
        ]
        .map(Name::new)
    });
    let [requested_name, actual_name, status_name, maximum, current, rate] = &*NAMES;
    let throttle_status = IndexMap::from([
        (maximum.clone(), Value::from(status.maximum_available)),
        (current.clone(), Value::from(status.currently_available)),
        (rate.clone(), Value::from(status.restore_rate)),
    ]);
    let cost = IndexMap::from([
        (requested_name.clone(), Value::from(requested)),
        (actual_name.clone(), actual.map_or(Value::Null, Value::from)),
        (status_name.clone(), Value::Object(throttle_status)),
    ]);
    response.extension("cost", Value::Object(cost))
}

/// Each field in the response costs 1; a list costs what its items do.
fn actual_cost(value: &Value) -> u64 {
    match value {
        Value::Object(fields) => fields.values().map(|field| 1 + actual_cost(field)).sum(),
        Value::List(items) => items.iter().map(actual_cost).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_actual_cost_counts_every_field_returned() {
        let data = Value::from_json(serde_json::json!({
            "paymentSessions": { "edges": [ { "node": { "id": "a", "status": "OPEN" } }, { "node": { "id": "b", "status": "OPEN" } } ] }
        }))
        .unwrap();
        // paymentSessions + edges + 2 × (node + id + status)
        assert_eq!(actual_cost(&data), 2 + 2 * 3);
    }
}
