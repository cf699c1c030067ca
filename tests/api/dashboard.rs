//! The dashboard's page and files: served by paygraph, under a policy that lets them load
//! nothing from elsewhere and run no inline script or style. Its behaviour in a browser is
//! in `tests/e2e/dashboard.test.mjs`.

use crate::helpers::spawn_app;

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
    let missing = app.client.get(format!("{}/dashboard/../Cargo.toml", app.address)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}
