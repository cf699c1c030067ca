//! The door on the socket: every query, mutation and subscription sent over an open socket
//! passes the same checks as a request over HTTP (`http::door`), with the credential of its
//! `connection_init` looked up again as it stands now.

use std::net::IpAddr;
use std::sync::Arc;

use async_graphql::{Data, Executor, Pos, Request, Response, ServerError};
use futures_util::stream::{self, BoxStream, StreamExt};

use crate::graphql::errors::gql;
use crate::graphql::live_exec::is_subscription;
use crate::http::AppState;
use crate::http::door::{ORIGIN_REFUSED, Provenance, Refusal};

/// What a socket's `connection_init` established, kept in its session data.
pub struct SocketCredential {
    pub token: String,
    pub client_ip: Option<IpAddr>,
    pub from: Provenance,
}

/// async-graphql's socket protocol runs every operation through this executor: the door
/// first, then the live executor.
#[derive(Clone)]
pub struct SocketExecutor(pub AppState);

impl SocketExecutor {
    async fn admit(&self, credential: &SocketCredential, request: &mut Request) -> Result<(), Refusal> {
        // Queries and mutations spend what they would over HTTP; a subscription's bound is
        // the sockets and subscriptions a credential may hold.
        let spends = !is_subscription(request);
        if spends {
            self.0.admit_ip(credential.client_ip, 1).await?;
        }
        let caller = self.0.admit_token(Some(&credential.token)).await.map_err(Refusal::Credential)?;
        let caller = caller.ok_or_else(|| Refusal::Credential(crate::error::AppError::unauthenticated()))?;
        if spends {
            self.0.admit_caller(caller, &credential.from, 1).await?;
        } else {
            self.0.admit_origin(caller, &credential.from)?;
        }
        self.0.admit_document(Some(caller), request).await
    }
}

impl Executor for SocketExecutor {
    async fn execute(&self, request: Request) -> Response {
        self.0.live_executor.execute(request).await
    }

    fn execute_stream(&self, mut request: Request, session: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let this = self.clone();
        let open = Box::pin(async move {
            let credential = session.as_deref().and_then(|data| data.get(&std::any::TypeId::of::<SocketCredential>()));
            let Some(credential) = credential.and_then(|c| c.downcast_ref::<SocketCredential>()) else {
                return refused(Refusal::Credential(crate::error::AppError::unauthenticated()));
            };
            if let Err(refusal) = this.admit(credential, &mut request).await {
                return refused(refusal);
            }
            this.0.live_executor.execute_stream(request, session)
        });
        stream::once(open).flatten().boxed()
    }
}

/// One error answer for the operation; the socket stays open.
fn refused(refusal: Refusal) -> BoxStream<'static, Response> {
    let error = match refusal {
        Refusal::Limited(limited) => {
            let mut error = ServerError::new(crate::http::throttling::message(limited), None);
            let mut extensions = async_graphql::ErrorExtensionValues::default();
            extensions.set("code", "RATE_LIMITED");
            extensions.set("retryAfterSeconds", limited.retry_after_seconds());
            error.extensions = Some(extensions);
            error
        }
        Refusal::Credential(error) => gql(error).into_server_error(Pos::default()),
        Refusal::Origin => coded(ORIGIN_REFUSED, "ORIGIN_NOT_ALLOWED"),
        Refusal::Document(refusal) => {
            let (message, code) = refusal.message_and_code();
            coded(message, code)
        }
    };
    stream::once(async move { Response::from_errors(vec![error]) }).boxed()
}

fn coded(message: &str, code: &'static str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}
