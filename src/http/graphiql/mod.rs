//! GraphiQL, served by paygraph itself (vendored from npm, see `vendor/README.md`): a
//! browser's GET of `/graphql` gets the page, `/graphiql/{file}` its scripts and styles. A
//! field above the editor takes the key (kept in sessionStorage, sent as `Authorization`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::static_files::{self, CSS, HTML, JS, StaticFile, Styles, host};

const PAGE: StaticFile =
    StaticFile { name: "index.html", content_type: HTML, body: include_bytes!("index.html"), vendored: false };

const FILES: &[StaticFile] = &[
    StaticFile { name: "start.js", content_type: JS, body: include_bytes!("start.js"), vendored: false },
    StaticFile { name: "page.css", content_type: CSS, body: include_bytes!("page.css"), vendored: false },
    StaticFile {
        name: "graphiql.min.js",
        content_type: JS,
        body: include_bytes!("vendor/graphiql.min.js"),
        vendored: true,
    },
    StaticFile {
        name: "graphiql.min.css",
        content_type: CSS,
        body: include_bytes!("vendor/graphiql.min.css"),
        vendored: true,
    },
    StaticFile {
        name: "react.production.min.js",
        content_type: JS,
        body: include_bytes!("vendor/react.production.min.js"),
        vendored: true,
    },
    StaticFile {
        name: "react-dom.production.min.js",
        content_type: JS,
        body: include_bytes!("vendor/react-dom.production.min.js"),
        vendored: true,
    },
];

/// The GraphiQL page.
pub fn page(headers: &HeaderMap) -> Response {
    static_files::serve(&PAGE, host(headers), Styles::InlineToo)
}

/// `GET /graphiql/{file}`, when GraphiQL is served at all.
pub async fn asset(State(state): State<AppState>, headers: HeaderMap, Path(file): Path<String>) -> Response {
    if !state.graphiql {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    static_files::find(FILES, &file, host(&headers), Styles::InlineToo)
}
