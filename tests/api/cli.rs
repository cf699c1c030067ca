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

/// The merchant's id, as `merchant create` prints it on stderr: `created merchant Acme (<uuid>)`.
fn merchant_id(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let start = text.rfind('(').unwrap() + 1;
    text[start..text.rfind(')').unwrap()].to_owned()
}

fn last_line(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().to_owned()
}

#[test]
fn keys_are_created_listed_rolled_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let created = paygraph(&url, &["merchant", "create", "--name", "Acme"]);
    let merchant = merchant_id(&created.stderr);

    let read_only =
        last_line(&paygraph(&url, &["key", "create", "--merchant", &merchant, "--read-only", "--name", "bi"]));
    assert!(read_only.starts_with("sk_test_"));
    let listed = paygraph(&url, &["key", "list", "--merchant", &merchant]);
    let listing = String::from_utf8(listed.stdout).unwrap();
    assert_eq!(listing.lines().count(), 2, "{listing}");
    assert!(listing.contains("READ_ONLY") && listing.contains("READ_WRITE"));
    assert!(listing.contains(&read_only[..12]), "the prefix is listed");
    assert!(!listing.contains(&read_only), "never the secret");

    let id = listing.lines().find(|l| l.contains("READ_ONLY")).unwrap().split('\t').next().unwrap().to_owned();
    let rolled = last_line(&paygraph(
        &url,
        &["key", "roll", "--merchant", &merchant, "--id", &id, "--expires-in-seconds", "3600"],
    ));
    assert!(rolled.starts_with("sk_test_") && rolled != read_only);
    let revoked = paygraph(&url, &["key", "revoke", "--merchant", &merchant, "--id", &id]);
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    let again = paygraph(&url, &["key", "revoke", "--merchant", &merchant, "--id", &id]);
    assert!(!again.status.success(), "a revoked key cannot be revoked again");
    let listing =
        String::from_utf8(paygraph(&url, &["key", "list", "--merchant", &merchant, "--include-revoked"]).stdout)
            .unwrap();
    assert_eq!(listing.lines().count(), 3, "{listing}");
}
