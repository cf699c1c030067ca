//! Money: an integer amount in the currency's minor unit plus an ISO 4217 code.
//!
//! There is no float anywhere on this path. The exponent of each currency comes from the
//! ISO 4217 list of active codes; a code that is not on it is refused.

use std::fmt;

/// The largest amount a single session or payment may carry, in minor units.
///
/// Stripe caps amounts at eight digits; so do we. It also keeps every amount inside
/// GraphQL's 32-bit `Int`, which the `Money.amount` field of the contract uses.
pub const MAX_AMOUNT: i64 = 99_999_999;

/// An ISO 4217 currency that paygraph accepts, with the number of digits of its minor unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

/// Why a currency code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an active ISO 4217 currency code")]
pub struct UnknownCurrency(pub String);

/// Every active ISO 4217 code with a minor-unit exponent other than 2.
const EXPONENTS: &[(&str, u8)] = &[
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
    ("CLF", 4),
    ("UYW", 4),
];

/// Every other active ISO 4217 code (exponent 2). Funds codes and precious metals without a
/// minor unit (XAU, XDR, …) are left out: nobody pays a checkout in them.
const TWO_DIGIT: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD", "BND",
    "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CNY", "COP", "COU",
    "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
    "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR",
    "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU",
    "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK",
    "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS",
    "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD",
    "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD", "XCG", "YER", "ZAR", "ZMW", "ZWG",
];

impl Currency {
    /// Parses a three-letter code, case-sensitively upper case as ISO 4217 writes it.
    pub fn parse(code: &str) -> Result<Self, UnknownCurrency> {
        if let Some((code, exponent)) = EXPONENTS.iter().find(|(c, _)| *c == code) {
            return Ok(Currency { code, exponent: *exponent });
        }
        if let Some(code) = TWO_DIGIT.iter().find(|c| **c == code) {
            return Ok(Currency { code, exponent: 2 });
        }
        Err(UnknownCurrency(code.to_owned()))
    }

    pub fn code(self) -> &'static str {
        self.code
    }

    /// Digits after the decimal separator: JPY 0, EUR 2, KWD 3.
    pub fn exponent(self) -> u8 {
        self.exponent
    }

    fn symbol(self) -> Option<&'static str> {
        Some(match self.code {
            "USD" => "$",
            "EUR" => "€",
            "GBP" => "£",
            "JPY" => "¥",
            "INR" => "₹",
            "KRW" => "₩",
            _ => return None,
        })
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAmount {
    /// Zero or less where a charge is needed.
    #[error("amount must be greater than zero")]
    NotPositive,
    /// Above [`MAX_AMOUNT`].
    #[error("amount must be at most {MAX_AMOUNT} minor units")]
    TooLarge,
}

/// A positive amount of one currency, in minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Money {
    amount: i64,
    currency: Currency,
}

impl Money {
    /// A chargeable amount: 1 ..= [`MAX_AMOUNT`] minor units.
    pub fn new(amount: i64, currency: Currency) -> Result<Self, InvalidAmount> {
        if amount <= 0 {
            return Err(InvalidAmount::NotPositive);
        }
        if amount > MAX_AMOUNT {
            return Err(InvalidAmount::TooLarge);
        }
        Ok(Money { amount, currency })
    }

    /// Rebuilds a value read back from storage, where it was validated on the way in.
    pub fn from_stored(amount: i64, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// Nothing, in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Money { amount: 0, currency }
    }

    pub fn amount(self) -> i64 {
        self.amount
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    /// A human rendering such as `$12.34`, `¥1234`, `KWD 1.500`, with integer arithmetic only.
    pub fn formatted(self) -> String {
        let sign = if self.amount < 0 { "-" } else { "" };
        let abs = self.amount.unsigned_abs();
        let exponent = u32::from(self.currency.exponent);
        let number = if exponent == 0 {
            abs.to_string()
        } else {
            let scale = 10u64.pow(exponent);
            format!("{}.{:0width$}", abs / scale, abs % scale, width = exponent as usize)
        };
        match self.currency.symbol() {
            Some(symbol) => format!("{sign}{symbol}{number}"),
            None => format!("{sign}{} {number}", self.currency.code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(amount: i64, code: &str) -> Money {
        Money::new(amount, Currency::parse(code).unwrap()).unwrap()
    }

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("EUR").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("KWD").unwrap().exponent(), 3);
        assert_eq!(Currency::parse("CLF").unwrap().exponent(), 4);
    }

    #[test]
    fn unknown_and_lower_case_codes_are_refused() {
        assert!(Currency::parse("XYZ").is_err());
        assert!(Currency::parse("usd").is_err());
        assert!(Currency::parse("").is_err());
    }

    #[test]
    fn amounts_must_be_positive_and_bounded() {
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(Money::new(0, usd), Err(InvalidAmount::NotPositive));
        assert_eq!(Money::new(-5, usd), Err(InvalidAmount::NotPositive));
        assert_eq!(Money::new(MAX_AMOUNT + 1, usd), Err(InvalidAmount::TooLarge));
        assert!(Money::new(MAX_AMOUNT, usd).is_ok());
    }

    #[test]
    fn formatting_uses_the_currency_exponent() {
        assert_eq!(money(1234, "USD").formatted(), "$12.34");
        assert_eq!(money(5, "EUR").formatted(), "€0.05");
        assert_eq!(money(1234, "JPY").formatted(), "¥1234");
        assert_eq!(money(1500, "KWD").formatted(), "KWD 1.500");
        assert_eq!(money(100, "CHF").formatted(), "CHF 1.00");
    }

    #[test]
    fn no_code_is_listed_twice() {
        let mut all: Vec<&str> = EXPONENTS.iter().map(|(c, _)| *c).chain(TWO_DIGIT.iter().copied()).collect();
        let before = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), before);
    }
}
