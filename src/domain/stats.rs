//! Sessions counted over time, for dashboards: buckets of equal length from `since`, and in
//! each, per status, how many sessions were created and their amounts per currency. The
//! database groups; this fills the empty buckets and shapes the rest.

use chrono::{DateTime, Duration, Utc};

use super::money::{Currency, Money};
use super::session::SessionStatus;

string_enum!(
    /// The length of one bucket.
    StatsInterval, "stats interval" {
        Minute => "MINUTE",
        Hour => "HOUR",
        Day => "DAY",
        Week => "WEEK",
    }
);

impl StatsInterval {
    pub fn seconds(self) -> i64 {
        match self {
            StatsInterval::Minute => 60,
            StatsInterval::Hour => 3_600,
            StatsInterval::Day => 86_400,
            StatsInterval::Week => 7 * 86_400,
        }
    }
}

/// Most buckets one call may ask for.
pub const MAX_BUCKETS: i64 = 1_000;

/// One group the database counted: sessions of `bucket` (its index from `since`) with
/// `status` and `currency` (none: sessions without an amount); `total` is their amounts,
/// `captured` what their payments took and `refunded` what refunds hold of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountedGroup {
    pub bucket: i64,
    pub status: SessionStatus,
    pub currency: Option<Currency>,
    pub count: i64,
    pub total: Option<i64>,
    pub captured: i64,
    pub refunded: i64,
    /// What lost disputes took back.
    pub disputed: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The statuses sessions of this bucket have now, in the state machine's order; a
    /// status no session has is left out.
    pub statuses: Vec<StatusCount>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusCount {
    pub status: SessionStatus,
    pub count: i64,
    /// The sum of their amounts per currency, by currency code.
    pub amounts: Vec<Money>,
    /// What their payments captured, per currency (none left out: nothing captured).
    pub captured: Vec<Money>,
    /// What refunds hold of that, pending and succeeded, per currency.
    pub refunded: Vec<Money>,
    /// What lost disputes took back of it, per currency.
    pub disputed: Vec<Money>,
}

/// How many buckets `[since, until)` makes, or `None` past [`MAX_BUCKETS`] or when empty.
pub fn bucket_count(since: DateTime<Utc>, until: DateTime<Utc>, interval: StatsInterval) -> Option<i64> {
    let seconds = (until - since).num_seconds();
    let count = (seconds + interval.seconds() - 1) / interval.seconds();
    (seconds > 0 && count <= MAX_BUCKETS).then_some(count)
}

/// Every bucket of `[since, until)`, empty ones included, filled from `groups`.
pub fn buckets(
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    interval: StatsInterval,
    groups: &[CountedGroup],
) -> Vec<Bucket> {
    let count = bucket_count(since, until, interval).unwrap_or(0);
    let length = Duration::seconds(interval.seconds());
    (0..count)
        .map(|index| {
            let start = since + length * i32::try_from(index).unwrap_or(i32::MAX);
            let mut statuses: Vec<StatusCount> = Vec::new();
            for status in SessionStatus::ALL {
                let of_status = groups.iter().filter(|g| g.bucket == index && g.status == *status);
                let mut counted = StatusCount {
                    status: *status,
                    count: 0,
                    amounts: vec![],
                    captured: vec![],
                    refunded: vec![],
                    disputed: vec![],
                };
                for group in of_status {
                    counted.count += group.count;
                    let Some(currency) = group.currency else { continue };
                    if let Some(total) = group.total {
                        counted.amounts.push(Money::from_stored(total, currency));
                    }
                    for (sum, into) in [
                        (group.captured, &mut counted.captured),
                        (group.refunded, &mut counted.refunded),
                        (group.disputed, &mut counted.disputed),
                    ] {
                        if sum != 0 {
                            into.push(Money::from_stored(sum, currency));
                        }
                    }
                }
                for sums in [&mut counted.amounts, &mut counted.captured, &mut counted.refunded, &mut counted.disputed]
                {
                    sums.sort_by(|a, b| a.currency().code().cmp(b.currency().code()));
                }
                if counted.count > 0 {
                    statuses.push(counted);
                }
            }
            Bucket { start, end: (start + length).min(until), statuses }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, hour, 0, 0).unwrap()
    }

    #[test]
    fn every_bucket_is_there_and_the_last_ends_at_until() {
        assert_eq!(bucket_count(at(0), at(0) + Duration::hours(24), StatsInterval::Hour), Some(24));
        assert_eq!(bucket_count(at(0), at(0) + Duration::minutes(90), StatsInterval::Hour), Some(2));
        assert_eq!(bucket_count(at(1), at(1), StatsInterval::Hour), None);
        assert_eq!(bucket_count(at(0), at(0) + Duration::days(2), StatsInterval::Minute), None, "2,880 buckets");
        let eur = Currency::parse("EUR").unwrap();
        let usd = Currency::parse("USD").unwrap();
        let groups = [
            CountedGroup {
                bucket: 1,
                status: SessionStatus::Completed,
                currency: Some(usd),
                count: 1,
                total: Some(500),
                captured: 500,
                refunded: 0,
                disputed: 0,
            },
            CountedGroup {
                bucket: 1,
                status: SessionStatus::Completed,
                currency: Some(eur),
                count: 2,
                total: Some(3000),
                captured: 2000,
                refunded: 700,
                disputed: 0,
            },
            CountedGroup {
                bucket: 1,
                status: SessionStatus::Open,
                currency: None,
                count: 1,
                total: None,
                captured: 0,
                refunded: 0,
                disputed: 0,
            },
        ];
        let filled = buckets(at(0), at(2) + Duration::minutes(30), StatsInterval::Hour, &groups);
        assert_eq!(filled.len(), 3);
        assert!(filled[0].statuses.is_empty() && filled[2].statuses.is_empty());
        assert_eq!(filled[2].end, at(2) + Duration::minutes(30));
        let statuses = &filled[1].statuses;
        assert_eq!(
            statuses.iter().map(|s| s.status).collect::<Vec<_>>(),
            [SessionStatus::Open, SessionStatus::Completed]
        );
        assert_eq!(statuses[1].count, 3);
        assert_eq!(statuses[1].amounts, [Money::from_stored(3000, eur), Money::from_stored(500, usd)]);
        assert_eq!(statuses[1].captured, [Money::from_stored(2000, eur), Money::from_stored(500, usd)]);
        assert_eq!(statuses[1].refunded, [Money::from_stored(700, eur)], "nothing refunded is left out");
        assert!(statuses[0].amounts.is_empty() && statuses[0].captured.is_empty());
    }
}
