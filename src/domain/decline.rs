//! Why a payment was not made: the processor's decline (a reason paygraph knows, with
//! Stripe's names, or the processor's own code kept as given), or a fraud rule's block.

super::string_enum!(
    /// Why a processor declined, with Stripe's names for the same reasons.
    DeclineCode, "decline code" {
        CardDeclined => "card_declined",
        InsufficientFunds => "insufficient_funds",
        LostCard => "lost_card",
        StolenCard => "stolen_card",
        ExpiredCard => "expired_card",
        IncorrectCvc => "incorrect_cvc",
        ProcessingError => "processing_error",
        Fraudulent => "fraudulent",
        AuthenticationFailed => "authentication_failed",
        BankTransferFailed => "bank_transfer_failed",
        TestModeLiveCard => "test_mode_live_card",
    }
);

/// Why a charge was declined: a reason paygraph knows, or the processor's own code for one
/// it does not, kept as given rather than turned into another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decline {
    Known(DeclineCode),
    Other(String),
}

impl Decline {
    /// From the processor's code: a known one by its name, any other kept.
    pub fn from_code(code: &str) -> Decline {
        code.parse().map_or_else(|_| Decline::Other(code.to_owned()), Decline::Known)
    }

    pub fn as_str(&self) -> &str {
        match self {
            Decline::Known(code) => code.as_str(),
            Decline::Other(code) => code,
        }
    }
}

impl From<DeclineCode> for Decline {
    fn from(code: DeclineCode) -> Self {
        Decline::Known(code)
    }
}

/// Why an attempt failed, as its payment records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The processor declined.
    Declined(Decline),
    /// A fraud rule blocked it before the processor was asked (the payment names the rule).
    Blocked,
}

impl Failure {
    /// What is stored and shown as `declineCode`: the decline's code, or `blocked`.
    pub fn as_str(&self) -> &str {
        match self {
            Failure::Declined(decline) => decline.as_str(),
            Failure::Blocked => "blocked",
        }
    }

    /// From a stored `declineCode`.
    pub fn from_code(code: &str) -> Failure {
        match code {
            "blocked" => Failure::Blocked,
            code => Failure::Declined(Decline::from_code(code)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_reads_back_as_it_was_stored() {
        for failure in [
            Failure::Blocked,
            Failure::Declined(DeclineCode::InsufficientFunds.into()),
            Failure::Declined(Decline::Other("do_not_honor".into())),
        ] {
            assert_eq!(Failure::from_code(failure.as_str()), failure);
        }
    }
}
