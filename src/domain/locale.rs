//! The languages paygraph's pages speak to customers, how one is chosen from what a browser
//! asks for, and how each writes an amount and a date.

use chrono::{DateTime, Utc};

use super::Money;

super::string_enum!(
    /// A language of the hosted pages, by its BCP 47 tag.
    Locale, "locale" {
        En => "en",
        Sv => "sv",
        Nb => "nb",
        Da => "da",
        Fi => "fi",
        De => "de",
    }
);

impl Locale {
    /// A tag as a client names it: any case, with or without a region (`sv-SE`, `de_AT`);
    /// Norwegian without a written standard (`no`) is Bokmål. `None`: not one spoken here.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let base = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        let base = if base == "no" { "nb".to_owned() } else { base };
        Locale::ALL.iter().copied().find(|l| l.as_str() == base)
    }

    /// The best of an `Accept-Language` header (by quality, then order); `None` when it
    /// names nothing spoken here.
    pub fn negotiate(accept_language: &str) -> Option<Locale> {
        let mut best: Option<(u16, Locale)> = None;
        for part in accept_language.split(',').take(32) {
            let mut pieces = part.split(';');
            let Some(locale) = pieces.next().and_then(Locale::from_tag) else { continue };
            let quality = pieces.find_map(|p| p.trim().strip_prefix("q=").map(thousandths)).unwrap_or(1000);
            if quality > 0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, locale));
            }
        }
        best.map(|(_, locale)| locale)
    }

    /// An amount as this language writes it: `€1,234.50` in English, `1 234,50 kr` in
    /// Swedish, `1.234,50 €` in German. The digits are exact minor units, never a float.
    pub fn money(self, money: Money) -> String {
        if self == Locale::En {
            return money.formatted();
        }
        let (group, decimal) = match self {
            Locale::Da | Locale::De => ('.', ','),
            _ => ('\u{a0}', ','),
        };
        let amount = money.amount();
        let exponent = u32::from(money.currency().exponent());
        let abs = amount.unsigned_abs();
        let scale = 10u64.pow(exponent);
        let mut whole: Vec<char> = (abs / scale).to_string().chars().collect();
        let mut grouped = String::new();
        let len = whole.len();
        for (i, digit) in whole.drain(..).enumerate() {
            if i > 0 && (len - i) % 3 == 0 {
                grouped.push(group);
            }
            grouped.push(digit);
        }
        if exponent > 0 {
            grouped.push(decimal);
            grouped.push_str(&format!("{:0width$}", abs % scale, width = exponent as usize));
        }
        let sign = if amount < 0 { "-" } else { "" };
        let unit = match money.currency().code() {
            "SEK" | "NOK" | "DKK" => "kr",
            "EUR" => "€",
            "USD" => "$",
            "GBP" => "£",
            other => other,
        };
        format!("{sign}{grouped}\u{a0}{unit}")
    }

    /// A moment as this language writes a date and time (UTC).
    pub fn date_time(self, at: DateTime<Utc>) -> String {
        let pattern = match self {
            Locale::En | Locale::Sv => "%Y-%m-%d %H:%M",
            Locale::Fi => "%-d.%-m.%Y klo %H.%M",
            Locale::Nb | Locale::Da | Locale::De => "%d.%m.%Y %H:%M",
        };
        at.format(pattern).to_string()
    }

    /// A day as this language writes it (UTC).
    pub fn date(self, at: DateTime<Utc>) -> String {
        let pattern = match self {
            Locale::En | Locale::Sv => "%Y-%m-%d",
            Locale::Fi => "%-d.%-m.%Y",
            Locale::Nb | Locale::Da | Locale::De => "%d.%m.%Y",
        };
        at.format(pattern).to_string()
    }

    /// The language's name in itself, for a language menu.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::Sv => "Svenska",
            Locale::Nb => "Norsk bokmål",
            Locale::Da => "Dansk",
            Locale::Fi => "Suomi",
            Locale::De => "Deutsch",
        }
    }

    /// A time of day as this language writes it (UTC).
    pub fn time(self, at: DateTime<Utc>) -> String {
        at.format(if self == Locale::Fi { "%H.%M" } else { "%H:%M" }).to_string()
    }
}

/// A quality value (`1`, `0.8`, `0.125`) in thousandths; anything unreadable is 0.
fn thousandths(q: &str) -> u16 {
    let q = q.trim();
    if q == "1" || q.starts_with("1.") {
        return 1000;
    }
    let Some(fraction) = q.strip_prefix("0.").or_else(|| (q == "0").then_some("")) else { return 0 };
    fraction
        .chars()
        .chain("000".chars())
        .take(3)
        .try_fold(0u16, |n, c| Some(n * 10 + c.to_digit(10)? as u16))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;

    fn money(amount: i64, code: &str) -> Money {
        Money::new(amount, Currency::parse(code).unwrap()).unwrap()
    }

    #[test]
    fn tags_fall_back_to_their_base_language() {
        assert_eq!(Locale::from_tag("sv-SE"), Some(Locale::Sv));
        assert_eq!(Locale::from_tag("DE_at"), Some(Locale::De));
        assert_eq!(Locale::from_tag("no"), Some(Locale::Nb));
        assert_eq!(Locale::from_tag("fr"), None);
        assert_eq!(Locale::from_tag(""), None);
    }

    #[test]
    fn accept_language_is_read_by_quality() {
        assert_eq!(Locale::negotiate("sv-SE,sv;q=0.9,en;q=0.8"), Some(Locale::Sv));
        assert_eq!(Locale::negotiate("fr-FR,fr;q=0.9,de;q=0.5,en;q=0.7"), Some(Locale::En));
        assert_eq!(Locale::negotiate("fr, ja;q=0.5"), None);
        assert_eq!(Locale::negotiate("da;q=0, fi"), Some(Locale::Fi));
        assert_eq!(Locale::negotiate(""), None);
        assert_eq!(Locale::negotiate("en;q=0.125, nb;q=0.13"), Some(Locale::Nb));
        assert_eq!(Locale::negotiate("de;q=abc, sv;q=0.001"), Some(Locale::Sv));
    }

    #[test]
    fn each_language_writes_amounts_its_way() {
        assert_eq!(Locale::En.money(money(123_450, "EUR")), "€1234.50");
        assert_eq!(Locale::Sv.money(money(123_450, "SEK")), "1\u{a0}234,50\u{a0}kr");
        assert_eq!(Locale::De.money(money(123_450, "EUR")), "1.234,50\u{a0}€");
        assert_eq!(Locale::Fi.money(money(1_234, "EUR")), "12,34\u{a0}€");
        assert_eq!(Locale::Da.money(money(99_999_999, "DKK")), "999.999,99\u{a0}kr");
        assert_eq!(Locale::Nb.money(money(500, "JPY")), "500\u{a0}JPY");
    }
}
