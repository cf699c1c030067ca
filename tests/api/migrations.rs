//! A migration is all or nothing: `paygraph migrate` killed at any point leaves a database
//! that the next run migrates to the end, on SQLite as on PostgreSQL.

use std::process::{Command, Stdio};
use std::time::Instant;

use crate::support::*;

fn migrate(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_paygraph"));
    command.arg("migrate").env("DATABASE_URL", database_url).env("RUST_LOG", "warn");
    command
}

#[tokio::test]
async fn a_migrate_killed_at_any_point_is_finished_by_the_next() {
    // How long a whole run takes here: the kills are spread over it.
    let (url, _db) = test_database().await;
    let started = Instant::now();
    let whole = migrate(&url).output().expect("paygraph migrate runs");
    assert!(whole.status.success(), "{}", String::from_utf8_lossy(&whole.stderr));
    let took = started.elapsed();

    let points = 16;
    for point in 0..points {
        let (url, _db) = test_database().await;
        let mut running = migrate(&url).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("migrate starts");
        tokio::time::sleep(took * point / points).await;
        running.kill().expect("SIGKILL");
        running.wait().expect("the killed migrate is reaped");
        let again = migrate(&url).output().expect("paygraph migrate runs again");
        let killed_after = (took * point / points).as_millis();
        assert!(
            again.status.success(),
            "killed after {killed_after} ms of {} ms, the next migrate failed: {}",
            took.as_millis(),
            String::from_utf8_lossy(&again.stderr)
        );
        // The schema is whole: a merchant and its key can be made.
        assert!(merchant_by_cli(&url, "After a kill").starts_with("sk_"), "killed after {killed_after} ms");
    }
}
