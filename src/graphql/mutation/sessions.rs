//! Creating, canceling and expiring payment sessions.

use std::collections::BTreeMap;

use async_graphql::{Context, ID, InputObject, Json, Object, SimpleObject};

use super::{UserError, input_id, input_id_opt, outcome};
use crate::graphql::context::ContextExt;
use crate::graphql::enums::{CaptureMethod, PaymentMethodType, PaymentSessionPurpose};
use crate::graphql::errors::gql;
use crate::graphql::objects::{MoneyInput, PaymentSession};
use crate::service::sessions::{AmountInput, SessionInput};

#[derive(Default)]
pub struct SessionMutations;

#[derive(InputObject)]
pub struct CreatePaymentSessionInput {
    pub purpose: PaymentSessionPurpose,
    /// Required for PAYMENT and BALANCE_TOP_UP; the other purposes derive it (or have none).
    pub amount: Option<MoneyInput>,
    /// Required for BALANCE_TOP_UP, OUTSTANDING_BALANCE and SETUP, and to save a profile.
    pub customer_id: Option<ID>,
    /// The order a CHECKOUT session pays.
    pub order_id: Option<ID>,
    /// The subscription a SUBSCRIPTION session starts.
    pub subscription_id: Option<ID>,
    /// Default: every method (SETUP: CARD and WALLET).
    pub allowed_payment_methods: Option<Vec<PaymentMethodType>>,
    /// 300 (5 minutes) to 86400 (24 hours); default 3600.
    pub expires_in_seconds: Option<i64>,
    /// Save the method as a payment profile of the customer when the session completes
    /// (always true for SETUP and SUBSCRIPTION). The same card saved twice is one profile.
    pub save_payment_profile: Option<bool>,
    /// Make the saved profile the customer's default, which renewals charge (always for
    /// SUBSCRIPTION; the first profile a customer saves is their default anyway).
    pub set_profile_as_default: Option<bool>,
    /// OUTSTANDING_BALANCE only: the currency whose charges to pay, when the customer owes in
    /// several. The amount is always computed.
    pub currency: Option<String>,
    pub metadata: Option<Json<BTreeMap<String, String>>>,
    /// Where the hosted page sends the customer after paying.
    pub success_url: Option<String>,
    /// The language of the hosted page (`en`, `sv`, `nb`, `da`, `fi`, `de`; a region such as
    /// `sv-SE` is read as its language). Left out: the customer's `preferredLocale`, else
    /// the browser's. Any other is `UNSUPPORTED_LOCALE`.
    pub locale: Option<String>,
    /// MANUAL: the customer's payment is only authorized, and the money is taken by
    /// `capturePayment` before its `captureBefore` (CHECKOUT and PAYMENT sessions, cards
    /// and wallets). Default AUTOMATIC.
    pub capture_method: Option<CaptureMethod>,
    /// Retrying with the same key and input returns the first session; never creates two.
    pub idempotency_key: Option<String>,
}

#[derive(SimpleObject)]
pub struct CreatePaymentSessionPayload {
    pub payment_session: Option<PaymentSession>,
    /// Give this to the hosted page or a mobile app: it sees and pays this session only.
    pub client_secret: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct CancelPaymentSessionInput {
    pub id: ID,
}

#[derive(InputObject)]
pub struct ExpirePaymentSessionInput {
    pub id: ID,
}

#[derive(SimpleObject)]
pub struct PaymentSessionPayload {
    pub payment_session: Option<PaymentSession>,
    pub user_errors: Vec<UserError>,
}

#[Object]
impl SessionMutations {
    async fn create_payment_session(
        &self,
        ctx: &Context<'_>,
        input: CreatePaymentSessionInput,
    ) -> async_graphql::Result<CreatePaymentSessionPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let session = SessionInput {
                purpose: input.purpose.into(),
                amount: input.amount.map(|m| AmountInput { amount: m.amount, currency: m.currency }),
                customer: input_id_opt(input.customer_id.as_ref(), "customerId")?,
                order: input_id_opt(input.order_id.as_ref(), "orderId")?,
                subscription: input_id_opt(input.subscription_id.as_ref(), "subscriptionId")?,
                allowed_payment_methods: input
                    .allowed_payment_methods
                    .map(|methods| methods.into_iter().map(Into::into).collect()),
                expires_in_seconds: input.expires_in_seconds,
                save_payment_profile: input.save_payment_profile,
                set_profile_as_default: input.set_profile_as_default,
                currency: input.currency,
                metadata: input.metadata.map(|m| m.0),
                success_url: input.success_url,
                locale: input.locale,
                payment_link: None,
                capture_method: input.capture_method.map(Into::into),
            };
            ctx.services().sessions.create(merchant, session, input.idempotency_key).await
        }
        .await;
        let (session, user_errors) = outcome(result)?;
        Ok(CreatePaymentSessionPayload {
            client_secret: session.as_ref().map(|s| s.client_secret.clone()),
            payment_session: session.map(PaymentSession),
            user_errors,
        })
    }

    /// Cancels an OPEN (or REQUIRES_ACTION) session; the customer can no longer pay it.
    async fn cancel_payment_session(
        &self,
        ctx: &Context<'_>,
        input: CancelPaymentSessionInput,
    ) -> async_graphql::Result<PaymentSessionPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async { ctx.services().sessions.cancel(merchant, input_id(&input.id, "id")?).await }.await;
        let (session, user_errors) = outcome(result)?;
        Ok(PaymentSessionPayload { payment_session: session.map(PaymentSession), user_errors })
    }

    /// Expires an OPEN (or REQUIRES_ACTION) session now, before its `expiresAt`.
    async fn expire_payment_session(
        &self,
        ctx: &Context<'_>,
        input: ExpirePaymentSessionInput,
    ) -> async_graphql::Result<PaymentSessionPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async { ctx.services().sessions.expire(merchant, input_id(&input.id, "id")?).await }.await;
        let (session, user_errors) = outcome(result)?;
        Ok(PaymentSessionPayload { payment_session: session.map(PaymentSession), user_errors })
    }
}
