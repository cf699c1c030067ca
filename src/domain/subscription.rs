//! Subscriptions: a recurring amount for a customer, started by a SUBSCRIPTION session.

use chrono::{DateTime, Duration, Months, Utc};

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

/// A recurring charge for a customer: a price per period, started by a SUBSCRIPTION
/// session's first payment and renewed off-session from a saved profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub id: super::SubscriptionId,
    pub merchant: super::MerchantId,
    pub customer: super::CustomerId,
    /// What each period costs.
    pub price: super::Money,
    pub interval: BillingInterval,
    pub interval_count: i32,
    pub status: SubscriptionStatus,
    pub current_period_start: Option<DateTime<Utc>>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    /// The profile renewals charge, when it has its own.
    pub default_profile: Option<super::ProfileId>,
    /// The renewal session of the current period, while it is being paid.
    pub renewal_session: Option<super::SessionId>,
    /// Where period ends are counted from: the first payment.
    pub billing_anchor: Option<DateTime<Utc>>,
    pub periods_paid: i32,
    pub canceled_at: Option<DateTime<Utc>>,
    /// The session paying the current period, while it is with the processor.
    pub paying_session: Option<super::SessionId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

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

/// The end of a period of `count` intervals starting at `start`. Months are calendar months
/// (Jan 31 + 1 month = Feb 28 or 29, as card billing does), years twelve of them.
pub fn period_end(start: DateTime<Utc>, interval: BillingInterval, count: i32) -> DateTime<Utc> {
    let count = count.max(1) as u32;
    let months = |n: u32| start.checked_add_months(Months::new(n)).unwrap_or(start);
    match interval {
        BillingInterval::Day => start + Duration::days(i64::from(count)),
        BillingInterval::Week => start + Duration::weeks(i64::from(count)),
        BillingInterval::Month => months(count),
        BillingInterval::Year => months(12 * count),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_end_on_calendar_boundaries() {
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        let jan31 = at("2026-01-31T10:00:00Z");
        assert_eq!(period_end(jan31, BillingInterval::Month, 1), at("2026-02-28T10:00:00Z"));
        assert_eq!(period_end(jan31, BillingInterval::Month, 3), at("2026-04-30T10:00:00Z"));
        assert_eq!(period_end(jan31, BillingInterval::Year, 1), at("2027-01-31T10:00:00Z"));
        assert_eq!(period_end(jan31, BillingInterval::Week, 2), at("2026-02-14T10:00:00Z"));
        assert_eq!(period_end(jan31, BillingInterval::Day, 1), at("2026-02-01T10:00:00Z"));
    }

    #[test]
    fn periods_are_bounded_to_a_year() {
        assert!(validate_period(BillingInterval::Month, 12).is_ok());
        assert!(validate_period(BillingInterval::Month, 13).is_err());
        assert!(validate_period(BillingInterval::Year, 2).is_err());
        assert!(validate_period(BillingInterval::Day, 0).is_err());
        assert_eq!("PAST_DUE".parse::<SubscriptionStatus>(), Ok(SubscriptionStatus::PastDue));
    }
}
