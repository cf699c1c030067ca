//! The card vault: tokens for valid cards, clear 422s for bad ones, and no card number
//! anywhere it could be read back: not the database, not a log line, not a response.

use std::io::Read;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::support::*;

const PAN: &str = "4242424242424242";

fn card(number: &str, month: i64, year: i64, cvc: &str) -> Value {
    json!({ "number": number, "expMonth": month, "expYear": year, "cvc": cvc })
}

async fn vault(app: &TestApp, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = app.client.post(format!("{}/vault/cards", app.address)).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert!(!text.contains("42424242"), "a response echoed the card number: {text}");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Every bad input the vault must refuse, with the field and code it must name.
fn bad_inputs() -> Vec<(Value, &'static str, &'static str)> {
    vec![
        (card("4242424242424241", 12, 2040, "123"), "number", "INVALID_NUMBER"),
        (card("4242 4242 x242 4242", 12, 2040, "123"), "number", "INVALID_NUMBER"),
        (card("1234567812345670", 12, 2040, "123"), "number", "UNSUPPORTED_BRAND"),
        (card(PAN, 1, 2020, "123"), "expMonth", "EXPIRED_CARD"),
        (card(PAN, 13, 2040, "123"), "expMonth", "INVALID_EXPIRY"),
        (card(PAN, 12, 2040, "12"), "cvc", "INVALID_CVC"),
        (card(PAN, 12, 2040, "1234"), "cvc", "INVALID_CVC"),
        (card("378282246310005", 12, 2040, "123"), "cvc", "INVALID_CVC"),
        (json!({ "number": 4242424242424242u64, "expMonth": 12, "expYear": 2040, "cvc": "123" }), "number", "INVALID"),
        (json!({ "expMonth": 12, "expYear": 2040, "cvc": "123" }), "number", "REQUIRED"),
        (json!({ "number": PAN, "expMonth": "12", "expYear": 2040, "cvc": "123" }), "expMonth", "INVALID"),
    ]
}

#[tokio::test]
async fn a_valid_card_becomes_a_one_time_token() {
    let app = spawn_app().await;
    let (_, secret) = app.create_payment_session(100, "USD").await;
    for token in [app.key.as_str(), secret.as_str()] {
        let (status, body) = vault(&app, Some(token), &card("4242 4242 4242 4242", 12, 2040, "123")).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["token"].as_str().unwrap().starts_with("tok_"));
        assert_eq!(body["brand"], "visa");
        assert_eq!(body["last4"], "4242");
        assert_eq!((body["expMonth"].as_i64(), body["expYear"].as_i64()), (Some(12), Some(2040)));
    }
    let (status, body) = vault(&app, Some(&app.key), &card("378282246310005", 1, 2099, "1234")).await;
    assert_eq!((status, body["brand"].as_str()), (200, Some("amex")));
}

#[tokio::test]
async fn a_session_that_can_no_longer_be_paid_tokenizes_nothing() {
    let app = spawn_app().await;
    let cancel = "mutation($id: ID!) { cancelPaymentSession(input: {id: $id}) { userErrors { code } } }";
    let (canceled, canceled_secret) = app.create_payment_session(100, "USD").await;
    assert_eq!(
        app.gql(cancel, json!({ "id": canceled })).await["data"]["cancelPaymentSession"]["userErrors"],
        json!([])
    );
    let (_, paid) = crate::support::payments::pay(&app, PAN).await;
    assert_eq!(paid["paymentSession"]["status"], "COMPLETED", "{paid}");
    let paid_secret = app
        .gql("query($id: ID!) { paymentSession(id: $id) { hostedUrl } }", json!({ "id": paid["paymentSession"]["id"] }))
        .await;
    let paid_secret =
        paid_secret["data"]["paymentSession"]["hostedUrl"].as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    for (what, secret) in [("canceled", canceled_secret), ("completed", paid_secret)] {
        let (status, body) = vault(&app, Some(&secret), &card(PAN, 12, 2040, "123")).await;
        assert_eq!((status, &body["error"]["code"]), (409, &json!("SESSION_NOT_OPEN")), "{what}: {body}");
    }
    let (_, open_secret) = app.create_payment_session(100, "USD").await;
    assert_eq!(
        vault(&app, Some(&open_secret), &card(PAN, 12, 2040, "123")).await.0,
        200,
        "an open session's secret still tokenizes"
    );
}

#[tokio::test]
async fn bad_cards_get_a_422_naming_the_field_and_code() {
    let app = spawn_app().await;
    for (body, field, code) in bad_inputs() {
        let (status, answer) = vault(&app, Some(&app.key), &body).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{body}: {answer}");
    }
}

#[tokio::test]
async fn the_vault_needs_credentials_and_json() {
    let app = spawn_app().await;
    let body = card(PAN, 12, 2040, "123");
    assert_eq!(vault(&app, None, &body).await.0, 401);
    assert_eq!(vault(&app, Some("pscs_unknown"), &body).await.0, 401);
    let url = format!("{}/vault/cards", app.address);
    let form = app.client.post(&url).bearer_auth(&app.key).body("number=4242424242424242").send().await.unwrap();
    assert_eq!(form.status(), 415);
    let broken = app
        .client
        .post(&url)
        .bearer_auth(&app.key)
        .header("content-type", "application/json")
        .body("{\"number\": 42424242")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    assert!(!broken.text().await.unwrap().contains("42424242"));
}

/// Everything the database holds, as text: the SQLite files byte for byte, or every row of
/// every table on PostgreSQL.
pub async fn database_contents(app: &TestApp) -> String {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let db = &app.services.core.db;
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let tables = db
                .query_all_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = current_schema()",
                ))
                .await
                .unwrap();
            let mut all = String::new();
            for table in tables {
                let name: String = table.try_get("", "t").unwrap();
                let sql =
                    format!("SELECT coalesce(string_agg(row_to_json(x)::text, '\n'), '') AS rows FROM \"{name}\" x");
                let row = db.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap().unwrap();
                all.push_str(&row.try_get::<String>("", "rows").unwrap());
            }
            all
        }
        _ => {
            use sea_orm::ConnectionTrait as _;
            db.execute_unprepared("PRAGMA wal_checkpoint(FULL)").await.unwrap();
            let path = sqlite_path(app);
            let mut bytes = Vec::new();
            for file in [path.clone(), format!("{path}-wal")] {
                if let Ok(mut f) = std::fs::File::open(&file) {
                    f.read_to_end(&mut bytes).unwrap();
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        }
    }
}

fn sqlite_path(app: &TestApp) -> String {
    match &app._db {
        TestDatabase::Sqlite(dir) => dir.path().join("paygraph.db").display().to_string(),
        _ => panic!("not a SQLite test database"),
    }
}

#[tokio::test]
async fn no_card_number_reaches_the_database() {
    let app = spawn_app().await;
    for number in ["4242424242424242", "4000000000000002", "378282246310005"] {
        let cvc = if number.starts_with('3') { "1234" } else { "123" };
        let (status, _) = vault(&app, Some(&app.key), &card(number, 12, 2040, cvc)).await;
        assert_eq!(status, 200);
    }
    for (body, _, _) in bad_inputs() {
        vault(&app, Some(&app.key), &body).await;
    }
    let contents = database_contents(&app).await;
    assert!(contents.contains("4242"), "the scan must see the stored last 4 digits");
    for number in ["4242424242424242", "4000000000000002", "378282246310005", "424242424242"] {
        assert!(!contents.contains(number), "{number} found in the database");
    }
}

#[test]
fn no_card_number_reaches_a_log_line_at_any_level() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("logs.db").display());
    let key = {
        let out = Command::new(env!("CARGO_BIN_EXE_paygraph"))
            .args(["merchant", "create", "--name", "Logs"])
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().lines().last().unwrap().to_owned()
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_paygraph"))
        .env("DATABASE_URL", &url)
        .env("PAYGRAPH_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "trace")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        wait_until_up(&client, &format!("http://127.0.0.1:{port}")).await;
        let mut bodies: Vec<Value> = bad_inputs().into_iter().map(|(b, _, _)| b).collect();
        bodies.push(card(PAN, 12, 2040, "123"));
        for body in bodies {
            let response = client
                .post(format!("http://127.0.0.1:{port}/vault/cards"))
                .bearer_auth(&key)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(response.status().as_u16() < 500);
        }
    });
    let _ = server.kill();
    let mut logs = String::new();
    server.stderr.take().unwrap().read_to_string(&mut logs).unwrap();
    let _ = server.wait();
    assert!(logs.contains("TRACE") || logs.contains("DEBUG"), "the server logged at its most verbose");
    for fragment in [PAN, "4242 4242 x242", "424242424242", "4242424242424241"] {
        assert!(!logs.contains(fragment), "{fragment} found in the logs");
    }
}
