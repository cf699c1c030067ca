//! IBANs: country length and the ISO 13616 mod-97 check.

/// IBAN lengths by country (the SWIFT IBAN registry).
const LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NL", 18),
    ("NO", 15),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("SA", 24),
    ("SC", 31),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
];

/// A valid IBAN, in its compact upper-case form.
#[derive(Clone, PartialEq, Eq)]
pub struct Iban(String);

/// Why an IBAN was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidIban {
    #[error("not an IBAN of a known country, or of the wrong length")]
    Format,
    #[error("the IBAN's check digits do not match")]
    Checksum,
}

impl Iban {
    /// Parses an IBAN as people write it: spaces allowed, any case.
    pub fn parse(input: &str) -> Result<Iban, InvalidIban> {
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
        if !compact.chars().all(|c| c.is_ascii_alphanumeric()) || compact.len() < 4 {
            return Err(InvalidIban::Format);
        }
        let country = &compact[..2];
        let expected = LENGTHS.iter().find(|(c, _)| *c == country).map(|(_, n)| *n).ok_or(InvalidIban::Format)?;
        if compact.len() != expected || !compact[2..4].chars().all(|c| c.is_ascii_digit()) {
            return Err(InvalidIban::Format);
        }
        // Move the first four characters to the end, letters become 10..35, then mod 97.
        let rearranged = compact[4..].chars().chain(compact[..4].chars());
        let mut remainder: u32 = 0;
        for c in rearranged {
            let value = c.to_digit(36).ok_or(InvalidIban::Format)?;
            remainder = if value >= 10 { (remainder * 100 + value) % 97 } else { (remainder * 10 + value) % 97 };
        }
        if remainder != 1 {
            return Err(InvalidIban::Checksum);
        }
        Ok(Iban(compact))
    }

    pub fn country(&self) -> &str {
        &self.0[..2]
    }

    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    /// The compact form, for fingerprinting.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Iban {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Iban({} ****{})", self.country(), self.last4())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ibans_pass_and_print_redacted() {
        for iban in [
            "DE89 3704 0044 0532 0130 00",
            "GB82WEST12345698765432",
            "fr1420041010050500013m02606",
            "NL91ABNA0417164300",
        ] {
            assert!(Iban::parse(iban).is_ok(), "{iban}");
        }
        let iban = Iban::parse("DE89370400440532013000").unwrap();
        assert_eq!((iban.country(), iban.last4()), ("DE", "3000"));
        assert_eq!(format!("{iban:?}"), "Iban(DE ****3000)");
    }

    #[test]
    fn bad_ibans_say_why() {
        assert_eq!(Iban::parse("DE89370400440532013001"), Err(InvalidIban::Checksum));
        assert_eq!(Iban::parse("DE8937040044053201300"), Err(InvalidIban::Format));
        assert_eq!(Iban::parse("ZZ89370400440532013000"), Err(InvalidIban::Format));
        assert_eq!(Iban::parse("DE89-3704"), Err(InvalidIban::Format));
        assert_eq!(Iban::parse(""), Err(InvalidIban::Format));
    }
}
