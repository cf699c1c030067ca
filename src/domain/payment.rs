//! A payment attempt's lifecycle and the fraud rules' verdict on it.

string_enum!(
    /// Where one attempt to pay a session stands. PROCESSING: with the processor, or a bank
    /// transfer awaiting settlement; REQUIRES_ACTION: a 3-D Secure challenge is pending.
    PaymentStatus, "payment status" {
        Processing => "PROCESSING",
        RequiresAction => "REQUIRES_ACTION",
        Succeeded => "SUCCEEDED",
        Failed => "FAILED",
    }
);

impl PaymentStatus {
    /// Still waiting for an outcome: the only states an outcome may be recorded on.
    pub fn awaits_outcome(self) -> bool {
        matches!(self, Self::Processing | Self::RequiresAction)
    }
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
