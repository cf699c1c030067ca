//! Orders and their line items: what a CHECKOUT session charges.

use super::money::{Currency, MAX_AMOUNT, Money};

string_enum!(
    /// An order is OPEN until a session pays it, then PAID; REFUNDED once its payment's
    /// refunds have given all of it back. A manually captured payment makes it AUTHORIZED
    /// first: PAID at the capture, VOIDED if the hold is released instead. A dispute of its
    /// payment makes a PAID order DISPUTED until it is won (a lost one stays DISPUTED).
    OrderStatus, "order status" {
        Open => "OPEN",
        Authorized => "AUTHORIZED",
        Paid => "PAID",
        Refunded => "REFUNDED",
        Voided => "VOIDED",
        Disputed => "DISPUTED",
    }
);

/// What a CHECKOUT session pays: a total computed from its lines, paid at most once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub id: super::OrderId,
    pub merchant: super::MerchantId,
    pub customer: Option<super::CustomerId>,
    /// The sum of its lines.
    pub total: Money,
    pub status: OrderStatus,
    pub external_reference: Option<String>,
    /// The session paying it (or that paid it), claimed when its attempt started.
    pub paying_session: Option<super::SessionId>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// One validated line of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineItem {
    pub name: String,
    pub quantity: i32,
    pub unit_amount: i64,
}

/// What is wrong with an order's lines, naming the line (0-based) and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidLineItems {
    #[error("an order needs at least one line item")]
    Empty,
    #[error("an order has at most {MAX_LINE_ITEMS} line items")]
    TooMany,
    #[error("line item name must be 1 to 200 characters")]
    Name(usize),
    #[error("quantity must be between 1 and 10000")]
    Quantity(usize),
    #[error("unit amount must be between 0 and {MAX_AMOUNT} minor units")]
    UnitAmount(usize),
    #[error("the order total must be between 1 and {MAX_AMOUNT} minor units")]
    Total,
}

pub const MAX_LINE_ITEMS: usize = 100;

/// Validates line items and sums them, with checked integer arithmetic, into the total.
pub fn total(items: &[LineItem], currency: Currency) -> Result<Money, InvalidLineItems> {
    if items.is_empty() {
        return Err(InvalidLineItems::Empty);
    }
    if items.len() > MAX_LINE_ITEMS {
        return Err(InvalidLineItems::TooMany);
    }
    let mut sum: i64 = 0;
    for (i, item) in items.iter().enumerate() {
        let name_len = item.name.trim().chars().count();
        if name_len == 0 || name_len > 200 {
            return Err(InvalidLineItems::Name(i));
        }
        if !(1..=10_000).contains(&item.quantity) {
            return Err(InvalidLineItems::Quantity(i));
        }
        if !(0..=MAX_AMOUNT).contains(&item.unit_amount) {
            return Err(InvalidLineItems::UnitAmount(i));
        }
        sum = item
            .unit_amount
            .checked_mul(i64::from(item.quantity))
            .and_then(|line| sum.checked_add(line))
            .ok_or(InvalidLineItems::Total)?;
    }
    Money::new(sum, currency).map_err(|_| InvalidLineItems::Total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(quantity: i32, unit_amount: i64) -> LineItem {
        LineItem { name: "Tea".into(), quantity, unit_amount }
    }

    #[test]
    fn total_sums_quantity_times_unit() {
        let usd = Currency::parse("USD").unwrap();
        let total = total(&[item(2, 450), item(1, 100)], usd).unwrap();
        assert_eq!(total.amount(), 1000);
    }

    #[test]
    fn bad_lines_name_their_index() {
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(total(&[], usd), Err(InvalidLineItems::Empty));
        assert_eq!(total(&[item(1, 1), item(0, 1)], usd), Err(InvalidLineItems::Quantity(1)));
        assert_eq!(total(&[item(1, -1)], usd), Err(InvalidLineItems::UnitAmount(0)));
        assert_eq!(total(&[item(10_000, MAX_AMOUNT)], usd), Err(InvalidLineItems::Total));
        assert_eq!(total(&[item(1, 0)], usd), Err(InvalidLineItems::Total));
    }
}
