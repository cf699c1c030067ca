//! The rules every operation passes, as ONE async-graphql extension: each extension adds a
//! layer of boxed futures to every hook and to every field's resolution, so the rules share
//! one. They are: aliases counted per fragment spread and depth with introspection exempt
//! (`limits`), what the caller may resolve
//! (`scope`: a client secret's allow-list, a read-only key's mutations), and the query-cost
//! budget (`cost`). Validation itself is skipped when the request's document passed it
//! already with the same operation name and variables (`parsed`).

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextResolve, NextValidation,
    ResolveInfo,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Value, Variables};

use super::context::RequestData;
use super::cost::{self, Charged, CostSlot};
use super::parsed::Validation;
use super::{limits, scope};
use crate::throttle::cost::CostBudget;

/// The rules of one schema.
pub struct Rules {
    pub shape: limits::ShapeLimits,
    /// `None`: no budget (the event schema, which runs documents already checked).
    pub budget: Option<Arc<CostBudget>>,
}

impl ExtensionFactory for Rules {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RulesExtension { shape: self.shape, budget: self.budget.clone(), charged: Mutex::new(None) })
    }
}

struct RulesExtension {
    shape: limits::ShapeLimits,
    budget: Option<Arc<CostBudget>>,
    /// What this operation was charged, settled once its response is known, and where its
    /// cost goes. Both are taken at validation: the `request` hook's context is made before
    /// the request's data is attached, so it cannot read `RequestData` itself.
    charged: Mutex<Option<(Charged, Option<CostSlot>)>>,
}

fn caller(ctx: &ExtensionContext<'_>) -> Option<crate::service::auth::Caller> {
    ctx.data_opt::<RequestData>().and_then(|data| data.caller)
}

#[async_trait::async_trait]
impl Extension for RulesExtension {
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
        scope::check(caller(ctx), &info)?;
        next.run(ctx, info).await
    }
}
