//! Card rules: number (Luhn, brand), expiry, CVC, and the fingerprint that recognises a card
//! again without keeping it.
//!
//! A card number and a CVC exist only as [`CardNumber`] and [`Cvc`], between the vault
//! request and the processor. Neither has `Display`, `Serialize` or a revealing `Debug`
//! (`Debug` shows the brand and last four, or nothing), and both overwrite their digits when
//! dropped. So neither can reach a log line, an error message or a panic message by accident.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::MerchantId;

string_enum!(
    /// Digital wallets. Their payments are authenticated on the device, so they never need
    /// 3-D Secure.
    Wallet, "wallet" {
        ApplePay => "APPLE_PAY",
        GooglePay => "GOOGLE_PAY",
    }
);

/// What the vault keeps of a card: the processor's reference, what may be shown (brand,
/// last 4, expiry) and the keyed fingerprint. Never its number or CVC. Its `token` is given
/// to the client once and spent once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultCard {
    /// The one-time token the client holds (`tok_…`).
    pub token: String,
    pub merchant: MerchantId,
    /// Set when a client secret tokenized it: only that session may use it.
    pub session: Option<super::SessionId>,
    /// The processor's reference to the card.
    pub processor_token: String,
    /// The account that holds `processor_token`; none: the test processor.
    pub processor_account: Option<uuid::Uuid>,
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
    /// Keyed hash of the number.
    pub fingerprint: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// Tokens are single-use.
    pub used_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When a wallet's payment token was exchanged for it.
    pub wallet: Option<Wallet>,
}

string_enum!(
    /// Card networks, recognised from the number's leading digits.
    CardBrand, "card brand" {
        Visa => "visa",
        Mastercard => "mastercard",
        Amex => "amex",
        Discover => "discover",
        DinersClub => "diners",
        Jcb => "jcb",
        UnionPay => "unionpay",
        Unknown => "unknown",
    }
);

impl CardBrand {
    /// The network's name as cards print it ("Visa", "Mastercard"), for a customer's eyes.
    pub fn display_name(self) -> &'static str {
        match self {
            CardBrand::Visa => "Visa",
            CardBrand::Mastercard => "Mastercard",
            CardBrand::Amex => "American Express",
            CardBrand::Discover => "Discover",
            CardBrand::DinersClub => "Diners Club",
            CardBrand::Jcb => "JCB",
            CardBrand::UnionPay => "UnionPay",
            CardBrand::Unknown => "Card",
        }
    }

    /// Digits a CVC of this brand has.
    pub fn cvc_length(self) -> usize {
        if self == CardBrand::Amex { 4 } else { 3 }
    }

    fn of(digits: &[u8]) -> CardBrand {
        let prefix = |n: usize| digits.iter().take(n).fold(0u32, |acc, d| acc * 10 + u32::from(*d));
        match (prefix(1), prefix(2), prefix(3), prefix(4), prefix(6)) {
            (4, ..) => CardBrand::Visa,
            (_, 34 | 37, ..) => CardBrand::Amex,
            (_, 51..=55, ..) | (_, _, _, 2221..=2720, _) => CardBrand::Mastercard,
            (_, 36 | 38 | 39, ..) | (_, _, 300..=305, ..) => CardBrand::DinersClub,
            (_, 65, ..) | (_, _, _, 6011, _) | (_, _, 644..=649, ..) => CardBrand::Discover,
            (_, _, _, 3528..=3589, _) => CardBrand::Jcb,
            (_, 62, ..) => CardBrand::UnionPay,
            _ => CardBrand::Unknown,
        }
    }
}

/// What is wrong with card input. Messages never repeat the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("the card number is not valid")]
    InvalidNumber,
    #[error("this card network is not supported")]
    UnsupportedBrand,
    #[error("the expiry month must be 1 to 12 and the year four digits")]
    InvalidExpiry,
    #[error("the card has expired")]
    Expired,
    #[error("the security code has the wrong number of digits for this card")]
    InvalidCvc,
}

impl CardError {
    /// The input field the error is about.
    pub fn field(self) -> &'static str {
        match self {
            CardError::InvalidNumber | CardError::UnsupportedBrand => "number",
            CardError::InvalidExpiry | CardError::Expired => "expMonth",
            CardError::InvalidCvc => "cvc",
        }
    }
}

/// Digits that wipe themselves when dropped.
struct Digits(Vec<u8>);

impl Drop for Digits {
    fn drop(&mut self) {
        self.0.iter_mut().for_each(|d| *d = 0);
        // Keep the wipe from being optimised away as a dead store.
        std::hint::black_box(&mut self.0);
    }
}

/// A valid card number (Luhn-checked, 12 to 19 digits, known brand).
pub struct CardNumber {
    digits: Digits,
    brand: CardBrand,
}

impl CardNumber {
    /// Parses what a customer typed: digits, with spaces or dashes between groups allowed.
    pub fn parse(input: &str) -> Result<CardNumber, CardError> {
        let mut digits = Digits(Vec::with_capacity(19));
        for c in input.chars() {
            match c {
                '0'..='9' => digits.0.push(c as u8 - b'0'),
                ' ' | '-' => {}
                _ => return Err(CardError::InvalidNumber),
            }
        }
        if !(12..=19).contains(&digits.0.len()) || !luhn(&digits.0) {
            return Err(CardError::InvalidNumber);
        }
        let brand = CardBrand::of(&digits.0);
        if brand == CardBrand::Unknown {
            return Err(CardError::UnsupportedBrand);
        }
        Ok(CardNumber { digits, brand })
    }

    pub fn brand(&self) -> CardBrand {
        self.brand
    }

    pub fn last4(&self) -> String {
        let d = &self.digits.0;
        d[d.len() - 4..].iter().map(|n| char::from(b'0' + n)).collect()
    }

    /// The digits, for a processor adapter sending them to its acquirer. Nothing else may
    /// read them, and nothing may keep them.
    pub fn expose_digits(&self) -> &[u8] {
        &self.digits.0
    }

    /// Whether this is exactly `number` (for a processor's table of test cards).
    pub fn is(&self, number: &str) -> bool {
        number.len() == self.digits.0.len() && number.bytes().zip(&self.digits.0).all(|(c, d)| c == b'0' + d)
    }

    /// A keyed hash that recognises the same card again within one merchant (velocity
    /// checks, one profile per card) and that cannot be reversed without the key, though the
    /// space of card numbers is small.
    pub fn fingerprint(&self, key: &FingerprintKey, merchant: MerchantId) -> String {
        key.fingerprint(merchant, &self.digits.0)
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber({} ****{})", self.brand.as_str(), self.last4())
    }
}

/// The secret key of card fingerprints: 64 bytes, HMAC-SHA256's block size.
#[derive(Clone)]
pub struct FingerprintKey(pub [u8; 64]);

impl FingerprintKey {
    /// HMAC-SHA256 of `merchant` and `secret`, truncated to 128 bits, as hex. The merchant
    /// is part of it, so one card's fingerprints at two merchants cannot be matched.
    pub fn fingerprint(&self, merchant: MerchantId, secret: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&self.0.into());
        mac.update(merchant.0.as_bytes());
        mac.update(secret);
        super::hex(&mac.finalize().into_bytes()[..16])
    }
}

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FingerprintKey(***)")
    }
}

/// A card security code: 3 digits, 4 for American Express.
pub struct Cvc(Digits);

impl Cvc {
    pub fn parse(input: &str, brand: CardBrand) -> Result<Cvc, CardError> {
        if input.len() != brand.cvc_length() || !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CardError::InvalidCvc);
        }
        Ok(Cvc(Digits(input.bytes().map(|b| b - b'0').collect())))
    }
}

impl Cvc {
    /// The digits, for a processor adapter; see [`CardNumber::expose_digits`].
    pub fn expose_digits(&self) -> &[u8] {
        &self.0.0
    }
}

impl fmt::Debug for Cvc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvc(***)")
    }
}

/// Checks an expiry: a real month, a four-digit year, not before `(this_year, this_month)`.
pub fn check_expiry(month: i64, year: i64, this_year: i32, this_month: u32) -> Result<(i32, u32), CardError> {
    let month = u32::try_from(month).ok().filter(|m| (1..=12).contains(m)).ok_or(CardError::InvalidExpiry)?;
    let year = i32::try_from(year).ok().filter(|y| (2000..=2100).contains(y)).ok_or(CardError::InvalidExpiry)?;
    if (year, month) < (this_year, this_month) {
        return Err(CardError::Expired);
    }
    Ok((year, month))
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_brand() {
        for (number, brand) in [
            ("4242 4242 4242 4242", CardBrand::Visa),
            ("5555-5555-5555-4444", CardBrand::Mastercard),
            ("2223003122003222", CardBrand::Mastercard),
            ("378282246310005", CardBrand::Amex),
            ("6011111111111117", CardBrand::Discover),
            ("3056930009020004", CardBrand::DinersClub),
            ("3566002020360505", CardBrand::Jcb),
            ("6200000000000005", CardBrand::UnionPay),
        ] {
            assert_eq!(CardNumber::parse(number).unwrap().brand(), brand, "{number}");
        }
        assert_eq!(CardNumber::parse("4242424242424241").unwrap_err(), CardError::InvalidNumber);
        assert_eq!(CardNumber::parse("4242x4242").unwrap_err(), CardError::InvalidNumber);
        assert_eq!(CardNumber::parse("").unwrap_err(), CardError::InvalidNumber);
        assert_eq!(CardNumber::parse("1234567812345670").unwrap_err(), CardError::UnsupportedBrand);
    }

    #[test]
    fn debug_never_shows_the_number_or_the_cvc() {
        let card = CardNumber::parse("4242424242424242").unwrap();
        let cvc = Cvc::parse("123", card.brand()).unwrap();
        let printed = format!("{card:?} {cvc:?}");
        assert_eq!(printed, "CardNumber(visa ****4242) Cvc(***)");
        assert!(!printed.contains("424242424242"));
        assert_eq!(card.last4(), "4242");
        assert!(card.is("4242424242424242") && !card.is("4000000000000002"));
    }

    #[test]
    fn cvc_length_follows_the_brand() {
        assert!(Cvc::parse("123", CardBrand::Visa).is_ok());
        assert_eq!(Cvc::parse("1234", CardBrand::Visa).unwrap_err(), CardError::InvalidCvc);
        assert!(Cvc::parse("1234", CardBrand::Amex).is_ok());
        assert_eq!(Cvc::parse("12a", CardBrand::Visa).unwrap_err(), CardError::InvalidCvc);
    }

    #[test]
    fn expiry_is_this_month_or_later() {
        assert!(check_expiry(11, 2026, 2026, 11).is_ok());
        assert_eq!(check_expiry(10, 2026, 2026, 11), Err(CardError::Expired));
        assert_eq!(check_expiry(13, 2030, 2026, 11), Err(CardError::InvalidExpiry));
        assert_eq!(check_expiry(1, 30, 2026, 11), Err(CardError::InvalidExpiry));
    }

    #[test]
    fn fingerprints_are_stable_per_key_and_merchant_and_differ_across_them() {
        let a = CardNumber::parse("4242424242424242").unwrap();
        let b = CardNumber::parse("4242 4242 4242 4242").unwrap();
        let (k1, k2) = (FingerprintKey([1; 64]), FingerprintKey([2; 64]));
        let (m1, m2) = (MerchantId::new(), MerchantId::new());
        assert_eq!(a.fingerprint(&k1, m1), b.fingerprint(&k1, m1));
        assert_ne!(a.fingerprint(&k1, m1), a.fingerprint(&k2, m1));
        assert_ne!(a.fingerprint(&k1, m1), a.fingerprint(&k1, m2), "one card cannot be followed across merchants");
        assert_eq!(a.fingerprint(&k1, m1).len(), 32);
    }
}
