//! Input checks shared by the use-cases; each returns the user error that names its field.

use std::collections::BTreeMap;

use crate::domain::money::InvalidAmount;
use crate::domain::{Currency, Money};
use crate::error::{AppError, AppResult, ErrorCode};

pub const MAX_METADATA_KEYS: usize = 50;

pub fn currency(code: &str, field: &[&str]) -> AppResult<Currency> {
    Currency::parse(code).map_err(|e| AppError::user(field, ErrorCode::UnknownCurrency, e.to_string()))
}

/// A chargeable amount; `field` names the money input object.
pub fn money(amount: i64, code: &str, field: &[&str]) -> AppResult<Money> {
    let mut currency_field = field.to_vec();
    currency_field.push("currency");
    let currency = currency(code, &currency_field)?;
    let mut amount_field = field.to_vec();
    amount_field.push("amount");
    Money::new(amount, currency).map_err(|e| {
        let code = match e {
            InvalidAmount::NotPositive => ErrorCode::InvalidAmount,
            InvalidAmount::TooLarge => ErrorCode::AmountTooLarge,
        };
        AppError::user(&amount_field, code, e.to_string())
    })
}

/// An optional short text: trimmed, empty becomes none, longer than `max` is refused.
pub fn text(value: Option<String>, max: usize, field: &[&str]) -> AppResult<Option<String>> {
    let Some(value) = value else { return Ok(None) };
    let value = value.trim().to_owned();
    if value.chars().count() > max {
        return Err(AppError::user(field, ErrorCode::TooLong, format!("must be at most {max} characters")));
    }
    Ok((!value.is_empty()).then_some(value))
}

/// A language paygraph's pages speak (`sv`, `sv-SE`, `de`); any other is `UNSUPPORTED_LOCALE`.
pub fn locale(value: Option<String>, field: &[&str]) -> AppResult<Option<crate::domain::locale::Locale>> {
    let Some(value) = value else { return Ok(None) };
    crate::domain::locale::Locale::from_tag(&value).map(Some).ok_or_else(|| {
        let spoken: Vec<&str> = crate::domain::locale::Locale::ALL.iter().map(|l| l.as_str()).collect();
        AppError::user(field, ErrorCode::UnsupportedLocale, format!("one of {}", spoken.join(", ")))
    })
}

/// A plausible email address: one `@`, something on each side, a dot in the domain.
pub fn email(value: Option<String>, field: &[&str]) -> AppResult<Option<String>> {
    let Some(value) = text(value, 254, field)? else { return Ok(None) };
    let valid = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
    }) && !value.chars().any(char::is_whitespace);
    if valid { Ok(Some(value)) } else { Err(AppError::user(field, ErrorCode::Invalid, "is not an email address")) }
}

/// Metadata as Stripe bounds it: at most 50 keys of 40 characters, values of 500.
pub fn metadata(value: Option<BTreeMap<String, String>>, field: &[&str]) -> AppResult<String> {
    let map = metadata_map(value, field)?;
    serde_json::to_string(&map).map_err(|e| AppError::Internal(e.into()))
}

/// Metadata within Stripe's limits: 50 keys of 1 to 40 characters, values of at most 500.
pub fn metadata_map(value: Option<BTreeMap<String, String>>, field: &[&str]) -> AppResult<BTreeMap<String, String>> {
    let map = value.unwrap_or_default();
    if map.len() > MAX_METADATA_KEYS {
        return Err(AppError::user(field, ErrorCode::Invalid, format!("at most {MAX_METADATA_KEYS} keys")));
    }
    for (key, value) in &map {
        if key.is_empty() || key.chars().count() > 40 || value.chars().count() > 500 {
            return Err(AppError::user(field, ErrorCode::Invalid, "keys are 1 to 40 characters, values at most 500"));
        }
    }
    Ok(map)
}

/// An absolute http(s) URL.
pub fn url(value: Option<String>, field: &[&str]) -> AppResult<Option<String>> {
    let Some(value) = text(value, 2048, field)? else { return Ok(None) };
    let ok = (value.starts_with("https://") || value.starts_with("http://"))
        && value.split("://").nth(1).is_some_and(|rest| !rest.is_empty() && !rest.chars().any(char::is_whitespace));
    if ok { Ok(Some(value)) } else { Err(AppError::user(field, ErrorCode::Invalid, "must be an absolute http(s) URL")) }
}

pub fn idempotency_key(value: Option<String>) -> AppResult<Option<String>> {
    match value {
        Some(k) if k.is_empty() || k.len() > 255 => Err(AppError::user(
            &["input", "idempotencyKey"],
            ErrorCode::Invalid,
            "idempotencyKey must be 1 to 255 characters",
        )),
        other => Ok(other),
    }
}
