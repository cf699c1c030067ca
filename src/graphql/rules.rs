//! The rules every operation passes, as ONE async-graphql extension: each extension adds a
//! layer of boxed futures to every hook and to every field's resolution, so the rules share
//! one. They are: aliases counted per fragment spread and depth with introspection exempt
//! (`limits`), what the caller may resolve
//! (`scope`: a client secret's allow-list, a read-only key's mutations), and the query-cost
//! budget (`cost`). Validation itself is skipped when the request's document passed it
//! already with the same operation name and variables (`parsed`). The same extension
//! records each mutation in the audit trail (`audit`) and times each operation.

use std::sync::{Arc, Mutex};

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest, NextRequest,
    NextResolve, NextValidation, ResolveInfo,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables};

use super::context::RequestData;
use super::cost::{self, Charged, CostSlot};
use super::parsed::Validation;
use super::{audit, limits, scope};
use crate::service::Services;
use crate::service::audit::within;
use crate::throttle::cost::CostBudget;

/// The rules of one schema.
pub struct Rules {
    pub shape: limits::ShapeLimits,
    /// `None`: no budget (the event schema, which runs documents already checked).
    pub budget: Option<Arc<CostBudget>>,
}

impl ExtensionFactory for Rules {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RulesExtension {
            shape: self.shape,
            budget: self.budget.clone(),
            charged: Mutex::new(None),
            variables: Mutex::new(None),
            kind: AtomicU8::new(QUERY),
        })
    }
}

struct RulesExtension {
    shape: limits::ShapeLimits,
    budget: Option<Arc<CostBudget>>,
    /// What this operation was charged, settled once its response is known, and where its
    /// cost goes. Both are taken at validation: the `request` hook's context is made before
    /// the request's data is attached, so it cannot read `RequestData` itself.
    charged: Mutex<Option<(Charged, Option<CostSlot>)>>,
    /// The request's variables, kept when it may be a mutation (its audit events name the
    /// ids in them).
    variables: Mutex<Option<Variables>>,
    /// The operation's kind, seen at its first root field, for its latency histogram.
    kind: AtomicU8,
}

const QUERY: u8 = 0;
const MUTATION: u8 = 1;
const SUBSCRIPTION: u8 = 2;

impl RulesExtension {
    fn kind(&self) -> &'static str {
        match self.kind.load(Ordering::Relaxed) {
            MUTATION => "mutation",
            SUBSCRIPTION => "subscription",
            _ => "query",
        }
    }
}

fn caller(ctx: &ExtensionContext<'_>) -> Option<crate::service::auth::Caller> {
    ctx.data_opt::<RequestData>().and_then(|data| data.caller)
}

#[async_trait::async_trait]
impl Extension for RulesExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if audit::may_mutate(&request) {
            *self.variables.lock().unwrap_or_else(|p| p.into_inner()) = Some(request.variables.clone());
        }
        next.run(ctx, request).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let started = Instant::now();
        let response = next.run(ctx, operation_name).await;
        if let Ok(services) = ctx.data::<Services>() {
            services.core.metrics.time_operation(self.kind(), operation_name, started.elapsed());
        }
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        limits::check(&document, self.shape)?;
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let validation = ctx.data_opt::<RequestData>().and_then(|data| data.validation.as_ref());
        let result = match validation {
            Some(Validation::Passed(result)) => *result,
            _ => {
                let result = next.run(ctx).await?;
                if let Some(validation) = validation {
                    validation.passed(result);
                }
                result
            }
        };
        let Some(budget) = &self.budget else { return Ok(result) };
        let client_ip = ctx.data_opt::<RequestData>().and_then(|data| data.client_ip);
        let payer = cost::payer(caller(ctx), client_ip);
        let Some(charged) = cost::charge(budget, payer, result.complexity).await else { return Ok(result) };
        let refusal = charged.refusal();
        let slot = ctx.data_opt::<RequestData>().and_then(|data| data.cost.clone());
        *self.charged.lock().unwrap_or_else(|p| p.into_inner()) = Some((charged, slot));
        match refusal {
            Some(error) => Err(vec![error]),
            None => Ok(result),
        }
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let charged = self.charged.lock().unwrap_or_else(|p| p.into_inner()).take();
        let (Some((charged, slot)), Some(budget)) = (charged, &self.budget) else { return response };
        let report = charged.settle(budget, &response.data).await;
        match slot {
            Some(slot) => {
                let _ = slot.set(report);
                response
            }
            None => cost::with_cost(response, report),
        }
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let mut audited = None;
        if info.path_node.parent.is_none() {
            let kind = match info.parent_type {
                "MutationRoot" => MUTATION,
                "SubscriptionRoot" => SUBSCRIPTION,
                _ => QUERY,
            };
            self.kind.store(kind, Ordering::Relaxed);
            if kind == MUTATION {
                let variables = self.variables.lock().unwrap_or_else(|p| p.into_inner()).clone();
                audited = audit::begin(ctx, &info, variables.as_ref()).await;
            }
        }
        let Some(audited) = audited else {
            scope::check(caller(ctx), &info)?;
            return next.run(ctx, info).await;
        };
        let result = within(audited.clone(), async move {
            scope::check(caller(ctx), &info)?;
            next.run(ctx, info).await
        })
        .await;
        audit::end(ctx, &audited, &result).await;
        result
    }
}
