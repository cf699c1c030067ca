//! The audit trail's GraphQL side: each root mutation field runs inside an audit scope
//! (see `service::audit`), with the caller, the client's IP and origin, the global ids of
//! its input and of the objects its payload returns, and the code it ended with.
//!
//! Registered before the rules, so a mutation they refuse (a read-only key) is recorded
//! too. A request without a credential changes nothing and names no merchant: it is not
//! recorded here (failed authentication is a counter in `/metrics`).

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextResolve, ResolveInfo,
};
use async_graphql::parser::types::Field;
use async_graphql::{Name, Request, ServerResult, Value, Variables};

use super::context::RequestData;
use crate::service::Services;
use crate::service::audit::within;

/// The name of the mutation root type, whose fields are the changes.
const MUTATION_ROOT: &str = "MutationRoot";

pub struct Audit;

impl ExtensionFactory for Audit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AuditExtension::default())
    }
}

#[derive(Default)]
struct AuditExtension {
    /// The request's variables, kept when it may be a mutation (its input ids are in them).
    variables: Mutex<Option<Variables>>,
}

#[async_trait::async_trait]
impl Extension for AuditExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // A cheap test: a query's variables are never needed, and most requests are queries.
        if request.query.contains("mutation") {
            *self.variables.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(request.variables.clone());
        }
        next.run(ctx, request).await
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() || info.parent_type != MUTATION_ROOT {
            return next.run(ctx, info).await;
        }
        let (Some(data), Ok(services)) = (ctx.data_opt::<RequestData>(), ctx.data::<Services>()) else {
            return next.run(ctx, info).await;
        };
        let Some(caller) = data.caller else { return next.run(ctx, info).await };
        let scope = services.audit.begin(caller, info.name, data.client_ip, data.origin.as_deref()).await;
        let input = {
            let variables = self.variables.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            input_ids(info.field, variables.as_ref())
        };
        scope.note(None, &input);
        let result = within(scope.clone(), next.run(ctx, info)).await;
        match &result {
            Ok(payload) => scope.note(None, &payload_ids(payload.as_ref())),
            Err(error) => {
                let code = error.extensions.as_ref().and_then(|e| e.get("code")).and_then(|code| match code {
                    Value::String(code) => Some(code.clone()),
                    _ => None,
                });
                scope.note(Some(code.as_deref().unwrap_or("ERROR")), &[]);
            }
        }
        services.audit.finish(&scope).await;
        result
    }
}

/// Strings of the field's arguments under an id-named key (`id`, `paymentId`, `ids`),
/// variables included. Which of them are global ids the event decides.
fn input_ids(field: &Field, variables: Option<&Variables>) -> Vec<String> {
    let mut ids = Vec::new();
    for (name, value) in &field.arguments {
        let value =
            value.node.clone().into_const_with(|var: Name| variables.and_then(|v| v.get(&var).cloned()).ok_or(()));
        if let Ok(value) = value {
            id_strings(name.node.as_str(), &value, &mut ids);
        }
    }
    ids
}

fn id_strings(key: &str, value: &Value, out: &mut Vec<String>) {
    let named_id = key == "id" || key == "ids" || key.ends_with("Id") || key.ends_with("Ids");
    match value {
        Value::String(s) if named_id => out.push(s.clone()),
        Value::List(items) => items.iter().for_each(|item| id_strings(key, item, out)),
        Value::Object(fields) => fields.iter().for_each(|(k, v)| id_strings(k.as_str(), v, out)),
        _ => {}
    }
}

/// The ids of the objects a payload returns (`{ refund { id } payment { id } }`), as far as
/// the client selected them.
fn payload_ids(payload: Option<&Value>) -> Vec<String> {
    let Some(Value::Object(fields)) = payload else { return Vec::new() };
    let id_of = |value: &Value| match value {
        Value::Object(object) => match object.get("id") {
            Some(Value::String(id)) => Some(id.clone()),
            _ => None,
        },
        _ => None,
    };
    fields
        .values()
        .flat_map(|value| match value {
            Value::List(items) => items.iter().filter_map(id_of).collect(),
            other => id_of(other).into_iter().collect::<Vec<_>>(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_id_named_inputs_are_taken() {
        let input = async_graphql::value!({
            "input": { "paymentId": "UGF5bWVudDox", "amount": 100, "evidence": { "explanation": "secret words" },
                       "ids": ["a", "b"], "secretKey": "sk_test_x" }
        });
        let mut ids = Vec::new();
        id_strings("input", &input, &mut ids);
        ids.sort();
        assert_eq!(ids, vec!["UGF5bWVudDox", "a", "b"]);
    }
}
