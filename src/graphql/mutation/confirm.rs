//! Paying a session (`confirmPaymentSession`), and test mode's controls of what happens next:
//! a 3-D Secure challenge passed or failed, a bank transfer settled or not.

use async_graphql::{Context, ID, InputObject, Object, OneofObject, SimpleObject};

use super::{UserError, input_id, outcome, user_errors as user_errors_of};
use crate::domain::TypedId;
use crate::graphql::context::ContextExt;
use crate::graphql::enums::WalletType;
use crate::graphql::errors::gql;
use crate::graphql::objects::{Payment, PaymentSession};
use crate::service::payments::PaymentMethodInput as MethodInput;

#[derive(Default)]
pub struct ConfirmMutations;

/// How the customer pays: exactly one of these.
#[derive(OneofObject)]
pub enum PaymentMethodInput {
    /// A one-time token from `POST /vault/cards`.
    CardToken(String),
    /// A saved profile of the session's customer.
    PaymentProfileId(ID),
    /// A payment token from Apple Pay or Google Pay (see docs/payments.md for test tokens).
    Wallet(WalletInput),
    /// A transfer from this account; the session waits in PROCESSING until it settles.
    BankTransfer(BankTransferInput),
}

#[derive(InputObject)]
pub struct WalletInput {
    #[graphql(name = "type")]
    pub wallet_type: WalletType,
    /// The wallet's payment token as the device produced it.
    pub token: String,
}

#[derive(InputObject)]
pub struct BankTransferInput {
    /// Spaces allowed; checked for its country's length and its mod-97 check digits.
    pub iban: String,
}

#[derive(InputObject)]
pub struct SettleTestBankTransferInput {
    pub payment_id: ID,
    /// True: the money arrived. False: the transfer failed.
    pub settled: bool,
}

#[derive(InputObject)]
pub struct ConfirmPaymentSessionInput {
    pub id: ID,
    pub payment_method: PaymentMethodInput,
    /// Retrying with the same key and input returns the first attempt; never charges twice.
    pub idempotency_key: Option<String>,
}

/// A confirmation's outcome. A declined attempt returns the session (OPEN again, or FAILED
/// at the attempt limit), the failed payment, and a user error naming the reason.
#[derive(SimpleObject)]
pub struct ConfirmPaymentSessionPayload {
    pub payment_session: Option<PaymentSession>,
    pub payment: Option<Payment>,
    /// What the customer must do before the payment can finish, if anything.
    pub next_action: Option<NextAction>,
    pub user_errors: Vec<UserError>,
}

#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq)]
pub enum NextActionType {
    /// The issuer asks for 3-D Secure. In test mode, `completeTestChallenge` passes or fails it.
    ThreeDSecureChallenge,
    /// The customer sends the bank transfer; the session completes when it settles. In test
    /// mode, `settleTestBankTransfer` settles or fails it.
    AwaitBankTransfer,
}

#[derive(SimpleObject)]
pub struct NextAction {
    #[graphql(name = "type")]
    pub kind: NextActionType,
    /// The payment waiting on the challenge; none for a SETUP session, whose card is being
    /// verified, not charged (pass its challenge by `paymentSessionId`).
    pub payment_id: Option<ID>,
    /// Where the customer completes it: for 3-D Secure, the processor's page (Stripe's
    /// redirect, which returns to `/pay/<client secret>/return`) or, in test mode, paygraph's
    /// own with pass and fail buttons, which returns to the hosted page.
    pub url: Option<String>,
}

#[derive(InputObject)]
pub struct CompleteTestChallengeInput {
    /// The payment waiting on the challenge.
    pub payment_id: Option<ID>,
    /// A SETUP session whose card's verification waits on the challenge (instead of
    /// `paymentId`).
    pub payment_session_id: Option<ID>,
    /// Whether the customer passed the challenge.
    pub passed: bool,
}

/// Builds the confirm payload from a service result.
fn confirm_payload(
    ctx: &Context<'_>,
    result: crate::error::AppResult<crate::service::payments::Confirmed>,
) -> async_graphql::Result<ConfirmPaymentSessionPayload> {
    let (confirmed, mut user_errors) = outcome(result)?;
    let Some(confirmed) = confirmed else {
        return Ok(ConfirmPaymentSessionPayload {
            payment_session: None,
            payment: None,
            next_action: None,
            user_errors,
        });
    };
    if let Some(declined) = confirmed.declined {
        user_errors.extend(user_errors_of(vec![declined]));
    }
    use crate::domain::{PaymentMethodType, PaymentStatus};
    let next_action = confirmed.payment.as_ref().and_then(|payment| {
        let transfer = payment.method == PaymentMethodType::BankTransfer;
        let kind = match payment.status {
            PaymentStatus::RequiresAction => Some(NextActionType::ThreeDSecureChallenge),
            PaymentStatus::Processing if transfer => Some(NextActionType::AwaitBankTransfer),
            _ => None,
        };
        let payment_id = payment.id.to_global();
        // The processor's page when it gave one; the test processor's challenge is ours.
        let url = (kind == Some(NextActionType::ThreeDSecureChallenge))
            .then(|| match (&payment.next_action_url, payment.processor_account) {
                (Some(url), _) => Some(url.clone()),
                (None, None) => Some(format!(
                    "{}/pay/{}/challenge/{payment_id}",
                    ctx.services().public_url,
                    confirmed.session.client_secret
                )),
                (None, Some(_)) => None,
            })
            .flatten();
        kind.map(|kind| NextAction { kind, payment_id: Some(ID(payment_id)), url })
    });
    // A SETUP session's card waits on 3-D Secure: the test challenge names the session.
    let session = &confirmed.session;
    let next_action = next_action.or_else(|| {
        let verifying = confirmed.payment.is_none()
            && session.purpose == crate::domain::SessionPurpose::Setup
            && session.status == crate::domain::SessionStatus::RequiresAction;
        verifying.then(|| NextAction {
            kind: NextActionType::ThreeDSecureChallenge,
            payment_id: None,
            url: Some(format!("{}/pay/{}/challenge/setup", ctx.services().public_url, session.client_secret)),
        })
    });
    Ok(ConfirmPaymentSessionPayload {
        payment_session: Some(PaymentSession(confirmed.session)),
        payment: confirmed.payment.map(Payment),
        next_action,
        user_errors,
    })
}

#[Object]
impl ConfirmMutations {
    /// Pays a session: with the session's client secret (the hosted page, a mobile app) or a
    /// secret key. Success completes it; 3-D Secure leaves it REQUIRES_ACTION.
    async fn confirm_payment_session(
        &self,
        ctx: &Context<'_>,
        input: ConfirmPaymentSessionInput,
    ) -> async_graphql::Result<ConfirmPaymentSessionPayload> {
        let caller = ctx.caller()?;
        let result = async {
            let id = input_id(&input.id, "id")?;
            let method = match input.payment_method {
                PaymentMethodInput::CardToken(token) => MethodInput::CardToken(token),
                PaymentMethodInput::PaymentProfileId(id) => {
                    MethodInput::Profile(crate::domain::ProfileId::from_global(&id).map_err(|_| {
                        crate::error::AppError::user(
                            &["input", "paymentMethod", "paymentProfileId"],
                            crate::error::ErrorCode::InvalidId,
                            "not a valid PaymentProfile id",
                        )
                    })?)
                }
                PaymentMethodInput::Wallet(wallet) => {
                    MethodInput::Wallet { wallet: wallet.wallet_type.into(), token: wallet.token }
                }
                PaymentMethodInput::BankTransfer(transfer) => MethodInput::BankTransfer { iban: transfer.iban },
            };
            ctx.services().payments.confirm(caller, id, method, input.idempotency_key, ctx.client_ip()).await
        }
        .await;
        confirm_payload(ctx, result)
    }

    /// Test mode: a bank transfer awaiting settlement arrives (or fails), as a sandbox's
    /// settlement report would say. Secret key only.
    async fn settle_test_bank_transfer(
        &self,
        ctx: &Context<'_>,
        input: SettleTestBankTransferInput,
    ) -> async_graphql::Result<ConfirmPaymentSessionPayload> {
        let merchant = ctx.caller()?.secret_key_holder().map_err(gql)?;
        let result = async {
            let payment: crate::domain::PaymentId = input_id(&input.payment_id, "paymentId")?;
            ctx.services().payments.settle_test_bank_transfer(merchant, payment.0, input.settled).await
        }
        .await;
        confirm_payload(ctx, result)
    }

    /// Test mode: pass or fail the 3-D Secure challenge of a payment in REQUIRES_ACTION, as
    /// the customer would on the issuer's page. With the session's client secret or a secret key.
    async fn complete_test_challenge(
        &self,
        ctx: &Context<'_>,
        input: CompleteTestChallengeInput,
    ) -> async_graphql::Result<ConfirmPaymentSessionPayload> {
        let caller = ctx.caller()?;
        let result = async {
            let payments = &ctx.services().payments;
            match (&input.payment_id, &input.payment_session_id) {
                (Some(payment), None) => {
                    let payment: crate::domain::PaymentId = input_id(payment, "paymentId")?;
                    payments.complete_test_challenge(caller, payment.0, input.passed).await
                }
                (None, Some(session)) => {
                    let session = input_id(session, "paymentSessionId")?;
                    payments.complete_test_setup_challenge(caller, session, input.passed).await
                }
                _ => Err(crate::error::AppError::user(
                    &["input", "paymentId"],
                    crate::error::ErrorCode::Required,
                    "give `paymentId` or (for a SETUP session) `paymentSessionId`, not both",
                )),
            }
        }
        .await;
        confirm_payload(ctx, result)
    }
}
