//! The merchant's own settings: the name and branding its hosted pages show.

use super::{Core, validate};
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

/// The merchant's own settings.
#[derive(Clone)]
pub struct Merchants {
    core: Core,
}

impl Merchants {
    pub fn new(core: Core) -> Self {
        Merchants { core }
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
        Ok(storage::merchants::save_branding(&self.core.db, before, row).await?)
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
