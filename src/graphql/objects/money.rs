use async_graphql::{InputObject, Object};

use crate::domain;

/// An amount in the currency's minor unit (cents for USD, yen for JPY, fils for KWD).
pub struct Money(pub domain::Money);

#[Object]
impl Money {
    /// Integer amount in minor units: 1234 USD is $12.34.
    async fn amount(&self) -> i64 {
        self.0.amount()
    }
    /// ISO 4217 code.
    async fn currency(&self) -> &'static str {
        self.0.currency().code()
    }
    /// For display, e.g. `$12.34`, `¥1234`, `KWD 1.500`.
    async fn formatted(&self) -> String {
        self.0.formatted()
    }
}

/// An amount as a client sends it.
#[derive(InputObject, Clone, Debug)]
pub struct MoneyInput {
    /// Integer amount in minor units, 1 to 99,999,999.
    pub amount: i64,
    /// ISO 4217 code, upper case.
    pub currency: String,
}

/// Rebuilds stored money; the code was validated when it was written.
pub(crate) fn stored(amount: Option<i64>, currency: Option<&str>) -> async_graphql::Result<Option<Money>> {
    match (amount, currency) {
        (Some(amount), Some(code)) => {
            let currency =
                domain::Currency::parse(code).map_err(|e| super::super::errors::internal(&anyhow::Error::new(e)))?;
            Ok(Some(Money(domain::Money::from_stored(amount, currency))))
        }
        _ => Ok(None),
    }
}
