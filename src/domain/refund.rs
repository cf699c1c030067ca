//! Giving money back: refunds of a captured payment, several partial ones allowed, their sum
//! never more than what was captured.

use chrono::{DateTime, Utc};

use super::{MerchantId, Money, PaymentId, RefundId, SessionId};

string_enum!(
    /// PENDING until the processor settles it; a FAILED refund gives its amount back to what
    /// may be refunded.
    RefundStatus, "refund status" {
        Pending => "PENDING",
        Succeeded => "SUCCEEDED",
        Failed => "FAILED",
    }
);

string_enum!(
    /// Why the merchant refunds, with Stripe's names.
    RefundReason, "refund reason" {
        RequestedByCustomer => "REQUESTED_BY_CUSTOMER",
        Duplicate => "DUPLICATE",
        Fraudulent => "FRAUDULENT",
    }
);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refund {
    pub id: RefundId,
    pub merchant: MerchantId,
    pub payment: PaymentId,
    pub session: SessionId,
    pub amount: Money,
    pub reason: RefundReason,
    pub status: RefundStatus,
    /// Why the processor failed it.
    pub failure_code: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Why an amount cannot be refunded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotRefundable {
    #[error("the amount must be positive")]
    NotPositive,
    #[error("only {0} minor units are left to refund")]
    MoreThanLeft(i64),
    #[error("everything captured has been refunded already")]
    NothingLeft,
}

/// What a refund of `asked` (none: all that is left) comes to, when `captured` was taken and
/// `refunded` is held by earlier refunds (pending or succeeded).
pub fn refund_amount(asked: Option<i64>, captured: i64, refunded: i64) -> Result<i64, NotRefundable> {
    let left = captured - refunded;
    if left <= 0 {
        return Err(NotRefundable::NothingLeft);
    }
    match asked {
        None => Ok(left),
        Some(amount) if amount <= 0 => Err(NotRefundable::NotPositive),
        Some(amount) if amount > left => Err(NotRefundable::MoreThanLeft(left)),
        Some(amount) => Ok(amount),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_takes_at_most_what_is_left() {
        assert_eq!(refund_amount(None, 2500, 0), Ok(2500));
        assert_eq!(refund_amount(None, 2500, 1000), Ok(1500));
        assert_eq!(refund_amount(Some(1500), 2500, 1000), Ok(1500));
        assert_eq!(refund_amount(Some(1501), 2500, 1000), Err(NotRefundable::MoreThanLeft(1500)));
        assert_eq!(refund_amount(Some(0), 2500, 0), Err(NotRefundable::NotPositive));
        assert_eq!(refund_amount(Some(-5), 2500, 0), Err(NotRefundable::NotPositive));
        assert_eq!(refund_amount(None, 2500, 2500), Err(NotRefundable::NothingLeft));
    }
}
