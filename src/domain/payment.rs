//! A payment attempt's lifecycle and the fraud rules' verdict on it.

string_enum!(
    /// Where one attempt to pay a session stands. PROCESSING: with the processor, or a bank
    /// transfer awaiting settlement; REQUIRES_ACTION: a 3-D Secure challenge is pending;
    /// AUTHORIZED: the money is held for a capture later (manual capture); VOIDED: the hold
    /// was released without a capture.
    PaymentStatus, "payment status" {
        Processing => "PROCESSING",
        RequiresAction => "REQUIRES_ACTION",
        Authorized => "AUTHORIZED",
        Succeeded => "SUCCEEDED",
        Failed => "FAILED",
        Voided => "VOIDED",
    }
);

impl PaymentStatus {
    /// Still waiting for an outcome: the only states an outcome may be recorded on.
    pub const AWAITING_OUTCOME: [PaymentStatus; 2] = [Self::Processing, Self::RequiresAction];
}

string_enum!(
    /// The fraud rules' verdict on an attempt: PENDING until they have run.
    FraudDecision, "fraud decision" {
        Pending => "PENDING",
        Allow => "ALLOW",
        Block => "BLOCK",
    }
);

string_enum!(
    /// Where a SETUP session's check of a method stands.
    VerificationStatus, "verification status" {
        Processing => "PROCESSING",
        Succeeded => "SUCCEEDED",
        Failed => "FAILED",
    }
);

/// One attempt of a SETUP session to verify a method with the processor (a zero-amount
/// check). Nothing is charged; the fraud rules count it as an attempt with its card, IP and
/// customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub id: uuid::Uuid,
    pub merchant: super::MerchantId,
    pub session: super::SessionId,
    pub customer: Option<super::CustomerId>,
    pub status: VerificationStatus,
    /// The vault card verified: what a verification waiting on 3-D Secure goes on with.
    pub card_token: Option<String>,
    pub fingerprint: String,
    pub client_ip: Option<String>,
    pub decline_code: Option<String>,
    pub fraud_rule: Option<String>,
    pub risk_score: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// What a payment was made with, as it is kept and shown: never a number. Stored as JSON
/// on the payment, read back by its method type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MethodSummary {
    Card(CardSummary),
    /// A wallet's card: `wallet` names the wallet, unless it was paid from a saved profile.
    Wallet(CardSummary),
    BankTransfer(BankTransferSummary),
}

/// A card (or a wallet's card).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardSummary {
    #[serde(default)]
    pub brand: String,
    #[serde(default)]
    pub last4: String,
    #[serde(default)]
    pub exp_month: i32,
    #[serde(default)]
    pub exp_year: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<super::card::Wallet>,
    /// Paid with a saved profile.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub saved_profile: bool,
}

/// The account a transfer comes from: its country and last 4 characters.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BankTransferSummary {
    pub country: String,
    pub last4: String,
}

impl MethodSummary {
    /// Reads a stored summary of a payment made with `kind`.
    pub fn parse(kind: super::PaymentMethodType, stored: &str) -> Result<Self, serde_json::Error> {
        use super::PaymentMethodType as Kind;
        Ok(match kind {
            Kind::Card => MethodSummary::Card(serde_json::from_str(stored)?),
            Kind::Wallet => MethodSummary::Wallet(serde_json::from_str(stored)?),
            Kind::BankTransfer => MethodSummary::BankTransfer(serde_json::from_str(stored)?),
        })
    }

    /// The stored form.
    pub fn to_json(&self) -> String {
        let json = match self {
            MethodSummary::Card(card) | MethodSummary::Wallet(card) => serde_json::to_string(card),
            MethodSummary::BankTransfer(transfer) => serde_json::to_string(transfer),
        };
        json.unwrap_or_default()
    }
}

impl Payment {
    /// What a capture may take: all of an AUTHORIZED payment, nothing otherwise.
    pub fn amount_capturable(&self) -> i64 {
        if self.status == PaymentStatus::Authorized { self.amount.amount() } else { 0 }
    }
}

/// One attempt to collect a session's money: what was charged, how, and what came of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    pub id: super::PaymentId,
    pub merchant: super::MerchantId,
    pub session: super::SessionId,
    pub customer: Option<super::CustomerId>,
    pub status: PaymentStatus,
    pub amount: super::Money,
    /// What of `amount` was taken: all of it once SUCCEEDED, unless a manual capture took
    /// less; zero before.
    pub amount_captured: super::Money,
    /// What of `amount_captured` refunds hold, pending or succeeded.
    pub amount_refunded: super::Money,
    /// What the customer's bank holds (an open dispute) or took (a lost one).
    pub amount_disputed: super::Money,
    /// An AUTHORIZED payment's deadline: past it the hold is voided.
    pub capture_before: Option<chrono::DateTime<chrono::Utc>>,
    /// A capture or void under way with the processor (see `domain::capture`).
    pub hold_action: Option<super::capture::HoldAction>,
    pub method: super::PaymentMethodType,
    pub summary: MethodSummary,
    /// Keyed fingerprint of the card, wallet card or IBAN.
    pub fingerprint: Option<String>,
    /// The vault token charged (a card or a wallet's card), if one was.
    pub card_token: Option<String>,
    /// The saved profile charged, if one was.
    pub profile: Option<super::ProfileId>,
    /// Why it failed: the processor's decline, or a fraud rule's block.
    pub decline_code: Option<super::decline::Failure>,
    pub risk_score: i32,
    pub fraud_rule: Option<String>,
    pub fraud_decision: FraudDecision,
    /// Canonical client IP the confirmation came from.
    pub client_ip: Option<String>,
    /// Charged without the customer present (a renewal).
    pub off_session: bool,
    pub subscription: Option<super::SubscriptionId>,
    /// The processor account that holds the charged token; none: the test processor.
    pub processor_account: Option<uuid::Uuid>,
    /// The processor's id of the charge (a Stripe PaymentIntent); none at the test processor.
    pub processor_reference: Option<String>,
    /// Where the processor sends the customer for 3-D Secure, when it gave a URL.
    pub next_action_url: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}
