use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::{UserError, input_id, outcome};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::BillingInterval;
use crate::graphql::errors::gql;
use crate::graphql::objects::{MoneyInput, Subscription};
use crate::service::subscriptions::SubscriptionInput;

#[derive(Default)]
pub struct SubscriptionMutations;

#[derive(InputObject)]
pub struct CreateSubscriptionInput {
    pub customer_id: ID,
    /// What each period costs.
    pub price: MoneyInput,
    pub interval: BillingInterval,
    /// Periods between charges; at most one year in all.
    #[graphql(default = 1)]
    pub interval_count: i32,
}

#[derive(SimpleObject)]
pub struct CreateSubscriptionPayload {
    pub subscription: Option<Subscription>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct CancelSubscriptionInput {
    pub id: ID,
    /// `true`: it runs to the end of the period paid for, then ends instead of renewing.
    /// `false` (the default): it ends now and its open sessions are canceled.
    #[graphql(default = false)]
    pub at_period_end: bool,
}

#[derive(SimpleObject)]
pub struct CancelSubscriptionPayload {
    pub subscription: Option<Subscription>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct UpdateSubscriptionInput {
    pub id: ID,
    /// `false` takes back a cancel at period end while the period runs; `true` is
    /// `cancelSubscription(atPeriodEnd: true)`.
    pub cancel_at_period_end: Option<bool>,
    /// One of the customer's saved methods: what the subscription renews on from now.
    pub payment_profile_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct UpdateSubscriptionPayload {
    pub subscription: Option<Subscription>,
    pub user_errors: Vec<UserError>,
}

#[Object]
impl SubscriptionMutations {
    /// Creates an INCOMPLETE subscription; a SUBSCRIPTION session's first payment starts it.
    async fn create_subscription(
        &self,
        ctx: &Context<'_>,
        input: CreateSubscriptionInput,
    ) -> async_graphql::Result<CreateSubscriptionPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let subscription = SubscriptionInput {
                customer: input_id(&input.customer_id, "customerId")?,
                amount: input.price.amount,
                currency: input.price.currency,
                interval: input.interval.into(),
                interval_count: input.interval_count,
            };
            ctx.services().subscriptions.create(merchant, subscription).await
        }
        .await;
        let (subscription, user_errors) = outcome(result)?;
        Ok(CreateSubscriptionPayload { subscription: subscription.map(Subscription), user_errors })
    }

    /// Cancels a subscription, at once or at the end of its current period.
    async fn cancel_subscription(
        &self,
        ctx: &Context<'_>,
        input: CancelSubscriptionInput,
    ) -> async_graphql::Result<CancelSubscriptionPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let id = input_id(&input.id, "id")?;
            ctx.services().subscriptions.cancel(merchant, id, input.at_period_end).await
        }
        .await;
        let (subscription, user_errors) = outcome(result)?;
        Ok(CancelSubscriptionPayload { subscription: subscription.map(Subscription), user_errors })
    }

    /// Changes what a subscription renews on, or whether it ends with its period. Each
    /// field given is applied in turn; the first that fails stops the rest.
    async fn update_subscription(
        &self,
        ctx: &Context<'_>,
        input: UpdateSubscriptionInput,
    ) -> async_graphql::Result<UpdateSubscriptionPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let subscriptions = &ctx.services().subscriptions;
        let result = async {
            let id = input_id(&input.id, "id")?;
            let profile = input.payment_profile_id.as_ref().map(|p| input_id(p, "paymentProfileId")).transpose()?;
            let mut subscription = None;
            if let Some(profile) = profile {
                subscription = Some(subscriptions.renew_on(merchant, id, profile).await?);
            }
            match input.cancel_at_period_end {
                Some(true) => subscription = Some(subscriptions.cancel(merchant, id, true).await?),
                Some(false) => subscription = Some(subscriptions.resume(merchant, id).await?),
                None => {}
            }
            match subscription {
                Some(subscription) => Ok(subscription),
                None => subscriptions
                    .get(merchant, id)
                    .await?
                    .ok_or_else(|| crate::error::AppError::not_found(&["input", "id"], "subscription")),
            }
        }
        .await;
        let (subscription, user_errors) = outcome(result)?;
        Ok(UpdateSubscriptionPayload { subscription: subscription.map(Subscription), user_errors })
    }
}
