use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{UserError, input_id, outcome};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::gql;
use crate::graphql::objects::CustomerPortalSession;
use crate::service::portal::PortalInput;

#[derive(Default)]
pub struct PortalMutations;

#[derive(InputObject)]
pub struct CreateCustomerPortalSessionInput {
    pub customer_id: ID,
    /// Where the portal's back link goes (absolute http(s)).
    pub return_url: Option<String>,
    /// The portal's language (`sv`, `de-DE`); unset: the customer's `preferredLocale`, else
    /// the browser's.
    pub locale: Option<String>,
    /// 300 to 86,400; 3,600 when unset.
    pub expires_in_seconds: Option<i64>,
}

#[derive(SimpleObject)]
pub struct CreateCustomerPortalSessionPayload {
    pub customer_portal_session: Option<CustomerPortalSession>,
    pub user_errors: Vec<UserError>,
}

#[Object]
impl PortalMutations {
    /// Opens a portal for one customer: send them to its `url`. Read-write secret keys only.
    async fn create_customer_portal_session(
        &self,
        ctx: &Context<'_>,
        input: CreateCustomerPortalSessionInput,
    ) -> async_graphql::Result<CreateCustomerPortalSessionPayload> {
        let merchant = ctx.caller()?.read_write_key_holder().map_err(gql)?;
        let result = async {
            let portal = PortalInput {
                customer: input_id(&input.customer_id, "customerId")?,
                return_url: input.return_url,
                locale: input.locale,
                expires_in_seconds: input.expires_in_seconds,
            };
            ctx.services().portals.create(merchant, portal).await
        }
        .await;
        let (portal, user_errors) = outcome(result)?;
        Ok(CreateCustomerPortalSessionPayload {
            customer_portal_session: portal.map(CustomerPortalSession),
            user_errors,
        })
    }
}
