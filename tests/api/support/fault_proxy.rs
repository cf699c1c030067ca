//! A proxy in front of the Stripe fake that fails on purpose: the processor killed before it
//! was reached, killed after it acted but before its answer was read, a 500 after it acted,
//! or an answer slower than the connector waits. Faults apply to POSTs whose path ends with
//! the given suffix, until healed; everything else passes through.

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Nothing reaches the fake; the connection breaks.
    Unreachable,
    /// The fake acts; the connection breaks before its answer is read.
    LostAnswer,
    /// The fake acts; a 500 is answered instead of its answer.
    ServerError,
    /// The fake acts; its answer comes after the connector gave up.
    Slow,
}

#[derive(Clone)]
pub struct FaultProxy {
    pub url: String,
    fault: Arc<Mutex<Option<(Fault, &'static str)>>>,
}

impl FaultProxy {
    /// Starts on a free loopback port, in front of `target`; it stops with the test's runtime.
    pub async fn start(target: &str) -> FaultProxy {
        let fault: Arc<Mutex<Option<(Fault, &'static str)>>> = Arc::default();
        let (target, client) = (target.trim_end_matches('/').to_owned(), reqwest::Client::new());
        let shared = fault.clone();
        let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let (target, client, fault) = (target.clone(), client.clone(), shared.clone());
            async move {
                let path = uri.path().to_owned();
                let active = *fault.lock().unwrap();
                let fault = active.filter(|(_, suffix)| method == Method::POST && path.ends_with(suffix)).map(|f| f.0);
                if fault == Some(Fault::Unreachable) {
                    return broken();
                }
                let url = format!("{target}{}", uri.path_and_query().map_or("/", |p| p.as_str()));
                let mut request = client.request(method, url).body(body);
                for (name, value) in &headers {
                    if name != "host" && name != "content-length" {
                        request = request.header(name, value);
                    }
                }
                let answer = request.send().await.unwrap();
                let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
                let bytes = answer.bytes().await.unwrap();
                match fault {
                    Some(Fault::LostAnswer) => broken(),
                    Some(Fault::ServerError) => Response::builder().status(500).body(Body::from("{}")).unwrap(),
                    Some(Fault::Slow) => {
                        tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                        Response::builder().status(status).body(Body::from(bytes)).unwrap()
                    }
                    _ => Response::builder()
                        .status(status)
                        .header("content-type", "application/json")
                        .body(Body::from(bytes))
                        .unwrap(),
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        FaultProxy { url, fault }
    }

    /// From now on, POSTs whose path ends with `suffix` fail with `fault`.
    pub fn fail(&self, fault: Fault, suffix: &'static str) {
        *self.fault.lock().unwrap() = Some((fault, suffix));
    }

    pub fn heal(&self) {
        *self.fault.lock().unwrap() = None;
    }
}

/// A response whose body breaks off: the client sees the connection fail mid-answer.
fn broken() -> Response {
    let failing = futures_util::stream::once(async { Err::<Bytes, _>(std::io::Error::other("the processor died")) });
    Response::builder().status(200).body(Body::from_stream(failing)).unwrap()
}
