//! Subscriptions: a recurring amount for a customer, started by a SUBSCRIPTION session.

string_enum!(
    /// The billing period unit.
    BillingInterval, "billing interval" { Day => "DAY", Week => "WEEK", Month => "MONTH", Year => "YEAR" }
);

string_enum!(
    /// Where a subscription stands. It starts INCOMPLETE until its first payment succeeds.
    SubscriptionStatus, "subscription status" {
        Incomplete => "INCOMPLETE",
        Active => "ACTIVE",
        PastDue => "PAST_DUE",
        Canceled => "CANCELED",
    }
);

/// A billing period too long or too short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a billing period must be at least one day and at most one year")]
pub struct InvalidPeriod;

/// Validates `count` intervals: at most one year in total, as card networks expect.
pub fn validate_period(interval: BillingInterval, count: i32) -> Result<(), InvalidPeriod> {
    let max = match interval {
        BillingInterval::Day => 365,
        BillingInterval::Week => 52,
        BillingInterval::Month => 12,
        BillingInterval::Year => 1,
    };
    if (1..=max).contains(&count) { Ok(()) } else { Err(InvalidPeriod) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_bounded_to_a_year() {
        assert!(validate_period(BillingInterval::Month, 12).is_ok());
        assert!(validate_period(BillingInterval::Month, 13).is_err());
        assert!(validate_period(BillingInterval::Year, 2).is_err());
        assert!(validate_period(BillingInterval::Day, 0).is_err());
        assert_eq!("PAST_DUE".parse::<SubscriptionStatus>(), Ok(SubscriptionStatus::PastDue));
    }
}
