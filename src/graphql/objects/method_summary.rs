//! What a payment was made with, typed by method: a card, a wallet's card, or the account a
//! bank transfer comes from. Never a number.

use async_graphql::{SimpleObject, Union};

use crate::domain::payment::{BankTransferSummary as StoredTransfer, CardSummary as StoredCard, MethodSummary};
use crate::graphql::enums::WalletType;

/// What a payment was made with.
#[derive(Union)]
#[graphql(name = "PaymentMethodSummary")]
pub enum PaymentMethodSummary {
    Card(CardSummary),
    Wallet(WalletSummary),
    BankTransfer(BankTransferSummary),
}

/// A card: its brand (`visa`, `mastercard`, ...), last 4 digits and expiry.
#[derive(SimpleObject)]
pub struct CardSummary {
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
    /// Paid with the customer's saved profile of this card.
    pub saved_profile: bool,
}

/// The card inside a wallet's payment token.
#[derive(SimpleObject)]
pub struct WalletSummary {
    /// The wallet; none when it paid from a saved profile of a wallet card.
    pub wallet: Option<WalletType>,
    pub brand: String,
    pub last4: String,
    pub exp_month: i32,
    pub exp_year: i32,
    pub saved_profile: bool,
}

/// The account a bank transfer comes from.
#[derive(SimpleObject)]
pub struct BankTransferSummary {
    /// ISO 3166 country of the IBAN.
    pub country: String,
    /// Last 4 characters of the IBAN.
    pub last4: String,
}

impl From<MethodSummary> for PaymentMethodSummary {
    fn from(summary: MethodSummary) -> Self {
        match summary {
            MethodSummary::Card(StoredCard { brand, last4, exp_month, exp_year, saved_profile, .. }) => {
                PaymentMethodSummary::Card(CardSummary { brand, last4, exp_month, exp_year, saved_profile })
            }
            MethodSummary::Wallet(StoredCard { brand, last4, exp_month, exp_year, wallet, saved_profile }) => {
                PaymentMethodSummary::Wallet(WalletSummary {
                    wallet: wallet.map(Into::into),
                    brand,
                    last4,
                    exp_month,
                    exp_year,
                    saved_profile,
                })
            }
            MethodSummary::BankTransfer(StoredTransfer { country, last4 }) => {
                PaymentMethodSummary::BankTransfer(BankTransferSummary { country, last4 })
            }
        }
    }
}
