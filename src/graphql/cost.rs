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

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest, NextValidation};
use async_graphql::{ErrorExtensionValues, Response, ServerError, ValidationResult, Value, value};

use super::RequestData;
use crate::throttle::cost::{BucketStatus, CostBudget};

/// Charges each operation's cost to its caller's bucket.
pub struct QueryCost(pub Arc<CostBudget>);

impl ExtensionFactory for QueryCost {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostExtension { budget: self.0.clone(), charged: Mutex::new(None) })
    }
}

/// What one operation was charged.
struct Charged {
    key: String,
    requested: u64,
    status: BucketStatus,
    /// Refused: nothing ran, so nothing is given back.
    throttled: bool,
}

struct CostExtension {
    budget: Arc<CostBudget>,
    charged: Mutex<Option<Charged>>,
}

#[async_trait::async_trait]
impl Extension for CostExtension {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let caller = ctx.data_opt::<RequestData>().and_then(|data| data.caller);
        let Some(caller) = caller.filter(|_| self.budget.enabled()) else { return Ok(result) };
        let (key, requested) = (caller.budget_key(), result.complexity as u64);
        let verdict = self.budget.charge(&key, requested).await;
        let throttled = verdict.is_err();
        let status = verdict.unwrap_or_else(|status| status);
        *self.charged.lock().unwrap_or_else(|p| p.into_inner()) = Some(Charged { key, requested, status, throttled });
        if throttled {
            return Err(vec![throttled_error(requested, status)]);
        }
        Ok(result)
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let charged = self.charged.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(charged) = charged else { return response };
        if charged.throttled {
            return with_cost(response, charged.requested, None, charged.status);
        }
        let actual = actual_cost(&response.data).min(charged.requested);
        let status = self.budget.refund(&charged.key, charged.requested - actual).await;
        with_cost(response, charged.requested, Some(actual), status)
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
    let cost = value!({
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {
            "maximumAvailable": status.maximum_available,
            "currentlyAvailable": status.currently_available,
            "restoreRate": status.restore_rate,
        }
    });
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
}
