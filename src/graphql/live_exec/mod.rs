//! Shared execution of live subscriptions: the WebSocket layer's [`Executor`].
//!
//! async-graphql's own subscription execution keeps a parsed document, a query environment
//! and a stream per subscriber (about 12 KiB each, most of an idle subscription's memory),
//! and resolves every event once per subscriber. Here a subscription is validated once by
//! the real schema, then keeps only its event stream and an `Arc` of a [`Prepared`]
//! subscription that every identical subscription (same document and variables) shares.
//! Each event is resolved once per prepared subscription and caller, by running the
//! subscription's selection as a query against [`EventSchema`], whose root fields answer
//! with the event being delivered; every subscriber of that key gets a copy of the result.
//!
//! Anything else (a query over the socket, an invalid document, a subscription the checks
//! refuse) goes to async-graphql's own execution, so its answers and errors are exactly the
//! schema's.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    Context, Data, EmptyMutation, EmptySubscription, Executor, ID, Object, PathSegment, Pos, Request, Response, Schema,
    ServerError, Value, Variables,
};
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::OnceCell;

use super::AppSchema;
use super::batching::{LoaderTasks, drive};
use super::context::{ConnectionState, RequestData};
use super::errors::gql;
use super::objects::PaymentSessionEvent;
use super::subscription::{EventStream, Opener, open_merchant_events, open_session_events};
use crate::bus::SessionEvent;
use crate::error::{AppError, ErrorCode};
use crate::service::Services;
use crate::service::auth::Caller;

mod document;

pub use document::is_subscription;
use document::*;

/// The message async-graphql gives a valid subscription sent to `execute`.
const VALID_SUBSCRIPTION: &str = "Subscriptions are not supported on this transport.";

/// Resolves one event for a subscription's selection: a query schema whose root fields
/// mirror `SubscriptionRoot` (same names, same arguments) and return the current event.
pub type EventSchema = Schema<EventRoot, EmptyMutation, EmptySubscription>;

/// The event being delivered, as request data of the event schema.
struct CurrentEvent(SessionEvent);

pub struct EventRoot;

#[Object(name = "SubscriptionRoot")]
impl EventRoot {
    async fn payment_session_updated(
        &self,
        ctx: &Context<'_>,
        id: ID,
        after_version: Option<i32>,
    ) -> async_graphql::Result<PaymentSessionEvent> {
        let _ = (id, after_version); // Checked when the subscription was opened.
        Ok(PaymentSessionEvent(ctx.data::<CurrentEvent>()?.0.clone()))
    }

    async fn payment_session_events(
        &self,
        ctx: &Context<'_>,
        customer_id: Option<ID>,
        after: Option<String>,
    ) -> async_graphql::Result<PaymentSessionEvent> {
        let _ = (customer_id, after);
        Ok(PaymentSessionEvent(ctx.data::<CurrentEvent>()?.0.clone()))
    }
}

pub fn build_event_schema(services: Services) -> EventSchema {
    Schema::build(EventRoot, EmptyMutation, EmptySubscription)
        .extension(super::rules::Rules { shape: super::limits::ShapeLimits::NONE, budget: None })
        .data(services)
        .finish()
}

/// One event resolved for one prepared subscription and caller.
struct Frame {
    data: Value,
    errors: Vec<ServerError>,
}

/// The latest event resolved (its id) and its frame, filled by the first subscriber to ask.
type Latest = (i64, Arc<OnceCell<Frame>>);

/// A validated subscription, shared by every subscriber that sent the same document and
/// variables.
struct Prepared {
    /// The subscription's document with its operation turned into a query.
    document: ExecutableDocument,
    operation_name: Option<String>,
    variables: Variables,
    /// The root field and its arguments, which say which stream to open.
    field: RootField,
    /// The root field's response key and position, for errors the stream itself raises.
    response_key: String,
    position: Pos,
    /// The latest event resolved per caller, for the subscribers that come asking for it.
    latest: Mutex<HashMap<Caller, Latest>>,
}

/// Which root field, with its arguments.
enum RootField {
    SessionUpdated { id: ID, after_version: Option<i32> },
    Events { customer_id: Option<ID>, after: Option<String> },
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct PreparedKey {
    query: String,
    operation_name: Option<String>,
    variables: String,
}

/// Cloned into every subscription: one pointer.
#[derive(Clone)]
pub struct LiveExecutor(Arc<Shared>);

struct Shared {
    schema: AppSchema,
    events: EventSchema,
    services: Services,
    /// Held by their subscriptions; an entry dies with its last subscriber.
    prepared: Mutex<HashMap<PreparedKey, Weak<Prepared>>>,
    /// Sockets being authenticated and subscriptions being opened at once on this
    /// instance (see [`OPENING_AT_ONCE`]).
    opening: tokio::sync::Semaphore,
    /// The largest document, as over HTTP.
    max_query_bytes: usize,
}

/// Authenticating a socket and opening a subscription read the database (the key, the
/// caller's view of the session, the log to replay). A reconnect storm (a deploy, a network
/// blip) would otherwise queue hundreds of those reads behind the pool at once, each holding
/// a boxed query of several KiB: the memory of that peak stays with the process. The pool
/// holds 8 (SQLite) or 16 (PostgreSQL) connections: 16 keeps it busy and the queue short.
const OPENING_AT_ONCE: usize = 16;

impl LiveExecutor {
    pub fn new(schema: AppSchema, services: Services, max_query_bytes: usize) -> Self {
        let events = build_event_schema(services.clone());
        let opening = tokio::sync::Semaphore::new(OPENING_AT_ONCE);
        let prepared = Mutex::default();
        LiveExecutor(Arc::new(Shared { schema, events, services, prepared, opening, max_query_bytes }))
    }

    /// Waits for a turn to read the database for a socket or a subscription being opened.
    pub async fn admit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        // Never closed: `None` cannot happen, and would only mean no waiting.
        self.0.opening.acquire().await.ok()
    }

    /// Opens the shared form of the subscription, or `None` for async-graphql's own.
    async fn open_shared(&self, request: &Request, session: Option<&Data>) -> Option<BoxStream<'static, Response>> {
        let session = session?;
        let request_data = session.get(&TypeId::of::<RequestData>())?.downcast_ref::<RequestData>()?;
        let caller = request_data.caller?;
        let connection =
            session.get(&TypeId::of::<Arc<ConnectionState>>()).and_then(|d| d.downcast_ref::<Arc<ConnectionState>>());

        let key = PreparedKey {
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).ok()?,
        };
        let _turn = self.admit().await;
        let prepared = self.prepared(request, key).await?;
        let opener = Opener { services: &self.0.services, caller: Ok(caller), connection };
        let events: EventStream = match &prepared.field {
            RootField::SessionUpdated { id, after_version } => open_session_events(opener, id, *after_version).await,
            RootField::Events { customer_id, after } => {
                open_merchant_events(opener, customer_id.as_ref(), after.as_deref()).await
            }
        }
        // Refused: async-graphql's execution runs the same checks and words the errors.
        .ok()?;
        let this = self.clone();
        Some(
            events
                .then(move |event| {
                    let (this, prepared) = (this.clone(), prepared.clone());
                    // Boxed: an idle subscription keeps no room for a resolution in flight.
                    Box::pin(async move {
                        match event {
                            Ok(event) => this.resolve(&prepared, caller, event).await,
                            Err(error) => Response::from_errors(vec![
                                gql(error)
                                    .into_server_error(prepared.position)
                                    .with_path(vec![PathSegment::Field(prepared.response_key.clone())]),
                            ]),
                        }
                    })
                })
                .boxed(),
        )
    }

    /// The shared form of the subscription: in use already, or prepared here. `None`: not
    /// one we share.
    async fn prepared(&self, request: &Request, key: PreparedKey) -> Option<Arc<Prepared>> {
        let cached = self.0.prepared.lock().unwrap_or_else(|p| p.into_inner()).get(&key).and_then(Weak::upgrade);
        if cached.is_some() {
            return cached;
        }
        let prepared = self.prepare(request).await?;
        let mut all = self.0.prepared.lock().unwrap_or_else(|p| p.into_inner());
        all.retain(|_, weak| weak.strong_count() > 0);
        all.insert(key, Arc::downgrade(&prepared));
        Some(prepared)
    }

    /// Validates the subscription with the real schema and parses it for the event schema.
    async fn prepare(&self, request: &Request) -> Option<Arc<Prepared>> {
        let mut probe = Request::new(request.query.clone()).variables(request.variables.clone());
        probe.operation_name = request.operation_name.clone();
        self.0.services.core.metrics.count_subscription_prepared();
        let checked = self.0.schema.execute(probe).await;
        if !(checked.errors.len() == 1 && checked.errors[0].message == VALID_SUBSCRIPTION) {
            return None;
        }
        let mut document = async_graphql::parser::parse_query(&request.query).ok()?;
        let variables = with_defaults(&document, request.operation_name.as_deref(), &request.variables)?;
        let field = root_field(&document, request.operation_name.as_deref(), &variables)?;
        let (response_key, position) = root_position(&document, request.operation_name.as_deref())?;
        as_query(&mut document, request.operation_name.as_deref())?;
        Some(Arc::new(Prepared {
            document,
            operation_name: request.operation_name.clone(),
            variables,
            field,
            response_key,
            position,
            latest: Mutex::new(HashMap::new()),
        }))
    }

    /// The event's frame for `prepared` as `caller` sees it: resolved by the first subscriber
    /// to ask, copied for the others.
    async fn resolve(&self, prepared: &Prepared, caller: Caller, event: SessionEvent) -> Response {
        let cell = {
            let mut latest = prepared.latest.lock().unwrap_or_else(|p| p.into_inner());
            match latest.get(&caller) {
                Some((id, cell)) if *id == event.id => cell.clone(),
                // A subscriber behind the others (a replay) resolves its own.
                Some((id, _)) if *id > event.id => Arc::new(OnceCell::new()),
                _ => {
                    let cell = Arc::new(OnceCell::new());
                    latest.insert(caller, (event.id, cell.clone()));
                    cell
                }
            }
        };
        let frame = cell
            .get_or_init(|| async {
                let mut request = Request::new(String::new()).variables(prepared.variables.clone());
                request.operation_name = prepared.operation_name.clone();
                request.set_parsed_query(prepared.document.clone());
                let request = request.data(RequestData::new(Some(caller), None)).data(CurrentEvent(event));
                let response = self.0.events.execute(request).await;
                Frame { data: response.data, errors: response.errors }
            })
            .await;
        let mut response = Response::new(frame.data.clone());
        response.errors = frame.errors.clone();
        response
    }
}

impl Executor for LiveExecutor {
    async fn execute(&self, request: Request) -> Response {
        self.0.schema.execute(request).await
    }

    fn execute_stream(&self, request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        if request.query.len() > self.0.max_query_bytes {
            let message = format!("the query is larger than {} bytes", self.0.max_query_bytes);
            return refused(AppError::user(&[], ErrorCode::QueryTooLarge, message));
        }
        let this = self.clone();
        // Boxed, so the finished opening future does not stay inline in every subscription.
        let open = Box::pin(async move {
            if let Some(shared) = this.open_shared(&request, session_data.as_deref()).await {
                return shared;
            }
            // Subscriptions are bounded by their slots; queries and mutations by the places
            // of the connection's operations in flight, held until they answer.
            let connection = session_data.as_deref().and_then(|data| {
                data.get(&TypeId::of::<Arc<ConnectionState>>())?.downcast_ref::<Arc<ConnectionState>>().cloned()
            });
            let place = match connection {
                Some(connection) if !is_subscription(&request) => match connection.begin_operation() {
                    Ok(place) => Some(place),
                    Err(error) => return refused(error),
                },
                _ => None,
            };
            if place.is_some() {
                // A query or mutation answers once: its batch loads are driven by its own
                // task, as over HTTP (see `batching`), so its statements do not split.
                let (request, loads) = with_driven_loads(request, session_data.as_deref());
                let mut responses = Executor::execute_stream(&this.0.schema, request, session_data);
                return stream::once(async move { drive(loads, responses.next()).await })
                    .filter_map(move |response| {
                        let _held = &place;
                        std::future::ready(response)
                    })
                    .boxed();
            }
            Executor::execute_stream(&this.0.schema, request, session_data)
                .map(move |response| {
                    let _held = &place;
                    response
                })
                .boxed()
        });
        stream::once(open).flatten().boxed()
    }
}

/// The request with data of its own that queues its batch loads for `drive`: the
/// connection's caller and address, copied from the socket's data.
fn with_driven_loads(mut request: Request, session: Option<&Data>) -> (Request, LoaderTasks) {
    let loads = LoaderTasks::default();
    let socket = session.and_then(|data| data.get(&TypeId::of::<RequestData>())?.downcast_ref::<RequestData>());
    if let Some(socket) = socket {
        let data = RequestData::new(socket.caller, socket.client_ip)
            .with_origin(socket.origin.clone())
            .with_driven_loads(loads.clone());
        request.data.insert(data);
    }
    (request, loads)
}

/// One error answer, as the stream of a refused operation.
fn refused(error: AppError) -> BoxStream<'static, Response> {
    let error = gql(error).into_server_error(Pos::default());
    stream::once(async move { Response::from_errors(vec![error]) }).boxed()
}
