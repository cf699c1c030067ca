//! A client secret reads an allow-list of its own session, and nothing else: this walks every
//! field reachable from `PaymentSession` in the served schema (read by introspection) with a
//! client secret, on sessions rich in data, and fails on any field outside the allow-list
//! that returns data, and on any allowed field that is refused.

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::{Value, json};

use crate::support::payments::create_and_pay;
use crate::support::ws::{Frame, Protocol, WsClient};
use crate::support::*;

/// What the hosted page and a mobile app need; the list, kept here independently of
/// the server's own table so that widening the server's list fails this test.
const SPEC: &[(&str, &[&str])] = &[
    (
        "PaymentSession",
        &[
            "id",
            "status",
            "version",
            "purpose",
            "captureMethod",
            "amount",
            "expiresAt",
            "allowedPaymentMethods",
            "hostedUrl",
            "successUrl",
            "attemptCount",
            "order",
            "payments",
            "events",
        ],
    ),
    ("Money", &["amount", "currency", "formatted"]),
    ("Order", &["id", "status", "total", "lineItems"]),
    ("OrderLineItem", &["name", "quantity", "unitPrice", "total"]),
    (
        "Payment",
        &[
            "id",
            "status",
            "amount",
            "amountCaptured",
            "amountRefunded",
            "methodType",
            "methodSummary",
            "declineCode",
            "createdAt",
        ],
    ),
    ("Refund", &["id", "status", "amount", "createdAt"]),
    ("CardSummary", &["brand", "last4", "expMonth", "expYear", "savedProfile"]),
    ("WalletSummary", &["wallet", "brand", "last4", "expMonth", "expYear", "savedProfile"]),
    ("BankTransferSummary", &["country", "last4"]),
    ("PaymentConnection", &["pageInfo", "edges", "nodes", "totalCount"]),
    ("PaymentEdge", &["node", "cursor"]),
    (
        "PaymentSessionEvent",
        &["cursor", "version", "kind", "previousStatus", "status", "occurredAt", "paymentSession", "payment", "refund"],
    ),
    ("PaymentSessionEventConnection", &["pageInfo", "edges", "nodes", "totalCount"]),
    ("PaymentSessionEventEdge", &["node", "cursor"]),
    ("PageInfo", &["hasPreviousPage", "hasNextPage", "startCursor", "endCursor"]),
];

fn allowed(ty: &str, field: &str) -> bool {
    SPEC.iter().any(|(t, fields)| *t == ty && fields.contains(&field))
}

const INTROSPECT: &str = "{ __schema { types { name kind possibleTypes { name } enumValues { name }
    fields { name type { ...T } args { name defaultValue type { ...T } } } } } }
    fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

/// A type reference's named type and whether it must be given (an argument without default).
fn named(ty: &Value) -> &str {
    match ty["name"].as_str() {
        Some(name) => name,
        None => named(&ty["ofType"]),
    }
}

/// The served schema, by type name.
async fn schema(app: &TestApp) -> HashMap<String, Value> {
    let body = app.gql(INTROSPECT, json!({})).await;
    let types = body["data"]["__schema"]["types"].as_array().unwrap_or_else(|| panic!("{body}"));
    types.iter().map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone())).collect()
}

/// A value for a required argument, or `None` when the walk cannot make one.
fn argument(types: &HashMap<String, Value>, ty: &Value, session: &str) -> Option<String> {
    let name = named(ty);
    Some(match (types[name]["kind"].as_str()?, name) {
        ("ENUM", _) => types[name]["enumValues"][0]["name"].as_str()?.to_owned(),
        (_, "String") => "\"EUR\"".into(),
        (_, "Int") => "1".into(),
        (_, "Boolean") => "true".into(),
        (_, "ID") => format!("\"{session}\""),
        (_, "DateTime") => "\"2026-01-01T00:00:00Z\"".into(),
        _ => return None,
    })
}

/// One step of a path: a field with its arguments, or an inline fragment on a type.
#[derive(Clone)]
enum Step {
    Field(String, String),
    On(String),
}

/// `paymentSession(id:)` down `path` to `leaf`.
fn query(path: &[Step], leaf: &str) -> String {
    let mut inner = leaf.to_owned();
    for step in path.iter().rev() {
        inner = match step {
            Step::Field(name, args) => format!("{name}{args} {{ {inner} }}"),
            Step::On(ty) => format!("... on {ty} {{ {inner} }}"),
        };
    }
    format!("query($id: ID!) {{ paymentSession(id: $id) {{ {inner} }} }}")
}

/// Every value at `path` + `leaf` in `data`, through lists.
fn values_at<'a>(data: &'a Value, path: &[Step], leaf: &str, out: &mut Vec<&'a Value>) {
    match data {
        Value::Array(items) => items.iter().for_each(|item| values_at(item, path, leaf, out)),
        Value::Null => {}
        _ => match path.split_first() {
            None => out.push(&data[leaf]),
            Some((Step::On(_), rest)) => values_at(data, rest, leaf, out),
            Some((Step::Field(name, _), rest)) => values_at(&data[name.as_str()], rest, leaf, out),
        },
    }
}

fn has_data(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Array(items) => items.iter().any(has_data),
        _ => true,
    }
}

/// Walks the schema from `PaymentSession` for session `id`; returns the leaks, the refusals
/// of allowed fields, and how many unlisted fields the merchant's key does see data in.
async fn walk(
    app: &TestApp,
    types: &HashMap<String, Value>,
    id: &str,
    secret: &str,
) -> (Vec<String>, Vec<String>, usize) {
    let (mut leaks, mut refused, mut hidden_data) = (Vec::new(), Vec::new(), 0);
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([("PaymentSession".to_owned(), Vec::<Step>::new(), true)]);
    while let Some((ty, path, path_allowed)) = queue.pop_front() {
        let Some(fields) = types[&ty]["fields"].as_array() else { continue };
        for field in fields {
            let name = field["name"].as_str().unwrap();
            if !seen.insert((ty.clone(), name.to_owned())) || path.len() > 6 {
                continue;
            }
            let mut args = Vec::new();
            for arg in field["args"].as_array().unwrap() {
                if arg["type"]["kind"] == "NON_NULL" && arg["defaultValue"].is_null() {
                    args.push(format!(
                        "{}: {}",
                        arg["name"].as_str().unwrap(),
                        argument(types, &arg["type"], id).unwrap()
                    ));
                }
            }
            let args = if args.is_empty() { String::new() } else { format!("({})", args.join(", ")) };
            let target = named(&field["type"]).to_owned();
            let kind = types[&target]["kind"].as_str().unwrap().to_owned();
            let leaf = if matches!(kind.as_str(), "SCALAR" | "ENUM") {
                format!("{name}{args}")
            } else {
                format!("{name}{args} {{ __typename }}")
            };
            let text = query(&path, &leaf);
            let as_secret = app.gql_as(Some(secret), &text, json!({ "id": id })).await;
            let mut got = Vec::new();
            values_at(&as_secret["data"]["paymentSession"], &path, name, &mut got);
            let here = format!("{ty}.{name} (via {text})");
            let is_allowed = allowed(&ty, name);
            if !is_allowed && got.iter().any(|v| has_data(v)) {
                leaks.push(here.clone());
            }
            let forbidden = as_secret["errors"]
                .as_array()
                .is_some_and(|e| e.iter().any(|e| e["extensions"]["code"] == "FORBIDDEN"));
            if is_allowed && path_allowed && forbidden {
                refused.push(format!("{here}: {as_secret}"));
            }
            if !is_allowed {
                let as_merchant = app.gql(&text, json!({ "id": id })).await;
                let mut theirs = Vec::new();
                values_at(&as_merchant["data"]["paymentSession"], &path, name, &mut theirs);
                hidden_data += usize::from(theirs.iter().any(|v| has_data(v)));
            }
            let mut next = path.clone();
            next.push(Step::Field(name.to_owned(), args));
            let next_allowed = path_allowed && is_allowed;
            match kind.as_str() {
                "OBJECT" => queue.push_back((target, next, next_allowed)),
                "INTERFACE" | "UNION" => {
                    for possible in types[&target]["possibleTypes"].as_array().unwrap() {
                        let possible = possible["name"].as_str().unwrap().to_owned();
                        let mut through = next.clone();
                        through.push(Step::On(possible.clone()));
                        queue.push_back((possible, through, next_allowed));
                    }
                }
                _ => {}
            }
        }
    }
    (leaks, refused, hidden_data)
}

/// Sessions with everything a session can point at: customer with balance and profiles,
/// order, subscription, metadata, payments and events.
async fn rich_sessions(app: &TestApp) -> Vec<(String, String)> {
    let customer = app.create_customer("rich@example.com").await;
    app.gql(
        "mutation($c: ID!) { createBalanceCharge(input: {customerId: $c, amount: {amount: 300, currency: \"EUR\"}}) { userErrors { code } } }",
        json!({ "c": customer }),
    )
    .await;
    let order = app
        .gql(
            "mutation($c: ID!) { createOrder(input: {customerId: $c, currency: \"EUR\", externalReference: \"ext-1\",
                lineItems: [{name: \"Mug\", unitAmount: 1200}]}) { order { id } } }",
            json!({ "c": customer }),
        )
        .await["data"]["createOrder"]["order"]["id"]
        .clone();
    let checkout = json!({ "purpose": "CHECKOUT", "orderId": order, "savePaymentProfile": true,
                           "metadata": { "crm": "42" }, "successUrl": "https://shop.example/ok" });
    let (paid, _) = create_and_pay(app, checkout, "4242424242424242").await;
    let subscription = app
        .gql(
            "mutation($c: ID!) { createSubscription(input: {customerId: $c, price: {amount: 500, currency: \"EUR\"}, interval: MONTH}) { subscription { id } } }",
            json!({ "c": customer }),
        )
        .await["data"]["createSubscription"]["subscription"]["id"]
        .clone();
    let (renewing, _) =
        create_and_pay(app, json!({ "purpose": "SUBSCRIPTION", "subscriptionId": subscription }), "5555555555554444")
            .await;
    let mut sessions = Vec::new();
    for id in [paid, renewing] {
        let body = app.gql("query($id: ID!) { paymentSession(id: $id) { hostedUrl } }", json!({ "id": id })).await;
        let url = body["data"]["paymentSession"]["hostedUrl"].as_str().unwrap();
        sessions.push((id, url.rsplit('/').next().unwrap().to_owned()));
    }
    sessions
}

#[tokio::test]
async fn a_client_secret_reads_its_sessions_allow_list_and_nothing_else() {
    let app = spawn_app().await;
    let types = schema(&app).await;
    let mut hidden_total = 0;
    for (id, secret) in rich_sessions(&app).await {
        let (leaks, refused, hidden) = walk(&app, &types, &id, &secret).await;
        assert!(leaks.is_empty(), "a client secret read fields outside its allow-list:\n{}", leaks.join("\n"));
        assert!(refused.is_empty(), "allowed fields were refused:\n{}", refused.join("\n"));
        hidden_total += hidden;
    }
    // The walk is not vacuous: the merchant's key sees data in many of the fields it hid.
    assert!(hidden_total >= 20, "only {hidden_total} hidden fields had data for the merchant");
}

#[tokio::test]
async fn a_client_secret_reads_the_allow_list_over_the_live_stream_too() {
    let app = spawn_app().await;
    let customer = app.create_customer("live@example.com").await;
    let input = json!({ "purpose": "PAYMENT", "customerId": customer, "amount": { "amount": 100, "currency": "EUR" },
                        "metadata": { "crm": "7" } });
    let (id, secret) = created(app.create_session(input).await);
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &secret).await;
    ws.subscribe(
        "1",
        "subscription($id: ID!) { paymentSessionUpdated(id: $id) { status paymentSession { metadata customer { email } } } }",
        json!({ "id": id }),
    )
    .await;
    // The allowed field arrives; the session's metadata and customer answer as for a
    // stranger (null, with their errors), never with data.
    match ws.frame_of("1").await {
        Frame::Next(data) => assert_eq!(
            data,
            json!({ "paymentSessionUpdated": { "status": "OPEN", "paymentSession": null } }),
            "only the allow-list is read"
        ),
        other => panic!("the allowed field did not arrive: {other:?}"),
    }
}
