//! The writes a status change may carry, typed. Services say what must happen; storage
//! builds the SQL, runs it in the transition's transaction and checks that each write
//! affected exactly the rows it must. A guarded write that finds nothing to change (a token
//! already spent, an order another session claimed) rolls the whole transition back with the
//! guard that refused it: there is no silent no-op on the money path.

mod account;
mod disputes;
mod holds;
mod refunds;
mod sql;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::capture::{HoldAction, HoldOutcome};
use crate::domain::dispute::{Dispute, DisputeStatus};
use crate::domain::ledger::LedgerEntry;
use crate::domain::payment::{Payment, VerificationStatus};
use crate::domain::profile::PaymentProfile;
use crate::domain::refund::{Refund, RefundStatus};
use crate::domain::subscription::SubscriptionStatus;
use crate::domain::{FraudDecision, PaymentStatus};

pub(super) use sql::renewal_unpaid;

/// One write that commits with a session's status change. "The session" is the one changing.
#[derive(Debug, Clone)]
pub enum SessionWrite {
    /// A vault token is spent; a token is spent once.
    SpendCardToken {
        token: String,
    },
    /// A wallet's card, kept in the vault already spent so the payment points at it.
    KeepWalletCard(crate::domain::card::VaultCard),
    InsertPayment(Box<Payment>),
    /// The outcome of an attempt still waiting for one.
    RecordOutcome(Outcome),
    InsertVerification(crate::domain::payment::Verification),
    /// The outcome of a SETUP session's verification still waiting for one.
    RecordVerification {
        id: Uuid,
        status: VerificationStatus,
        outcome: VerificationOutcome,
    },
    CountFailedAttempt,
    /// The session takes the order: it is OPEN and no other session holds it.
    ClaimOrder {
        order: Uuid,
    },
    /// An OUTSTANDING_BALANCE session starts paying: the customer still owes at least
    /// `amount` in `currency` (a session made for a debt another session paid meanwhile
    /// charges nothing).
    ClaimDebt {
        customer: Uuid,
        currency: String,
        amount: i64,
    },
    /// The session's attempt ended unpaid: the order it held is free again.
    ReleaseOrder {
        order: Uuid,
    },
    /// The order the session holds is PAID, or AUTHORIZED while its payment is held.
    MarkOrderPaid {
        order: Uuid,
        held: bool,
    },
    /// The session takes the subscription's unpaid period: the subscription is one of
    /// `payable`, or ACTIVE with this session as its renewal, and no other session holds it.
    ClaimSubscription {
        subscription: Uuid,
        payable: &'static [SubscriptionStatus],
    },
    ReleaseSubscription {
        subscription: Uuid,
    },
    /// The period the session holds is paid: the subscription runs to `period.end`.
    PayPeriod {
        subscription: Uuid,
        period: PaidPeriod,
    },
    /// The session (new) renews `subscription`'s period ending at `period_end`: the
    /// subscription is ACTIVE, still at that period, and no other session renews it.
    ClaimRenewal {
        subscription: Uuid,
        period_end: Option<DateTime<Utc>>,
    },
    /// Renewals of the subscription charge the profile the session saved or paid with.
    RenewWithSessionProfile {
        subscription: Uuid,
    },
    /// The session was a renewal and went unpaid: its ACTIVE subscription is PAST_DUE (a
    /// renewal failing again while PAST_DUE changes nothing).
    RenewalUnpaid,
    PostLedgerEntry(LedgerEntry),
    /// Saves a profile, or refreshes (and revives) the customer's profile of the same card.
    SaveProfile(PaymentProfile),
    /// The session points at the customer's profile of the card with `fingerprint`.
    LinkProfileByFingerprint {
        customer: Uuid,
        fingerprint: String,
    },
    /// The session points at `profile`.
    LinkProfile {
        profile: Uuid,
    },
    /// `profile` is the customer's only default.
    ClearDefaultProfile {
        customer: Uuid,
    },
    SetDefaultProfile {
        customer: Uuid,
        profile: ProfileRef,
    },
    /// A refund's part of a change.
    Refund(RefundWrite),
    /// A capture's or a void's part of a change.
    Hold(HoldWrite),
    /// A dispute's part of a change.
    Dispute(DisputeWrite),
    /// A change of what the customer keeps: a subscription, a saved method.
    Account(AccountWrite),
    /// The idempotency record of the request that did this work.
    CompleteIdempotency {
        merchant: Uuid,
        operation: &'static str,
        key: String,
        response: String,
    },
}

/// The writes of a change to what a customer keeps, recorded as an event of the session
/// that made it (the subscription's first session, the method's saving session).
#[derive(Debug, Clone)]
pub enum AccountWrite {
    /// The ACTIVE subscription ends with its period (`cancel`), or no longer does (only while
    /// that period runs).
    CancelAtPeriodEnd { subscription: Uuid, cancel: bool },
    /// The subscription (not CANCELED) renews on `profile`, a live method of its customer.
    RenewOn { subscription: Uuid, customer: Uuid, profile: Uuid },
    /// The method is removed: no longer listed, charged or the default. With
    /// `keep_renewals`, only if no running subscription renews on it.
    RemoveProfile { profile: Uuid, customer: Uuid, keep_renewals: bool },
    /// No subscription renews on `profile` any more: they fall back to the default.
    DetachProfile { profile: Uuid },
}

/// The writes of a refund.
#[derive(Debug, Clone)]
pub enum RefundWrite {
    Insert(Refund),
    /// Holds `amount` of the payment for a refund: the payment is SUCCEEDED and has at least
    /// that much left to refund.
    Reserve {
        payment: Uuid,
        amount: i64,
    },
    /// A failed refund's amount may be refunded again.
    Release {
        payment: Uuid,
        amount: i64,
    },
    /// A PENDING refund settles.
    Settle {
        refund: Uuid,
        status: RefundStatus,
        failure_code: Option<String>,
    },
    /// The order is REFUNDED once its payment's succeeded refunds cover the payment.
    MarkOrderRefunded {
        order: Uuid,
        payment: Uuid,
    },
}

/// The writes of a dispute.
#[derive(Debug, Clone)]
pub enum DisputeWrite {
    /// A dispute the processor reported: inserted unless it is known already.
    Open(Box<Dispute>),
    /// The dispute, still in status `from`, changes.
    Change { dispute: Uuid, from: DisputeStatus, to: DisputeChange },
    /// The session's order follows its payment's dispute: PAID to DISPUTED when opened,
    /// back to PAID when won.
    OrderFollows { order: Uuid, disputed: bool },
    /// The bank holds `amount` more of the payment (less, when negative: a dispute won).
    PaymentDisputed { payment: Uuid, amount: i64 },
}

/// What a change of a dispute sets besides its status.
#[derive(Debug, Clone)]
pub struct DisputeChange {
    pub status: DisputeStatus,
    pub evidence_due_by: Option<DateTime<Utc>>,
    /// The evidence as JSON, when it is sent with the change.
    pub evidence: Option<String>,
    /// The evidence is submitted now.
    pub submitted: bool,
}

/// The writes of an authorization's capture or void.
#[derive(Debug, Clone)]
pub enum HoldWrite {
    /// Marks `action` on an AUTHORIZED payment with no other action under way: of racing
    /// captures and voids, only the one whose mark commits asks the processor.
    Mark { payment: Uuid, action: HoldAction },
    /// The AUTHORIZED payment ends as the processor says: SUCCEEDED with what was captured,
    /// or VOIDED; its mark is cleared.
    End { payment: Uuid, outcome: HoldOutcome },
    /// The AUTHORIZED order the session holds follows its payment: PAID or VOIDED.
    EndOrder { order: Uuid, outcome: HoldOutcome },
}

/// What an attempt came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub payment: Uuid,
    pub status: PaymentStatus,
    pub decline_code: Option<String>,
    pub risk_score: i32,
    pub fraud_rule: Option<String>,
    pub fraud_decision: FraudDecision,
    /// An AUTHORIZED payment's deadline.
    pub capture_before: Option<DateTime<Utc>>,
    /// A REQUIRES_ACTION payment's 3-D Secure URL at the processor.
    pub next_action_url: Option<String>,
}

/// What a SETUP session's verification came to, besides its status.
#[derive(Debug, Clone, Default)]
pub struct VerificationOutcome {
    pub decline_code: Option<String>,
    pub fraud_rule: Option<String>,
    pub risk_score: i32,
}

/// A subscription period, paid.
#[derive(Debug, Clone)]
pub struct PaidPeriod {
    pub anchor: DateTime<Utc>,
    pub periods_paid: i32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A profile by id, or the customer's profile of a card.
#[derive(Debug, Clone)]
pub enum ProfileRef {
    Id(Uuid),
    Fingerprint(String),
}

/// The guarded write that refused a transition: nothing of it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Guard {
    #[error("the card token was already spent")]
    CardTokenSpent,
    #[error("the order is paid or being paid by another session")]
    OrderNotPayable,
    #[error("the subscription's period is paid or being paid by another session")]
    SubscriptionNotPayable,
    #[error("the balance the session pays is paid, or being paid by another session")]
    DebtNotOwed,
    #[error("the subscription's renewal is claimed already")]
    RenewalClaimed,
    #[error("the claim this session should hold is not held")]
    ClaimNotHeld,
    #[error("the attempt has an outcome already")]
    OutcomeRecorded,
    #[error("the idempotency record is not waiting for this work")]
    IdempotencyRecord,
    #[error("the payment is not captured, or has less left to refund")]
    NotRefundable,
    #[error("the refund is settled already")]
    RefundSettled,
    #[error("the payment is not AUTHORIZED, or a capture or void of it is under way")]
    HoldBusy,
    #[error("the authorization has ended already")]
    HoldEnded,
    #[error("the dispute is known already")]
    DisputeKnown,
    #[error("the dispute changed meanwhile")]
    DisputeChanged,
    #[error("the subscription is not in a state for this change")]
    SubscriptionChanged,
    #[error("the method is removed already, or a running subscription renews on it")]
    ProfileNotRemovable,
    #[error("the row this write must change does not exist")]
    Missing,
}

/// How many rows a write must affect.
pub(in crate::storage) enum Expect {
    ExactlyOne(Guard),
    /// Zero or more: a write whose target may rightly be absent.
    Any,
}
