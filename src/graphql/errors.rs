//! From application errors to GraphQL errors, masking every fault.
//!
//! async-graphql turns anything `Display` into an error with that text, which would show a
//! database error to the client. Resolvers therefore never `?` an internal error directly:
//! they go through [`gql`] (or [`GqlResult::gql`]), which logs a fault with its cause chain
//! and shows only `INTERNAL`.

use async_graphql::ErrorExtensions;

use crate::error::{AppError, UserError};

/// Converts an application error for the client.
pub fn gql(err: AppError) -> async_graphql::Error {
    match err {
        AppError::User(errors) => {
            let first = errors.into_iter().next();
            let (message, code, field) = match first {
                Some(UserError { message, code, field }) => (message, code, field),
                None => ("invalid input".to_owned(), crate::error::ErrorCode::Invalid, vec![]),
            };
            async_graphql::Error::new(message).extend_with(|_, e| {
                e.set("code", code.as_str());
                if !field.is_empty() {
                    e.set("field", field.clone());
                }
            })
        }
        AppError::Access(code, message) => {
            async_graphql::Error::new(message).extend_with(|_, e| e.set("code", code.as_str()))
        }
        AppError::Internal(cause) => internal(&cause),
    }
}

/// Logs a fault and returns the masked error the client sees.
pub fn internal(cause: &anyhow::Error) -> async_graphql::Error {
    tracing::error!(error = format!("{cause:#}"), "internal error");
    async_graphql::Error::new("internal error").extend_with(|_, e| e.set("code", "INTERNAL"))
}

/// `.gql()` on service and loader results.
pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, AppError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(gql)
    }
}
