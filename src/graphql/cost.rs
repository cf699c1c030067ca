//! The query-cost budget on every operation (see `throttle::cost`): the requested cost is
//! the validated complexity, taken from the caller's bucket before anything runs; the actual
//! cost is what the response holds (each field returned costs 1, as each field requested
//! does in the complexity), and the difference is given back. Every response reports it:
//!
//! `extensions.cost { requestedQueryCost actualQueryCost throttleStatus { maximumAvailable
//! currentlyAvailable restoreRate } }`
//!
//! An operation whose requested cost is more than the bucket holds is refused with
//! `THROTTLED` before it runs. Operations without a credential (introspection, or an
//! `UNAUTHENTICATED` error) spend their client IP's bucket.

use std::net::IpAddr;
use std::sync::{Arc, LazyLock, OnceLock};

use async_graphql::{ErrorExtensionValues, Name, Response, ServerError, Value};

use crate::service::auth::Caller;
use crate::throttle::cost::{BucketStatus, CostBudget};
use crate::throttle::{BudgetKey, ip_key};

/// What one operation was charged.
pub struct Charged {
    key: BudgetKey,
    requested: u64,
    status: BucketStatus,
    /// Refused: nothing ran, so nothing is given back.
    throttled: bool,
}

/// `extensions.cost`, in Shopify's names and order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostReport {
    pub requested_query_cost: u64,
    /// `None` (null) when the operation was refused and did not run.
    pub actual_query_cost: Option<u64>,
    pub throttle_status: BucketStatus,
}

impl CostReport {
    /// Appends the report's JSON to `out`. Written by hand, as every HTTP answer carries it:
    /// through serde its eight names were escaped and framed one by one, a twentieth of the
    /// CPU time of `{ __typename }` (measured with the request-path benchmark).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let mut number = itoa::Buffer::new();
        let mut field = |out: &mut Vec<u8>, name: &[u8], value: Option<u64>| {
            out.extend_from_slice(name);
            match value {
                Some(value) => out.extend_from_slice(number.format(value).as_bytes()),
                None => out.extend_from_slice(b"null"),
            }
        };
        let status = self.throttle_status;
        field(out, br#"{"requestedQueryCost":"#, Some(self.requested_query_cost));
        field(out, br#","actualQueryCost":"#, self.actual_query_cost);
        field(out, br#","throttleStatus":{"maximumAvailable":"#, Some(status.maximum_available));
        field(out, br#","currentlyAvailable":"#, Some(status.currently_available));
        field(out, br#","restoreRate":"#, Some(status.restore_rate));
        out.extend_from_slice(b"}}");
    }
}

/// Where the HTTP handler finds an operation's `CostReport` once it ran (see
/// `RequestData::with_cost_slot`): it writes the report into its JSON directly, rather than
/// as a GraphQL value built, cloned and walked for every response.
pub type CostSlot = Arc<OnceLock<CostReport>>;

/// Whose bucket an operation spends: the caller's, or for a request without credentials
/// (introspection is all it can run) its client IP's, so that anonymous introspection is
/// bounded too. `None`: nobody to charge (no credential and no address known).
pub fn payer(caller: Option<Caller>, client_ip: Option<IpAddr>) -> Option<BudgetKey> {
    caller.map(Caller::budget_key).or_else(|| client_ip.map(anonymous_key))
}

/// The bucket of anonymous requests from `ip` (IPv6 by /64), apart from every credential's.
fn anonymous_key(ip: IpAddr) -> BudgetKey {
    crate::throttle::secret_key(&format!("anonymous:{}", ip_key(ip)))
}

/// Takes the requested cost (`complexity`) from `payer`'s bucket. `None`: nothing charged
/// (nobody to charge, or the budget is off).
pub async fn charge(budget: &CostBudget, payer: Option<BudgetKey>, complexity: usize) -> Option<Charged> {
    let key = payer.filter(|_| budget.enabled())?;
    let requested = complexity as u64;
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

    /// Gives back what the operation did not use (its response's `data`) and tells the cost.
    pub async fn settle(self, budget: &CostBudget, data: &Value) -> CostReport {
        let report = |actual, status| CostReport {
            requested_query_cost: self.requested,
            actual_query_cost: actual,
            throttle_status: status,
        };
        if self.throttled {
            return report(None, self.status);
        }
        let actual = actual_cost(data).min(self.requested);
        // Nothing to give back: no second trip to the bucket (a Redis round trip when shared).
        let status = match self.requested - actual {
            0 => self.status,
            unused => budget.refund(self.key, unused).await,
        };
        report(Some(actual), status)
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

/// `response` with its cost in `extensions`, for transports that send async-graphql's own
/// response (the WebSocket). The HTTP handler writes the `CostReport` itself.
pub fn with_cost(response: Response, report: CostReport) -> Response {
    // Cloned from a template and filled by position: building the maps would hash every
    // name with a fresh `RandomState` on every response.
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
        fields[0] = Value::from(report.requested_query_cost);
        fields[1] = report.actual_query_cost.map_or(Value::Null, Value::from);
        if let Value::Object(throttle_status) = &mut fields[2] {
            let status = report.throttle_status;
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
    fn the_cost_extension_names_every_figure_in_shopifys_order_on_both_paths() {
        let throttle_status = BucketStatus { maximum_available: 1000, currently_available: 990, restore_rate: 50 };
        let report = CostReport { requested_query_cost: 12, actual_query_cost: Some(3), throttle_status };
        let expected = r#"{"requestedQueryCost":12,"actualQueryCost":3,"throttleStatus":{"maximumAvailable":1000,"currentlyAvailable":990,"restoreRate":50}}"#;
        let written = |report: CostReport| {
            let mut out = Vec::new();
            report.write_json(&mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(written(report), expected);
        let response = with_cost(Response::new(Value::Null), report);
        assert_eq!(serde_json::to_string(&response.extensions["cost"]).unwrap(), expected);
        let refused = CostReport { actual_query_cost: None, ..report };
        let refused_json = serde_json::from_str::<serde_json::Value>(&written(refused)).unwrap();
        assert_eq!(refused_json["actualQueryCost"], serde_json::Value::Null);
        assert_eq!(refused_json["throttleStatus"]["restoreRate"], 50);
        let refused = with_cost(Response::new(Value::Null), refused);
        assert_eq!(refused.extensions["cost"].clone().into_json().unwrap()["actualQueryCost"], serde_json::Value::Null);
        let largest = CostReport {
            requested_query_cost: u64::MAX,
            actual_query_cost: Some(0),
            throttle_status: BucketStatus { maximum_available: u64::MAX, currently_available: 0, restore_rate: 1 },
        };
        let largest_json = serde_json::from_str::<serde_json::Value>(&written(largest)).unwrap();
        assert_eq!(largest_json["requestedQueryCost"], u64::MAX);
    }
}
