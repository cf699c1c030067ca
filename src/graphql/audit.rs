//! The audit trail's GraphQL side, run by the rules (`rules`): each root mutation field
//! runs inside an audit scope (see `service::audit`), with the caller, the client's IP and
//! origin, the global ids of its input and of the objects its payload returns, and the code
//! it ended with. The scope wraps the scope rules, so a mutation they refuse (a read-only
//! key's) is recorded too. A request without a credential changes nothing and names no
//! merchant: it is not recorded (failed authentication is a counter in `/metrics`).

use std::sync::Arc;

use async_graphql::extensions::{ExtensionContext, ResolveInfo};
use async_graphql::parser::types::Field;
use async_graphql::{Name, Request, ServerResult, Value, Variables};

use super::context::RequestData;
use crate::service::Services;
use crate::service::audit::Scope;

/// Whether a request's variables are kept for its audit events: a query's never are, and
/// most requests are queries (a cheap test; a false positive only costs a copy).
pub(super) fn may_mutate(request: &Request) -> bool {
    request.query.contains("mutation")
}

/// The audit scope of the root mutation field `info`, with the ids its input names; `None`
/// without a caller.
pub(super) async fn begin(
    ctx: &ExtensionContext<'_>,
    info: &ResolveInfo<'_>,
    variables: Option<&Variables>,
) -> Option<Arc<Scope>> {
    let (data, services) = (ctx.data_opt::<RequestData>()?, ctx.data::<Services>().ok()?);
    let caller = data.caller?;
    let scope = services.audit.begin(caller, info.name, data.client_ip, data.origin.as_deref()).await;
    scope.note(None, &input_ids(info.field, variables));
    Some(scope)
}

/// Ends the scope with what the field resolved to: the ids its payload returned, or the
/// code it was refused with.
pub(super) async fn end(ctx: &ExtensionContext<'_>, scope: &Scope, result: &ServerResult<Option<Value>>) {
    match result {
        Ok(payload) => scope.note(None, &payload_ids(payload.as_ref())),
        Err(error) => {
            let code = error.extensions.as_ref().and_then(|e| e.get("code")).and_then(|code| match code {
                Value::String(code) => Some(code.clone()),
                _ => None,
            });
            scope.note(Some(code.as_deref().unwrap_or("ERROR")), &[]);
        }
    }
    if let Ok(services) = ctx.data::<Services>() {
        services.audit.finish(scope).await;
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
