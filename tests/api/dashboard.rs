//! The dashboard's page and files: served by paygraph, under a policy that lets them load
//! nothing from elsewhere and run no inline script or style. Its behaviour in a browser is
//! in `tests/e2e/dashboard.test.mjs`.

use crate::support::spawn_app;

#[tokio::test]
async fn the_dashboard_is_served_under_a_strict_policy() {
    let app = spawn_app().await;
    let page = app.client.get(format!("{}/dashboard", app.address)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    for rule in ["default-src 'none'", "script-src 'self';", "style-src 'self';", "frame-ancestors 'none'"] {
        assert!(policy.contains(rule), "{rule} in {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(!html.contains("style=") && !html.contains("<script>") && !html.contains("https://"), "{html}");
    for file in ["api.js", "dashboard.js", "dashboard.css"] {
        let asset = app.client.get(format!("{}/dashboard/{file}", app.address)).send().await.unwrap();
        assert_eq!(asset.status(), 200, "{file}");
        let text = asset.text().await.unwrap();
        assert!(!text.contains("https://") && !text.contains("innerHTML"), "{file} loads or injects nothing");
    }
    // reqwest would normalise `..` away before sending: the traversal goes raw, as an
    // attacker's client sends it, plain and percent-encoded.
    for path in ["/dashboard/../Cargo.toml", "/dashboard/%2e%2e/Cargo.toml", "/dashboard/..%2fCargo.toml"] {
        let answer = raw_get(&app.address, path).await;
        let status = answer.split_whitespace().nth(1).unwrap_or_default().to_owned();
        assert!(status == "404" || status == "400", "{path}: {answer}");
        assert!(!answer.contains("[package]"), "{path} served a file outside the dashboard");
    }
    // The control: the same raw request for a real asset is served.
    assert!(raw_get(&app.address, "/dashboard/api.js").await.starts_with("HTTP/1.1 200"));
}

/// `GET path` written by hand on a socket, so nothing rewrites the path; the whole answer.
async fn raw_get(address: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = address.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}
