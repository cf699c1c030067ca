use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{UserError, input_id_opt, outcome};
use crate::domain::order::LineItem;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::gql;
use crate::graphql::objects::Order;
use crate::service::orders::OrderInput;

#[derive(Default)]
pub struct OrderMutations;

#[derive(InputObject)]
pub struct OrderLineItemInput {
    pub name: String,
    #[graphql(default = 1)]
    pub quantity: i32,
    /// Price of one unit, in minor units of the order's currency.
    pub unit_amount: i64,
}

impl From<OrderLineItemInput> for LineItem {
    fn from(l: OrderLineItemInput) -> Self {
        LineItem { name: l.name, quantity: l.quantity, unit_amount: l.unit_amount }
    }
}

#[derive(InputObject)]
pub struct CreateOrderInput {
    pub customer_id: Option<ID>,
    /// ISO 4217 code of every line.
    pub currency: String,
    /// 1 to 100 lines; the order's total is their sum.
    pub line_items: Vec<OrderLineItemInput>,
    pub external_reference: Option<String>,
}

#[derive(SimpleObject)]
pub struct CreateOrderPayload {
    pub order: Option<Order>,
    pub user_errors: Vec<UserError>,
}

#[Object]
impl OrderMutations {
    async fn create_order(
        &self,
        ctx: &Context<'_>,
        input: CreateOrderInput,
    ) -> async_graphql::Result<CreateOrderPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let order = OrderInput {
                customer: input_id_opt(input.customer_id.as_ref(), "customerId")?,
                currency: input.currency,
                line_items: input.line_items.into_iter().map(Into::into).collect(),
                external_reference: input.external_reference,
            };
            ctx.services().orders.create(merchant, order).await
        }
        .await;
        let (order, user_errors) = outcome(result)?;
        Ok(CreateOrderPayload { order: order.map(Order), user_errors })
    }
}
