use std::collections::BTreeMap;

use async_graphql::{Context, ID, InputObject, Json, MaybeUndefined, Object, SimpleObject};

use super::{UserError, input_id, keep_or_set, outcome};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::gql;
use crate::graphql::objects::Customer;
use crate::service::customers::{CustomerInput, CustomerUpdate};

#[derive(Default)]
pub struct CustomerMutations;

#[derive(InputObject)]
pub struct CreateCustomerInput {
    pub email: Option<String>,
    pub name: Option<String>,
    /// Your own id for this customer.
    pub external_reference: Option<String>,
    /// The language of the customer's pages (`sv`, `de`, …), unless a session names its own.
    pub preferred_locale: Option<String>,
    /// Up to 50 string keys (40 characters) with string values (500 characters).
    pub metadata: Option<Json<BTreeMap<String, String>>>,
}

/// Fields left out are kept; fields set to null are cleared.
#[derive(InputObject)]
pub struct UpdateCustomerInput {
    pub id: ID,
    pub email: MaybeUndefined<String>,
    pub name: MaybeUndefined<String>,
    pub external_reference: MaybeUndefined<String>,
    pub preferred_locale: MaybeUndefined<String>,
    /// Replaces the whole metadata object.
    pub metadata: Option<Json<BTreeMap<String, String>>>,
}

#[derive(SimpleObject)]
pub struct CustomerPayload {
    pub customer: Option<Customer>,
    pub user_errors: Vec<UserError>,
}

#[Object]
impl CustomerMutations {
    async fn create_customer(
        &self,
        ctx: &Context<'_>,
        input: CreateCustomerInput,
    ) -> async_graphql::Result<CustomerPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let input = CustomerInput {
            email: input.email,
            name: input.name,
            external_reference: input.external_reference,
            preferred_locale: input.preferred_locale,
            metadata: input.metadata.map(|m| m.0),
        };
        let (customer, user_errors) = outcome(ctx.services().customers.create(merchant, input).await)?;
        Ok(CustomerPayload { customer: customer.map(Customer), user_errors })
    }

    async fn update_customer(
        &self,
        ctx: &Context<'_>,
        input: UpdateCustomerInput,
    ) -> async_graphql::Result<CustomerPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let id = input_id(&input.id, "id")?;
            let update = CustomerUpdate {
                email: keep_or_set(input.email),
                name: keep_or_set(input.name),
                external_reference: keep_or_set(input.external_reference),
                preferred_locale: keep_or_set(input.preferred_locale),
                metadata: input.metadata.map(|m| m.0),
            };
            ctx.services().customers.update(merchant, id, update).await
        }
        .await;
        let (customer, user_errors) = outcome(result)?;
        Ok(CustomerPayload { customer: customer.map(Customer), user_errors })
    }
}
