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
    // Cloned from a template and filled by position: building the maps would hash every
    // name with a fresh `RandomState` on every response (a twentieth of a small query).
    static TEMPLATE: LazyLock<Value> = LazyLock::new(|| {
        let object = |names: &[&str]| Value::Object(names.iter().map(|n| (Name::new(n), Value::Null)).collect());
        let mut cost = object(&["requestedQueryCost", "actualQueryCost", "throttleStatus"]);
        if let Value::Object(fields) = &mut cost {
            fields[2] = object(&["maximumAvailable", "currentlyAvailable", "restoreRate"]);
        }
        cost
    });
    let mut cost = TEMPLATE.clone();
    if let Value::Object(fields) = &mut cost {
        fields[0] = Value::from(requested);
        fields[1] = actual.map_or(Value::Null, Value::from);
        if let Value::Object(throttle_status) = &mut fields[2] {
            throttle_status[0] = Value::from(status.maximum_available);
            throttle_status[1] = Value::from(status.currently_available);
            throttle_status[2] = Value::from(status.restore_rate);
        }
    }
    response.extension("cost", cost)
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

    #[test]
    fn the_cost_extension_names_every_figure_in_shopifys_order() {
        let status = BucketStatus { maximum_available: 1000, currently_available: 990, restore_rate: 50 };
        let response = with_cost(Response::new(Value::Null), 12, Some(3), status);
        let json = serde_json::to_string(&response.extensions["cost"]).unwrap();
        let expected = r#"{"requestedQueryCost":12,"actualQueryCost":3,"throttleStatus":{"maximumAvailable":1000,"currentlyAvailable":990,"restoreRate":50}}"#;
        assert_eq!(json, expected);
        let refused = with_cost(Response::new(Value::Null), 12, None, status);
        assert_eq!(refused.extensions["cost"].clone().into_json().unwrap()["actualQueryCost"], serde_json::Value::Null);
    }
}
