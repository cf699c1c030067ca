//! The merchant's own settings: the name and branding its hosted pages show, and the web
//! origins its browser apps call from.

use std::sync::Arc;

use super::origins::{MAX_PER_MERCHANT, Origins};
use super::{Core, validate};
use crate::bus::Notice;
use crate::domain::MerchantId;
use crate::domain::merchant::Merchant;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage;

/// A change of branding; `None` keeps a field, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct BrandingUpdate {
    pub name: Option<String>,
    pub logo_url: Option<Option<String>>,
    pub accent_color: Option<Option<String>>,
}

/// A change of settings; `None` keeps a field.
#[derive(Debug, Default)]
pub struct SettingsUpdate {
    /// Replaces the list; an empty list allows no origin of the merchant's own.
    pub allowed_origins: Option<Vec<String>>,
}

/// The merchant's own settings.
#[derive(Clone)]
pub struct Merchants {
    core: Core,
    origins: Arc<Origins>,
}

impl Merchants {
    pub fn new(core: Core, origins: Arc<Origins>) -> Self {
        Merchants { core, origins }
    }
}

impl Merchants {
    pub async fn get(&self, id: MerchantId) -> AppResult<Merchant> {
        Ok(storage::merchants::merchant(&self.core.db, id).await?.ok_or_else(|| anyhow::anyhow!("merchant gone"))?)
    }

    #[tracing::instrument(skip(self))]
    pub async fn update_branding(&self, id: MerchantId, update: BrandingUpdate) -> AppResult<Merchant> {
        let before = self.get(id).await?;
        let mut row = before.clone();
        if let Some(name) = update.name {
            let name = validate::text(Some(name), 100, &["input", "name"])?.filter(|n| !n.trim().is_empty());
            let name =
                name.ok_or_else(|| AppError::user(&["input", "name"], ErrorCode::Required, "a name is required"))?;
            row.name = name.trim().to_owned();
        }
        if let Some(logo) = update.logo_url {
            // The hosted page's policy loads images over HTTPS only.
            let logo = validate::url(logo, &["input", "logoUrl"])?;
            if logo.as_deref().is_some_and(|url| !url.starts_with("https://")) {
                return Err(AppError::user(
                    &["input", "logoUrl"],
                    ErrorCode::Invalid,
                    "the logo must be an https:// URL",
                ));
            }
            row.logo_url = logo;
        }
        if let Some(color) = update.accent_color {
            if color.as_deref().is_some_and(|c| !is_hex_color(c)) {
                return Err(AppError::user(
                    &["input", "accentColor"],
                    ErrorCode::Invalid,
                    "the accent color is #RRGGBB, six hex digits",
                ));
            }
            row.accent_color = color.map(|c| c.to_ascii_lowercase());
        }
        Ok(storage::merchants::save(&self.core.db, before, row).await?)
    }

    /// Changes the settings; a new list of origins holds on every instance once this returns
    /// (here at once, elsewhere through the bus; see `origins`).
    #[tracing::instrument(skip(self))]
    pub async fn update_settings(&self, id: MerchantId, update: SettingsUpdate) -> AppResult<Merchant> {
        let before = self.get(id).await?;
        let mut row = before.clone();
        if let Some(texts) = update.allowed_origins {
            row.allowed_origins = self.read_origins(&texts)?;
        }
        let changed = row.allowed_origins != before.allowed_origins;
        let merchant = storage::merchants::save(&self.core.db, before, row).await?;
        if changed {
            self.origins.reload().await?;
            if let Err(error) = self.core.bus.notify(Notice::OriginsChanged).await {
                tracing::warn!(%error, "could not tell other instances of changed origins");
            }
        }
        Ok(merchant)
    }

    /// Each text as an origin, duplicates dropped, at most `MAX_PER_MERCHANT`.
    fn read_origins(&self, texts: &[String]) -> AppResult<Vec<String>> {
        let mut origins: Vec<String> = Vec::with_capacity(texts.len());
        for (index, text) in texts.iter().enumerate() {
            let index = index.to_string();
            let field = ["input", "allowedOrigins", index.as_str()];
            let origin = self
                .origins
                .parse(text)
                .map_err(|e| AppError::user(&field, ErrorCode::InvalidOrigin, e.to_string()))?;
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        if origins.len() > MAX_PER_MERCHANT {
            let message = format!("a merchant allows at most {MAX_PER_MERCHANT} origins");
            return Err(AppError::user(&["input", "allowedOrigins"], ErrorCode::TooManyOrigins, message));
        }
        Ok(origins)
    }
}

/// `#RRGGBB`: the only form, so it can go into the page's stylesheet as it is.
pub fn is_hex_color(value: &str) -> bool {
    value.len() == 7 && value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::is_hex_color;

    #[test]
    fn accent_colors_are_six_hex_digits() {
        assert!(is_hex_color("#1a2B3c"));
        for bad in ["1a2b3c", "#1a2b3", "#1a2b3cd", "#1a2b3g", "red", "#fff;}body{"] {
            assert!(!is_hex_color(bad), "{bad}");
        }
    }
}
