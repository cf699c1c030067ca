//! Relay connections: forward and backward paging, cursors, sizes, filters and order.

use serde_json::{Value, json};

use crate::support::*;

const CUSTOMERS: &str = r#"
query($first: Int, $after: String, $last: Int, $before: String, $direction: OrderDirection) {
  customers(first: $first, after: $after, last: $last, before: $before, direction: $direction) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { email } }
  }
}"#;

fn emails(body: &Value) -> Vec<String> {
    body["data"]["customers"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"]["email"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pages_walk_forward_and_backward_without_gaps_or_repeats() {
    let app = spawn_app().await;
    for i in 0..7 {
        app.create_customer(&format!("c{i}@example.com")).await;
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app.gql(CUSTOMERS, json!({ "first": 3, "after": after, "direction": "ASC" })).await;
        assert_eq!(body["data"]["customers"]["totalCount"], 7);
        seen.extend(emails(&body));
        let info = &body["data"]["customers"]["pageInfo"];
        if !info["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = info["endCursor"].as_str().map(str::to_owned);
    }
    let expected: Vec<String> = (0..7).map(|i| format!("c{i}@example.com")).collect();
    assert_eq!(seen, expected);

    let last = app.gql(CUSTOMERS, json!({ "last": 2, "direction": "ASC" })).await;
    assert_eq!(emails(&last), ["c5@example.com", "c6@example.com"]);
    assert_eq!(last["data"]["customers"]["pageInfo"]["hasPreviousPage"], true);
    let before = last["data"]["customers"]["pageInfo"]["startCursor"].clone();
    let earlier = app.gql(CUSTOMERS, json!({ "last": 2, "before": before, "direction": "ASC" })).await;
    assert_eq!(emails(&earlier), ["c3@example.com", "c4@example.com"]);

    let newest_first = app.gql(CUSTOMERS, json!({ "first": 2 })).await;
    assert_eq!(emails(&newest_first), ["c6@example.com", "c5@example.com"]);
}

#[tokio::test]
async fn page_sizes_outside_one_to_a_hundred_are_errors_not_silent_cuts() {
    let app = spawn_app().await;
    for vars in
        [json!({ "first": 101 }), json!({ "first": 0 }), json!({ "last": -1 }), json!({ "first": 1, "last": 1 })]
    {
        let body = app.gql(CUSTOMERS, vars.clone()).await;
        let code = error_code(&body);
        assert!(["INVALID_PAGE_SIZE", "INVALID"].contains(&code.as_str()), "{vars}: {body}");
    }
    let ok = app.gql(CUSTOMERS, json!({ "first": 100 })).await;
    assert!(ok["errors"].is_null(), "{ok}");
}

#[tokio::test]
async fn malformed_and_foreign_cursors_are_refused() {
    let app = spawn_app().await;
    app.create_customer("a@example.com").await;
    let session_cursor = {
        app.create_payment_session(100, "USD").await;
        let body = app.gql("{ paymentSessions(orderBy: {field: EXPIRES_AT}) { edges { cursor } } }", json!({})).await;
        body["data"]["paymentSessions"]["edges"][0]["cursor"].as_str().unwrap().to_owned()
    };
    for cursor in ["garbage", "", "Y3w", session_cursor.as_str()] {
        let body = app.gql(CUSTOMERS, json!({ "first": 1, "after": cursor })).await;
        assert_eq!(error_code(&body), "INVALID_CURSOR", "{cursor}: {body}");
    }
}

#[tokio::test]
async fn sessions_filter_by_status_purpose_and_customer_and_order_by_expiry() {
    let app = spawn_app().await;
    let customer = app.create_customer("c@example.com").await;
    let (a, _) = app.create_payment_session(100, "USD").await;
    app.create_session(json!({ "purpose": "SETUP", "customerId": customer })).await;
    let late = app
        .create_session(
            json!({ "purpose": "PAYMENT", "amount": { "amount": 1, "currency": "USD" }, "expiresInSeconds": 86_400 }),
        )
        .await;
    let late = late["data"]["createPaymentSession"]["paymentSession"]["id"].clone();
    app.gql(
        "mutation($id: ID!) { cancelPaymentSession(input: {id: $id}) { userErrors { code } } }",
        json!({ "id": a }),
    )
    .await;

    let query = "query($filter: PaymentSessionFilter, $orderBy: PaymentSessionOrder) {
        paymentSessions(filter: $filter, orderBy: $orderBy) { totalCount edges { node { id status purpose } } } }";
    let canceled = app.gql(query, json!({ "filter": { "status": ["CANCELED"] } })).await;
    assert_eq!(canceled["data"]["paymentSessions"]["totalCount"], 1);
    assert_eq!(canceled["data"]["paymentSessions"]["edges"][0]["node"]["id"], a);
    let setup = app.gql(query, json!({ "filter": { "purpose": ["SETUP"], "customerId": customer } })).await;
    assert_eq!(setup["data"]["paymentSessions"]["totalCount"], 1);
    let by_expiry = app.gql(query, json!({ "orderBy": { "field": "EXPIRES_AT", "direction": "DESC" } })).await;
    assert_eq!(by_expiry["data"]["paymentSessions"]["edges"][0]["node"]["id"], late);
    let bad = app.gql(query, json!({ "filter": { "customerId": "nope" } })).await;
    assert_eq!(error_code(&bad), "INVALID_ID");
}

#[tokio::test]
async fn nested_connections_page_per_parent() {
    let app = spawn_app().await;
    let customer = app.create_customer("c@example.com").await;
    for amount in [100, 200, 300] {
        app.create_session(
            json!({ "purpose": "PAYMENT", "customerId": customer, "amount": { "amount": amount, "currency": "USD" } }),
        )
        .await;
    }
    let body = app
        .gql(
            "query($id: ID!) { customer(id: $id) { paymentSessions(first: 2) {
                totalCount pageInfo { hasNextPage endCursor } edges { node { amount { amount } } } } } }",
            json!({ "id": customer }),
        )
        .await;
    let conn = &body["data"]["customer"]["paymentSessions"];
    assert_eq!(conn["totalCount"], 3, "{body}");
    assert_eq!(conn["pageInfo"]["hasNextPage"], true);
    let amounts: Vec<_> =
        conn["edges"].as_array().unwrap().iter().map(|e| e["node"]["amount"]["amount"].clone()).collect();
    assert_eq!(amounts, [json!(300), json!(200)]);
    let next = app
        .gql(
            "query($id: ID!, $after: String) { customer(id: $id) { paymentSessions(first: 2, after: $after) {
                pageInfo { hasNextPage } edges { node { amount { amount } } } } } }",
            json!({ "id": customer, "after": conn["pageInfo"]["endCursor"] }),
        )
        .await;
    let rest = &next["data"]["customer"]["paymentSessions"];
    assert_eq!(rest["edges"].as_array().unwrap().len(), 1);
    assert_eq!(rest["edges"][0]["node"]["amount"]["amount"], 100);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn a_sessions_events_page_backward_with_last_and_before() {
    let app = spawn_app().await;
    let (session, paid) = crate::support::payments::pay(&app, "4242424242424242").await;
    let refund = "mutation($id: ID!) { refundPayment(input: { paymentId: $id, amount: 100 }) { userErrors { code } } }";
    app.gql(refund, json!({ "id": paid["payment"]["id"] })).await;
    let page = |args: &str| {
        let query = format!(
            "query($id: ID!) {{ paymentSession(id: $id) {{ events({args}) {{ totalCount
               pageInfo {{ hasPreviousPage hasNextPage }} edges {{ cursor node {{ version }} }} }} }} }}"
        );
        let app = &app;
        let session = session.clone();
        async move { app.gql(&query, json!({ "id": session })).await }
    };
    let all = page("first: 50").await;
    let edges = all["data"]["paymentSession"]["events"]["edges"].as_array().unwrap().clone();
    let versions = |body: &Value| -> Vec<i64> {
        let edges = body["data"]["paymentSession"]["events"]["edges"].as_array().unwrap();
        edges.iter().map(|e| e["node"]["version"].as_i64().unwrap()).collect()
    };
    let n = edges.len();
    assert!(n >= 4, "{all}");

    let newest = page("last: 2").await;
    assert_eq!(versions(&newest), [n as i64 - 1, n as i64], "the newest two, oldest first");
    let info = &newest["data"]["paymentSession"]["events"]["pageInfo"];
    assert_eq!((info["hasPreviousPage"].as_bool(), info["hasNextPage"].as_bool()), (Some(true), Some(false)));

    let cursor = edges[n - 2]["cursor"].as_str().unwrap();
    let earlier = page(&format!("last: 2, before: \"{cursor}\"")).await;
    assert_eq!(versions(&earlier), [n as i64 - 3, n as i64 - 2]);
    assert_eq!(earlier["data"]["paymentSession"]["events"]["pageInfo"]["hasNextPage"], true);

    let first = edges[0]["cursor"].as_str().unwrap();
    let forward = page(&format!("first: 2, after: \"{first}\"")).await;
    assert_eq!(versions(&forward), [2, 3]);
    let info = &forward["data"]["paymentSession"]["events"]["pageInfo"];
    assert_eq!((info["hasPreviousPage"].as_bool(), info["hasNextPage"].as_bool()), (Some(true), Some(true)));

    let both = page("first: 1, last: 1").await;
    assert!(both["errors"].is_array(), "first and last together are refused: {both}");
}
