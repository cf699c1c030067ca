//! The live merchant dashboard at `/dashboard`: a page of paygraph's own, built only on the
//! public GraphQL API and its subscriptions (it dogfoods them). It asks for a key, keeps it
//! in sessionStorage, and talks to `/graphql` and `/graphql/ws` like any other client.

use axum::extract::Path;
use axum::http::HeaderMap;
use axum::response::Response;

use super::static_files::{self, CSS, HTML, JS, StaticFile, Styles, host};

const PAGE: StaticFile =
    StaticFile { name: "index.html", content_type: HTML, body: include_bytes!("index.html"), vendored: false };

const FILES: &[StaticFile] = &[
    StaticFile { name: "api.js", content_type: JS, body: include_bytes!("api.js"), vendored: false },
    StaticFile { name: "dashboard.js", content_type: JS, body: include_bytes!("dashboard.js"), vendored: false },
    StaticFile { name: "dashboard.css", content_type: CSS, body: include_bytes!("dashboard.css"), vendored: false },
];

/// `GET /dashboard`
pub async fn page(headers: HeaderMap) -> Response {
    static_files::serve(&PAGE, host(&headers), Styles::OwnFilesOnly)
}

/// `GET /dashboard/{file}`
pub async fn asset(headers: HeaderMap, Path(file): Path<String>) -> Response {
    static_files::find(FILES, &file, host(&headers), Styles::OwnFilesOnly)
}
