//! What the hosted pages say, in each language: one JSON catalog per language in
//! `locales/`, built into the binary. Keys starting `js.` are the page script's, handed to
//! it in the page's data block. A key missing from a catalog falls back to English; a test
//! keeps every catalog complete.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;

use crate::domain::locale::Locale;

const CATALOGS: [(Locale, &str); 6] = [
    (Locale::En, include_str!("locales/en.json")),
    (Locale::Sv, include_str!("locales/sv.json")),
    (Locale::Nb, include_str!("locales/nb.json")),
    (Locale::Da, include_str!("locales/da.json")),
    (Locale::Fi, include_str!("locales/fi.json")),
    (Locale::De, include_str!("locales/de.json")),
];

type Catalog = HashMap<String, String>;

fn catalogs() -> &'static HashMap<Locale, Catalog> {
    static PARSED: OnceLock<HashMap<Locale, Catalog>> = OnceLock::new();
    PARSED.get_or_init(|| {
        // A catalog that does not parse is a build's mistake, caught by the tests: the
        // pages then speak English rather than fail.
        CATALOGS.iter().map(|(locale, text)| (*locale, serde_json::from_str(text).unwrap_or_default())).collect()
    })
}

/// The pages' words in one language.
#[derive(Clone, Copy, Debug)]
pub struct Text {
    pub locale: Locale,
}

impl Text {
    /// The language of a page: the session's own, else the browser's best, else English.
    pub fn choose(chosen: Option<Locale>, headers: &HeaderMap) -> Text {
        let asked = || headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Locale::negotiate);
        Text { locale: chosen.or_else(asked).unwrap_or(Locale::En) }
    }

    /// The text of `key`.
    pub fn get(self, key: &str) -> &'static str {
        let all = catalogs();
        let of = |locale| all.get(&locale).and_then(|c| c.get(key)).map(String::as_str);
        of(self.locale).or_else(|| of(Locale::En)).unwrap_or("")
    }

    /// The text of `key` with each `{name}` replaced by its value (values are plain text:
    /// the page escapes the result).
    pub fn with(self, key: &str, values: &[(&str, &str)]) -> String {
        values.iter().fold(self.get(key).to_owned(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
    }

    /// The script's texts, without their `js.` prefix.
    pub fn script(self) -> serde_json::Map<String, serde_json::Value> {
        let english = catalogs().get(&Locale::En).cloned().unwrap_or_default();
        english
            .keys()
            .filter_map(|key| key.strip_prefix("js.").map(|short| (short.to_owned(), self.get(key).into())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_parses_and_has_every_key_any_other_has() {
        let mut all_keys = std::collections::BTreeSet::new();
        for (locale, text) in CATALOGS {
            let catalog: Catalog = serde_json::from_str(text).unwrap_or_else(|e| panic!("{locale:?}: {e}"));
            all_keys.extend(catalog.into_keys());
        }
        for (locale, text) in CATALOGS {
            let catalog: Catalog = serde_json::from_str(text).unwrap();
            let missing: Vec<_> = all_keys.iter().filter(|k| !catalog.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{locale:?} lacks {missing:?}");
            let empty: Vec<_> = catalog.iter().filter(|(_, v)| v.trim().is_empty()).map(|(k, _)| k).collect();
            assert!(empty.is_empty(), "{locale:?} has empty {empty:?}");
        }
    }

    #[test]
    fn every_decline_code_has_a_message_in_every_language() {
        for code in crate::processor::DeclineCode::ALL {
            let code = code.as_str().to_ascii_uppercase();
            for (locale, _) in CATALOGS {
                let text = Text { locale }.get(&format!("js.decline.{code}"));
                assert!(!text.is_empty(), "{locale:?} has no message for {code}");
                assert_ne!(text, Text { locale }.get("js.decline.default"), "{locale:?}: {code} has its own");
            }
        }
    }

    #[test]
    fn placeholders_are_filled() {
        let text = Text { locale: Locale::Sv };
        assert_eq!(text.with("title.pay", &[("merchant", "Acme")]), "Betala Acme");
    }
}
