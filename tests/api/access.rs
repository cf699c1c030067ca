//! Credentials and tenancy, over HTTP and the WebSocket: no key, no data; another merchant's
//! objects read as missing; a client secret sees its own session and nothing else.

use serde_json::{Value, json};

use crate::live::{EVENTS, UPDATED, event};
use crate::support::ws::{Frame, Protocol, WsClient};
use crate::support::*;

const SESSION: &str = "query($id: ID!) { paymentSession(id: $id) { id status } }";
const NODE: &str = "query($id: ID!) { node(id: $id) { id ... on PaymentSession { status } } }";

#[tokio::test]
async fn without_credentials_there_is_no_data() {
    let app = spawn_app().await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    for query in [SESSION, NODE, "{ paymentSessions { totalCount } }", "{ customers { totalCount } }"] {
        let body = app.gql_as(None, query, json!({ "id": id })).await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
        let data = &body["data"];
        assert!(data.is_null() || data.as_object().unwrap().values().all(Value::is_null), "{body}");
    }
    let mutation = app
        .gql_as(
            None,
            CREATE_SESSION,
            json!({ "input": { "purpose": "PAYMENT", "amount": { "amount": 1, "currency": "USD" } } }),
        )
        .await;
    assert_eq!(error_code(&mutation), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_wrong_key_is_refused_with_401() {
    let app = spawn_app().await;
    for token in ["sk_test_nope", "pscs_nope", "garbage"] {
        let response = app.post_graphql(Some(token), &json!({ "query": "{ __typename }" })).await;
        assert_eq!(response.status(), 401);
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn another_merchants_objects_read_exactly_like_missing_ones() {
    let app = spawn_app().await;
    let (id, _) = app.create_payment_session(100, "USD").await;
    let customer = app.create_customer("mine@example.com").await;
    let other = app.other_merchant_key().await;

    let missing_session = paygraph::domain::SessionId::new();
    let missing = paygraph::domain::TypedId::to_global(missing_session);
    for (query, vars) in
        [(SESSION, json!({ "id": id })), (NODE, json!({ "id": id })), (NODE, json!({ "id": customer }))]
    {
        let foreign = app.gql_as(Some(&other), query, vars).await;
        let absent = app.gql_as(Some(&other), query, json!({ "id": missing })).await;
        assert_eq!(foreign, absent, "a foreign id must read like a missing one");
        assert!(foreign["errors"].is_null());
    }
    let listed =
        app.gql_as(Some(&other), "{ paymentSessions { totalCount } customers { totalCount } }", json!({})).await;
    assert_eq!(listed["data"], json!({ "paymentSessions": { "totalCount": 0 }, "customers": { "totalCount": 0 } }));

    let cancel = app
        .gql_as(
            Some(&other),
            "mutation($id: ID!) { cancelPaymentSession(input: {id: $id}) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(cancel["data"]["cancelPaymentSession"]["userErrors"][0]["code"], "NOT_FOUND");
    let mine = app.gql(SESSION, json!({ "id": id })).await;
    assert_eq!(mine["data"]["paymentSession"]["status"], "OPEN", "the foreign cancel changed nothing");

    let foreign_customer = app
        .gql_as(
            Some(&other),
            CREATE_SESSION,
            json!({ "input": { "purpose": "PAYMENT", "customerId": customer, "amount": { "amount": 1, "currency": "USD" } } }),
        )
        .await;
    assert_eq!(user_error_code(&foreign_customer, "createPaymentSession"), "NOT_FOUND");
}

#[tokio::test]
async fn a_client_secret_sees_its_own_session_only() {
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(100, "USD").await;
    let (other_id, _) = app.create_payment_session(200, "USD").await;

    let own = app.gql_as(Some(&secret), SESSION, json!({ "id": id })).await;
    assert_eq!(own["data"]["paymentSession"]["id"], id);
    let own_node = app.gql_as(Some(&secret), NODE, json!({ "id": id })).await;
    assert_eq!(own_node["data"]["node"]["status"], "OPEN");

    let sibling = app.gql_as(Some(&secret), SESSION, json!({ "id": other_id })).await;
    assert_eq!(sibling["data"]["paymentSession"], Value::Null);
    let sibling_node = app.gql_as(Some(&secret), NODE, json!({ "id": other_id })).await;
    assert_eq!(sibling_node["data"]["node"], Value::Null);

    let list = app.gql_as(Some(&secret), "{ paymentSessions { totalCount } }", json!({})).await;
    assert_eq!(error_code(&list), "FORBIDDEN");
    let create = app
        .gql_as(
            Some(&secret),
            CREATE_SESSION,
            json!({ "input": { "purpose": "PAYMENT", "amount": { "amount": 1, "currency": "USD" } } }),
        )
        .await;
    assert_eq!(error_code(&create), "FORBIDDEN");
    let cancel = app
        .gql_as(
            Some(&secret),
            "mutation($id: ID!) { cancelPaymentSession(input: {id: $id}) { userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&cancel), "FORBIDDEN");
}

#[tokio::test]
async fn a_client_secret_cannot_reach_a_customers_other_sessions() {
    let app = spawn_app().await;
    let customer = app.create_customer("c@example.com").await;
    let body = app
        .create_session(
            json!({ "purpose": "PAYMENT", "customerId": customer, "amount": { "amount": 1, "currency": "USD" } }),
        )
        .await;
    let id = body["data"]["createPaymentSession"]["paymentSession"]["id"].clone();
    let secret = body["data"]["createPaymentSession"]["clientSecret"].as_str().unwrap().to_owned();
    let nested = app
        .gql_as(
            Some(&secret),
            "query($id: ID!) { paymentSession(id: $id) { customer { paymentSessions { totalCount } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&nested), "FORBIDDEN");
}

#[tokio::test]
async fn malformed_ids_are_clear_errors() {
    let app = spawn_app().await;
    let customer = app.create_customer("c@example.com").await;
    for id in ["nope", "", &"x".repeat(300)] {
        let body = app.gql(SESSION, json!({ "id": id })).await;
        assert_eq!(error_code(&body), "INVALID_ID", "{body}");
    }
    // A valid id of the wrong kind is as invalid as garbage.
    let body = app.gql(SESSION, json!({ "id": customer })).await;
    assert_eq!(error_code(&body), "INVALID_ID");
    let mutation = app
        .gql(
            "mutation($id: ID!) { cancelPaymentSession(input: {id: $id}) { userErrors { field code } } }",
            json!({ "id": "nope" }),
        )
        .await;
    assert_eq!(
        mutation["data"]["cancelPaymentSession"]["userErrors"][0],
        json!({ "field": ["input", "id"], "code": "INVALID_ID" })
    );
}

#[tokio::test]
async fn sockets_without_valid_credentials_are_refused() {
    let app = spawn_app().await;
    for init in
        [json!({}), json!({ "authorization": "Bearer sk_test_wrong" }), json!({ "authorization": "Bearer pscs_wrong" })]
    {
        for protocol in [Protocol::TransportWs, Protocol::Legacy] {
            assert!(WsClient::connect(&app.address, protocol, init.clone()).await.is_err(), "{init} on {protocol:?}");
        }
    }
    let plain = app.client.get(format!("{}/graphql/ws", app.address)).send().await.unwrap();
    assert_eq!(plain.status(), 400, "no upgrade, no subprotocol");
}

#[tokio::test]
async fn a_client_secret_may_follow_its_own_session_only() {
    let app = spawn_app().await;
    let (id, secret) = app.create_payment_session(100, "USD").await;
    let (other, _) = app.create_payment_session(100, "USD").await;
    let mut ws = WsClient::with_token(&app.address, Protocol::TransportWs, &secret).await;
    ws.subscribe("own", UPDATED, json!({ "id": id })).await;
    assert_eq!(event(&ws.next_event().await, "paymentSessionUpdated").0, 1);
    ws.subscribe("other", UPDATED, json!({ "id": other })).await;
    let frame = ws.frame_of("other").await;
    assert!(matches!(frame, Frame::Error(ref e) if e.to_string().contains("NOT_FOUND")), "{frame:?}");
    ws.subscribe("all", EVENTS, json!({})).await;
    let frame = ws.frame_of("all").await;
    assert!(matches!(frame, Frame::Error(ref e) if e.to_string().contains("FORBIDDEN")), "{frame:?}");

    let other_merchant = app.other_merchant_key().await;
    let mut foreign = WsClient::with_token(&app.address, Protocol::TransportWs, &other_merchant).await;
    foreign.subscribe("1", UPDATED, json!({ "id": id })).await;
    let (_, frame) = foreign.next_frame().await;
    assert!(matches!(frame, Frame::Error(ref e) if e.to_string().contains("NOT_FOUND")), "{frame:?}");
}

#[tokio::test]
async fn keys_and_events_are_nodes_too_and_only_for_who_may_see_them() {
    let app = spawn_app().await;
    let (session, secret) = app.create_payment_session(700, "EUR").await;
    let events = app
        .gql(
            "query($id: ID!) { paymentSession(id: $id) { events(first: 1) { nodes { id version } } } }",
            json!({ "id": session }),
        )
        .await;
    let event = events["data"]["paymentSession"]["events"]["nodes"][0]["id"].as_str().unwrap().to_owned();
    let keys = app.gql("{ apiKeys { id } }", json!({})).await;
    let key = keys["data"]["apiKeys"][0]["id"].as_str().unwrap().to_owned();
    let node = "query($id: ID!) { node(id: $id) { __typename id ... on PaymentSessionEvent { version } } }";

    let found = app.gql(node, json!({ "id": event })).await;
    assert_eq!(found["data"]["node"]["__typename"], "PaymentSessionEvent", "{found}");
    assert_eq!(found["data"]["node"]["id"], event.as_str());
    assert_eq!(found["data"]["node"]["version"], 1);
    let found = app.gql(node, json!({ "id": key })).await;
    assert_eq!(found["data"]["node"]["__typename"], "ApiKey", "{found}");
    assert_eq!(found["data"]["node"]["id"], key.as_str());

    // The session's own client secret sees its event; another merchant sees neither.
    let mine = app.gql_as(Some(&secret), node, json!({ "id": event })).await;
    assert_eq!(mine["data"]["node"]["__typename"], "PaymentSessionEvent", "{mine}");
    let (_, other_secret) = app.create_payment_session(800, "EUR").await;
    let theirs = app.gql_as(Some(&other_secret), node, json!({ "id": event })).await;
    assert!(theirs["data"]["node"].is_null(), "another session's client secret: {theirs}");
    assert!(app.gql_as(Some(&other_secret), node, json!({ "id": key })).await["data"]["node"].is_null());
    let other = app.other_merchant_key().await;
    for id in [&event, &key] {
        let foreign = app.gql_as(Some(&other), node, json!({ "id": id })).await;
        assert!(foreign["data"]["node"].is_null(), "another merchant: {foreign}");
    }
}
