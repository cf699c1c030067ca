//! `MutationRoot`: each mutation takes one `input` and returns a payload with the changed
//! object and `userErrors`. What the user got wrong is a user error and changes nothing;
//! missing credentials and faults are GraphQL errors.

mod captures;
mod confirm;
mod customers;
mod disputes;
mod fraud;
mod keys;
mod links;
mod merchant;
mod orders;
mod portal;
mod processor_accounts;
mod profiles;
mod refunds;
mod sessions;
mod subscriptions;
mod webhooks;

use async_graphql::{MergedObject, SimpleObject};

use super::errors::gql;
use crate::error::{AppError, AppResult};

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    customers::CustomerMutations,
    orders::OrderMutations,
    subscriptions::SubscriptionMutations,
    sessions::SessionMutations,
    confirm::ConfirmMutations,
    refunds::RefundMutations,
    disputes::DisputeMutations,
    captures::CaptureMutations,
    fraud::FraudMutations,
    profiles::ProfileMutations,
    links::LinkMutations,
    merchant::MerchantMutations,
    keys::KeyMutations,
    webhooks::WebhookMutations,
    processor_accounts::ProcessorAccountMutations,
    portal::PortalMutations,
);

/// Something the caller got wrong. `field` is the path to the input field, when one is to blame.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    pub field: Option<Vec<String>>,
    pub message: String,
    /// Stable, SCREAMING_CASE: branch on this, not on `message`.
    pub code: String,
}

/// Splits a service result into the payload's object and its user errors; access errors and
/// faults become GraphQL errors.
pub fn outcome<T>(result: AppResult<T>) -> async_graphql::Result<(Option<T>, Vec<UserError>)> {
    match result {
        Ok(value) => Ok((Some(value), vec![])),
        Err(AppError::User(errors)) => Ok((None, user_errors(errors))),
        Err(other) => Err(gql(other)),
    }
}

/// The payload form of what the user got wrong; the first error's code is what the
/// mutation's audit event says it ended with.
pub fn user_errors(errors: Vec<crate::error::UserError>) -> Vec<UserError> {
    if let Some(first) = errors.first() {
        crate::service::audit::note_outcome(first.code.as_str());
    }
    errors
        .into_iter()
        .map(|e| UserError {
            field: (!e.field.is_empty()).then_some(e.field),
            message: e.message,
            code: e.code.as_str().to_owned(),
        })
        .collect()
}

/// Parses a global id inside an input, as a user error when it is not one.
pub fn input_id<T: crate::domain::TypedId>(id: &async_graphql::ID, field: &str) -> AppResult<T> {
    T::from_global(id).map_err(|_| {
        AppError::user(
            &["input", field],
            crate::error::ErrorCode::InvalidId,
            format!("not a valid {} id", T::NODE.name()),
        )
    })
}

/// An optional input field: left out keeps the value (`None`), null clears it (`Some(None)`).
pub fn keep_or_set(value: async_graphql::MaybeUndefined<String>) -> Option<Option<String>> {
    match value {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

pub fn input_id_opt<T: crate::domain::TypedId>(id: Option<&async_graphql::ID>, field: &str) -> AppResult<Option<T>> {
    id.map(|id| input_id(id, field)).transpose()
}
