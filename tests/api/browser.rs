//! The hosted page in a real browser, and developer tools: `tests/e2e/` drives Debian's headless Chromium with
//! playwright-core against the `paygraph` binary this build made. It runs here, in the
//! SQLite pass of `cargo test`, when Chromium and the npm packages are installed; without
//! them it says it was skipped, and under CI (which installs them) it fails instead.

use std::path::Path;
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

#[test]
fn the_hosted_page_and_payment_links_work_in_a_real_browser() {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty()) {
        // The browser tests start their own servers on SQLite, whatever this pass's database:
        // they run in the SQLite pass (CI's first), not twice.
        let note = "note: the browser tests run in the SQLite pass of cargo test\n";
        let _ = std::io::Write::write_all(&mut std::io::stderr(), note.as_bytes());
        return;
    }
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("e2e");
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    let missing: Vec<&str> = [
        (!node).then_some("node"),
        (!Path::new(CHROMIUM).exists()).then_some("chromium (apt-get install chromium)"),
        (!e2e.join("node_modules").join("playwright-core").exists()).then_some("npm packages (npm ci in tests/e2e)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        let note = format!("browser tests need {}", missing.join(", "));
        assert!(std::env::var("CI").is_err(), "CI runs the browser tests, but {note}");
        let line = format!("SKIPPED the browser tests: {note}\n");
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
        return;
    }
    let run = Command::new("node")
        .args(["--test", "--test-concurrency=1", "."])
        .current_dir(&e2e)
        .env("PAYGRAPH_BIN", env!("CARGO_BIN_EXE_paygraph"))
        .env("CHROMIUM_PATH", CHROMIUM)
        .output()
        .expect("node runs");
    let report = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "browser tests failed:\n{report}\n{}", String::from_utf8_lossy(&run.stderr));
    eprintln!("{}", report.lines().filter(|l| l.starts_with("# ")).collect::<Vec<_>>().join("\n"));
}
