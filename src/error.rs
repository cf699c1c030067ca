//! Errors in layers: what the caller got wrong (shown as `userErrors` with a stable code),
//! missing credentials, and faults (logged with their cause chain, shown masked).

use std::fmt;

use crate::domain::string_enum;

string_enum!(
    /// Stable codes for every business failure. Clients branch on these, never on messages.
    ErrorCode, "error code" {
        Invalid => "INVALID",
        Required => "REQUIRED",
        TooLong => "TOO_LONG",
        NotFound => "NOT_FOUND",
        InvalidId => "INVALID_ID",
        InvalidCursor => "INVALID_CURSOR",
        InvalidPageSize => "INVALID_PAGE_SIZE",
        UnknownCurrency => "UNKNOWN_CURRENCY",
        InvalidAmount => "INVALID_AMOUNT",
        AmountTooLarge => "AMOUNT_TOO_LARGE",
        CurrencyMismatch => "CURRENCY_MISMATCH",
        ExpiryOutOfRange => "EXPIRY_OUT_OF_RANGE",
        InvalidLineItems => "INVALID_LINE_ITEMS",
        InvalidPeriod => "INVALID_PERIOD",
        NotAllowed => "NOT_ALLOWED",
        Duplicate => "DUPLICATE",
        NothingOutstanding => "NOTHING_OUTSTANDING",
        OrderNotPayable => "ORDER_NOT_PAYABLE",
        SubscriptionNotPayable => "SUBSCRIPTION_NOT_PAYABLE",
        SessionExpired => "SESSION_EXPIRED",
        SessionNotOpen => "SESSION_NOT_OPEN",
        IllegalTransition => "ILLEGAL_TRANSITION",
        VersionConflict => "VERSION_CONFLICT",
        IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
        IdempotencyKeyInUse => "IDEMPOTENCY_KEY_IN_USE",
        InvalidNumber => "INVALID_NUMBER",
        UnsupportedBrand => "UNSUPPORTED_BRAND",
        InvalidExpiry => "INVALID_EXPIRY",
        ExpiredCard => "EXPIRED_CARD",
        InvalidCvc => "INVALID_CVC",
        TokenUsed => "TOKEN_USED",
        TokenExpired => "TOKEN_EXPIRED",
        MethodNotAllowed => "PAYMENT_METHOD_NOT_ALLOWED",
        MethodNotSupportedByProcessor => "METHOD_NOT_SUPPORTED_BY_PROCESSOR",
        InvalidProcessorCredentials => "INVALID_PROCESSOR_CREDENTIALS",
        CardDeclined => "CARD_DECLINED",
        InsufficientFunds => "INSUFFICIENT_FUNDS",
        LostCard => "LOST_CARD",
        StolenCard => "STOLEN_CARD",
        IncorrectCvc => "INCORRECT_CVC",
        ProcessingError => "PROCESSING_ERROR",
        Fraudulent => "FRAUDULENT",
        BlockedByFraudRule => "BLOCKED_BY_FRAUD_RULE",
        TestModeLiveCard => "TEST_MODE_LIVE_CARD",
        InvalidIban => "INVALID_IBAN",
        InvalidWalletToken => "INVALID_WALLET_TOKEN",
        BankTransferFailed => "BANK_TRANSFER_FAILED",
        PaymentInProgress => "PAYMENT_IN_PROGRESS",
        PaymentLinkUnavailable => "PAYMENT_LINK_UNAVAILABLE",
        SlowConsumer => "SLOW_CONSUMER",
        TooManySubscriptions => "TOO_MANY_SUBSCRIPTIONS",
        TooManyOperations => "TOO_MANY_OPERATIONS",
        QueryTooLarge => "QUERY_TOO_LARGE",
        InvalidOrigin => "INVALID_ORIGIN",
        TooManyOrigins => "TOO_MANY_ORIGINS",
        OriginNotAllowed => "ORIGIN_NOT_ALLOWED",
        TooManyBuckets => "TOO_MANY_BUCKETS",
        TooManyWaitingDeliveries => "TOO_MANY_WAITING_DELIVERIES",
        PaymentNotRefundable => "PAYMENT_NOT_REFUNDABLE",
        PaymentDisputed => "PAYMENT_DISPUTED",
        DisputeNotEditable => "DISPUTE_NOT_EDITABLE",
        UnsupportedLocale => "UNSUPPORTED_LOCALE",
        PaymentMethodInUse => "PAYMENT_METHOD_IN_USE",
        AlreadyRefunded => "ALREADY_REFUNDED",
        PaymentNotCapturable => "PAYMENT_NOT_CAPTURABLE",
        PaymentNotVoidable => "PAYMENT_NOT_VOIDABLE",
        InvalidUrl => "INVALID_URL",
        Unauthenticated => "UNAUTHENTICATED",
        Forbidden => "FORBIDDEN",
        Internal => "INTERNAL",
    }
);

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing the caller got wrong, with the input path that names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UserError {
    /// Path to the input field, e.g. `["input", "amount", "currency"]`; empty when the
    /// error is not about one field.
    pub field: Vec<String>,
    pub message: String,
    pub code: ErrorCode,
}

impl UserError {
    pub fn new(field: &[&str], code: ErrorCode, message: impl Into<String>) -> Self {
        UserError { field: field.iter().map(|s| (*s).to_owned()).collect(), message: message.into(), code }
    }
}

/// The one application error.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The caller's input or request is wrong; nothing was changed.
    #[error("{}", .0.first().map(|e| e.message.as_str()).unwrap_or("invalid input"))]
    User(Vec<UserError>),
    /// No credentials, or credentials that do not allow this operation.
    #[error("{1}")]
    Access(ErrorCode, &'static str),
    /// A fault: database, bus, a bug. Logged in full, shown to the client as `INTERNAL`.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn user(field: &[&str], code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::User(vec![UserError::new(field, code, message)])
    }

    pub fn not_found(field: &[&str], what: &str) -> Self {
        Self::user(field, ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn unauthenticated() -> Self {
        AppError::Access(
            ErrorCode::Unauthenticated,
            "send a secret key or client secret as `Authorization: Bearer <key>`",
        )
    }

    pub fn needs_secret_key() -> Self {
        AppError::Access(ErrorCode::Forbidden, "this operation needs a secret API key")
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::User(errors) => errors.first().map_or(ErrorCode::Invalid, |e| e.code),
            AppError::Access(code, _) => *code,
            AppError::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        AppError::Internal(anyhow::Error::new(err).context("database"))
    }
}

impl<E: Into<AppError> + std::error::Error> From<sea_orm::TransactionError<E>> for AppError {
    fn from(err: sea_orm::TransactionError<E>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(e) => e.into(),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
