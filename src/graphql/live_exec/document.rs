//! Reading a subscription document: its one operation, its one root field with the
//! arguments resolved, and its rewrite into a query of the event schema.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection};
use async_graphql::{ID, Name, Pos, Value, Variables};

use super::RootField;

pub(super) fn operation<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<&'d async_graphql::Positioned<async_graphql::parser::types::OperationDefinition>> {
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    }
}

/// The operation's one root field: nothing else (fragments, several fields) is shared.
pub(super) fn the_field<'d>(
    document: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<&'d async_graphql::Positioned<async_graphql::parser::types::Field>> {
    let op = operation(document, name)?;
    match op.node.selection_set.node.items.as_slice() {
        [only] => match &only.node {
            Selection::Field(field) if field.node.directives.is_empty() => Some(field),
            _ => None,
        },
        _ => None,
    }
}

pub(super) fn root_position(document: &ExecutableDocument, name: Option<&str>) -> Option<(String, Pos)> {
    let field = the_field(document, name)?;
    Some((field.node.response_key().node.to_string(), field.pos))
}

/// The variables with the operation's defaults filled in.
pub(super) fn with_defaults(document: &ExecutableDocument, name: Option<&str>, given: &Variables) -> Option<Variables> {
    let op = operation(document, name)?;
    let mut variables = given.clone();
    for definition in &op.node.variable_definitions {
        let var = &definition.node;
        if !variables.contains_key(&var.name.node)
            && let Some(default) = &var.default_value
        {
            variables.insert(var.name.node.clone(), default.node.clone());
        }
    }
    Some(variables)
}

pub(super) fn root_field(
    document: &ExecutableDocument,
    name: Option<&str>,
    variables: &Variables,
) -> Option<RootField> {
    let field = the_field(document, name)?;
    let argument = |arg: &str| -> Option<Value> {
        let value = field.node.get_argument(arg)?.node.clone();
        value.into_const_with(|var: Name| variables.get(&var).cloned().ok_or(())).ok()
    };
    let string = |arg: &str| match argument(arg) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    match field.node.name.node.as_str() {
        "paymentSessionUpdated" => Some(RootField::SessionUpdated {
            id: ID(string("id")?),
            after_version: match argument("afterVersion") {
                Some(Value::Number(n)) => Some(i32::try_from(n.as_i64()?).ok()?),
                _ => None,
            },
        }),
        "paymentSessionEvents" => {
            Some(RootField::Events { customer_id: string("customerId").map(ID), after: string("after") })
        }
        _ => None,
    }
}

/// Turns the chosen subscription operation into a query of the event schema.
pub(super) fn as_query(document: &mut ExecutableDocument, name: Option<&str>) -> Option<()> {
    let op = match (&mut document.operations, name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get_mut(name)?,
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values_mut().next()?,
        _ => return None,
    };
    (op.node.ty == OperationType::Subscription).then(|| op.node.ty = OperationType::Query)
}

/// Whether the operation `request` runs is a subscription (a document that does not parse
/// is not: it fails at once).
pub fn is_subscription(request: &async_graphql::Request) -> bool {
    async_graphql::parser::parse_query(&request.query).ok().is_some_and(|document| {
        operation(&document, request.operation_name.as_deref())
            .is_some_and(|op| op.node.ty == OperationType::Subscription)
    })
}
