//! GraphQL enums, mirrored from the domain with `remote` so the domain stays free of
//! GraphQL and the two can never disagree on a variant.

use async_graphql::Enum;

use crate::domain;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "PaymentSessionStatus", remote = "domain::SessionStatus")]
pub enum PaymentSessionStatus {
    Open,
    Processing,
    RequiresAction,
    Completed,
    Expired,
    Canceled,
    Failed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "PaymentSessionPurpose", remote = "domain::SessionPurpose")]
pub enum PaymentSessionPurpose {
    Checkout,
    Payment,
    BalanceTopUp,
    OutstandingBalance,
    Subscription,
    Setup,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "PaymentMethodType", remote = "domain::PaymentMethodType")]
pub enum PaymentMethodType {
    Card,
    Wallet,
    BankTransfer,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "WalletType", remote = "domain::card::Wallet")]
pub enum WalletType {
    ApplePay,
    GooglePay,
}

/// What a secret key may do.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ApiKeyScope", remote = "domain::api_key::KeyScope")]
pub enum ApiKeyScope {
    /// Everything the merchant may do.
    ReadWrite,
    /// Read the graph and subscribe to it: every mutation and card tokenization is refused.
    ReadOnly,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "BlocklistKind", remote = "domain::fraud::BlocklistKind")]
pub enum BlocklistKind {
    CardFingerprint,
    IpAddress,
    Email,
}

/// Why a customer's balance moved.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "LedgerEntryKind", remote = "domain::ledger::LedgerKind")]
pub enum LedgerEntryKind {
    /// A completed BALANCE_TOP_UP session: credit.
    TopUp,
    /// A charge the merchant posted: owed.
    Charge,
    /// A completed OUTSTANDING_BALANCE session: what was owed, paid.
    Settlement,
    /// A refund of a top-up or settlement: the credit taken back.
    Refund,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "BillingInterval", remote = "domain::subscription::BillingInterval")]
pub enum BillingInterval {
    Day,
    Week,
    Month,
    Year,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "SubscriptionStatus", remote = "domain::subscription::SubscriptionStatus")]
pub enum SubscriptionStatus {
    Incomplete,
    Active,
    PastDue,
    Canceled,
}

/// Whether an order still waits for its payment.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "OrderStatus", remote = "domain::order::OrderStatus")]
pub enum OrderStatus {
    Open,
    /// Its session's payment is held for a manual capture.
    Authorized,
    Paid,
    /// Its payment's refunds gave all of it back.
    Refunded,
    /// Its session's held payment was voided: it will not be paid.
    Voided,
    /// Its payment is disputed: until the dispute is won (a lost one keeps it here).
    Disputed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "RefundStatus", remote = "domain::refund::RefundStatus")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "RefundReason", remote = "domain::refund::RefundReason")]
pub enum RefundReason {
    RequestedByCustomer,
    Duplicate,
    Fraudulent,
}

/// What an event of a session's log records.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "PaymentSessionEventKind", remote = "domain::event::EventKind")]
pub enum PaymentSessionEventKind {
    /// The status changed (`previousStatus` -> `status`; no `previousStatus` at creation).
    StatusChanged,
    /// A refund of one of its payments was created (`refund`, `payment`).
    RefundCreated,
    RefundSucceeded,
    /// The processor failed the refund; its amount may be refunded again.
    RefundFailed,
    /// An authorized payment was captured, all or part (`payment`).
    PaymentCaptured,
    /// An authorized payment's hold was released, by `voidPayment` or at its `captureBefore`.
    PaymentVoided,
    /// A customer's bank disputed one of its payments (`dispute`, `payment`).
    DisputeOpened,
    /// A dispute changed: evidence submitted, or the processor said more.
    DisputeUpdated,
    /// A dispute was decided: WON or LOST.
    DisputeClosed,
    /// The subscription this session started changed: it now ends with its period, no
    /// longer does, or renews on another saved method.
    SubscriptionUpdated,
    /// The method this session saved became its customer's default (`paymentProfile`).
    PaymentMethodUpdated,
    /// The method this session saved was removed (`paymentProfile`).
    PaymentMethodRemoved,
}

/// Why a customer's bank disputes a payment (Stripe's reasons).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "DisputeReason", remote = "domain::dispute::DisputeReason")]
pub enum DisputeReason {
    Fraudulent,
    ProductNotReceived,
    ProductUnacceptable,
    Duplicate,
    SubscriptionCanceled,
    CreditNotProcessed,
    Unrecognized,
    General,
}

/// Where a dispute stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "DisputeStatus", remote = "domain::dispute::DisputeStatus")]
pub enum DisputeStatus {
    /// The merchant may answer with evidence until `evidenceDueBy`, or concede.
    NeedsResponse,
    /// Evidence was submitted; the bank decides.
    UnderReview,
    /// Decided for the merchant: the money comes back.
    Won,
    /// Decided for the customer, or conceded: the money stays with the customer.
    Lost,
}

/// Where one payment attempt stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "PaymentStatus", remote = "domain::PaymentStatus")]
pub enum PaymentStatus {
    /// With the processor, or a bank transfer awaiting its settlement.
    Processing,
    /// A 3-D Secure challenge is pending.
    RequiresAction,
    /// The money is held for `capturePayment` (a MANUAL capture session).
    Authorized,
    /// The money was taken.
    Succeeded,
    /// Declined, blocked by a fraud rule, or failed.
    Failed,
    /// The hold was released without a capture.
    Voided,
}

/// When a session's payment is captured.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "CaptureMethod", remote = "domain::capture::CaptureMethod")]
pub enum CaptureMethod {
    /// When the customer pays.
    Automatic,
    /// Authorized when the customer pays; taken by `capturePayment` before `captureBefore`.
    Manual,
}

/// The fraud rules' verdict on a payment attempt.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "FraudDecision", remote = "domain::FraudDecision")]
pub enum FraudDecision {
    /// The rules have not run yet.
    Pending,
    Allow,
    Block,
}

/// Sort direction of a connection.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum OrderDirection {
    Asc,
    #[default]
    Desc,
}

/// Parses a stored enum value; a value no variant names is a fault, not user input.
pub fn stored<T: std::str::FromStr<Err = domain::UnknownVariant>>(value: &str) -> async_graphql::Result<T> {
    value.parse::<T>().map_err(|e| super::errors::internal(&anyhow::Error::new(e)))
}
