//! The production shape of docker-compose.yml, started by `deploy/local.sh`: nginx with
//! `deploy/nginx.conf` in front of two instances in production mode (this build's binary),
//! sharing a PostgreSQL database of their own and a private Redis. The tests in
//! `shape_checks` drive it through the balancer, as clients on other hosts would.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::*;

/// The tests that need the shape: PostgreSQL (they run in the PostgreSQL pass), nginx and
/// redis-server. Without the tools they are skipped and counted, except under CI.
pub const NEEDS_SHAPE: &[&str] = &[
    "through_the_balancer_a_customer_pays_and_nothing_internal_is_served",
    "a_subscriber_through_the_balancer_sees_changes_made_on_either_instance",
    "two_instances_deliver_each_webhook_once_and_both_refuse_a_revoked_key",
    "per_ip_limits_count_the_client_nginx_saw_not_nginx",
];

/// What the shape needs besides PostgreSQL.
pub const SHAPE_TOOLS: &[&str] = &["nginx", "redis-server", "curl", "python3"];

pub fn missing_tools() -> Vec<&'static str> {
    let on_path = |tool: &str| {
        std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
    };
    SHAPE_TOOLS.iter().copied().filter(|tool| !on_path(tool)).collect()
}

/// Stops what `deploy/local.sh up` started in its directory, whatever became of the test.
struct Down(PathBuf);

impl Drop for Down {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash").arg(script()).arg("down").arg(&self.0).status();
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/local.sh")
}

pub struct Shape {
    /// The balancer.
    pub url: String,
    /// Each instance straight, past the balancer.
    pub instances: [String; 2],
    /// Each instance's metrics address.
    pub metrics: [String; 2],
    /// A secret key of the shape's merchant.
    pub key: String,
    pub client: reqwest::Client,
    _down: Down,
    _dir: tempfile::TempDir,
    _db: TestDatabase,
}

impl Shape {
    /// The shape with `env` added to both instances' environment, or `None`: skipped (on
    /// SQLite, the PostgreSQL pass runs it; or without nginx or redis-server, outside CI).
    pub async fn up(test: &str, env: &[(&str, &str)]) -> Option<Shape> {
        assert!(NEEDS_SHAPE.contains(&test), "list {test} in shape::NEEDS_SHAPE, so its skip is counted");
        if !std::env::var("TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres")) {
            return None;
        }
        let missing = missing_tools();
        if !missing.is_empty() {
            assert!(std::env::var("CI").is_err(), "CI runs {test}, but {missing:?} are not installed");
            return None;
        }
        let (database_url, db) = test_database().await;
        let dir = tempfile::tempdir().expect("a directory for the shape");
        let down = Down(dir.path().to_owned());
        let mut command = std::process::Command::new("bash");
        command.arg(script()).arg("up").arg(dir.path());
        // Only what the test says reaches the instances: nothing of the caller's own setup.
        for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("PAYGRAPH_")) {
            command.env_remove(name);
        }
        command
            .env_remove("REDIS_URL")
            .env("PAYGRAPH_BIN", env!("CARGO_BIN_EXE_paygraph"))
            .env("DATABASE_URL", &database_url)
            .env("PAYGRAPH_BACKGROUND_INTERVAL_MS", "50")
            .envs(env.iter().copied());
        let started =
            tokio::task::spawn_blocking(move || command.output()).await.unwrap().expect("deploy/local.sh runs");
        assert!(started.status.success(), "deploy/local.sh up failed: {}", String::from_utf8_lossy(&started.stderr));
        let shape_env = std::fs::read_to_string(dir.path().join("shape.env")).expect("shape.env");
        let value = |name: &str| {
            shape_env
                .lines()
                .find_map(|line| line.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("{name} in shape.env"))
                .to_owned()
        };
        Some(Shape {
            url: value("SHAPE_URL"),
            instances: [value("SHAPE_INSTANCE_1"), value("SHAPE_INSTANCE_2")],
            metrics: [value("SHAPE_METRICS_1"), value("SHAPE_METRICS_2")],
            key: merchant_by_cli(&database_url, "Shape"),
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            _down: down,
            _dir: dir,
            _db: db,
        })
    }

    /// Runs an operation at `base` (the balancer or an instance) with `token`.
    pub async fn gql_at(&self, base: &str, token: &str, query: &str, variables: Value) -> Value {
        let body = json!({ "query": query, "variables": variables });
        let sent = self.client.post(format!("{base}/graphql")).bearer_auth(token).json(&body).send().await;
        sent.expect("request sent").json().await.expect("a JSON body")
    }

    /// Runs an operation through the balancer with the merchant's key.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        self.gql_at(&self.url, &self.key, query, variables).await
    }

    /// A client whose connections come from `address` (any 127.x.y.z is this host).
    pub fn client_from(address: &str) -> reqwest::Client {
        let address: IpAddr = address.parse().expect("an address");
        reqwest::Client::builder()
            .local_address(address)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap()
    }
}

/// What `docker compose up` runs is what `deploy/local.sh` runs: the same environment file,
/// every variable compose sets set by the script too, and the same nginx file, whose
/// addresses the script can still find to substitute.
#[test]
fn the_compose_file_and_the_script_run_the_same_shape() {
    let read = |path: &str| std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap();
    let (compose, script, nginx) = (read("docker-compose.yml"), read("deploy/local.sh"), read("deploy/nginx.conf"));
    assert_eq!(compose.matches("env_file: [deploy/paygraph.env]").count(), 3, "migrate and both instances");
    assert!(script.contains(". \"$root/deploy/paygraph.env\""), "the script reads the same file");
    let block = compose.split("environment: &env").nth(1).expect("compose's shared environment");
    let names: Vec<&str> = block
        .lines()
        .skip(1)
        .take_while(|line| line.starts_with("      "))
        .filter_map(|line| line.trim().split_once(':').map(|(name, _)| name))
        .filter(|name| !name.starts_with('#'))
        .collect();
    assert!(names.len() >= 7, "{names:?}");
    for name in names {
        assert!(script.contains(name), "compose sets {name}; deploy/local.sh must too");
    }
    assert!(compose.contains("./deploy/nginx.conf:/etc/nginx/conf.d/default.conf"));
    assert!(script.contains("\"$root/deploy/nginx.conf\""), "the script runs the same nginx file");
    for line in ["    listen 8080;", "server paygraph-1:8080;", "server paygraph-2:8080;"] {
        assert!(nginx.contains(line), "deploy/local.sh substitutes `{line}` in deploy/nginx.conf");
    }
}
