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
