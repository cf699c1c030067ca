//! The binary's commands, run as a user runs them.

use std::process::Command;

fn paygraph(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_paygraph"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("paygraph runs")
}

#[test]
fn merchant_create_prints_the_key_alone_on_the_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let out = paygraph(&url, &["merchant", "create", "--name", "Acme"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("sk_test_") && !last.contains(' '), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Acme"));

    let migrate = paygraph(&url, &["migrate"]);
    assert!(migrate.status.success(), "migrations are idempotent");
}

#[test]
fn schema_prints_the_sdl() {
    let out = paygraph("sqlite::memory:", &["schema"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), paygraph::graphql::sdl());
}
