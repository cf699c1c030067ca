//! The test processor's cards and wallet tokens: Stripe's documented test cards, and what
//! each does (the table in docs/payments.md).

use super::DeclineCode;
use super::test_processor::Behaviour;
use crate::domain::card::Wallet;

/// Stripe's test cards (the table docs/payments.md documents).
pub(super) const TEST_CARDS: &[(&str, Behaviour)] = &[
    ("4242424242424242", Behaviour::Succeed),
    ("4000056655665556", Behaviour::Succeed),
    ("5555555555554444", Behaviour::Succeed),
    ("2223003122003222", Behaviour::Succeed),
    ("5200828282828210", Behaviour::Succeed),
    ("378282246310005", Behaviour::Succeed),
    ("371449635398431", Behaviour::Succeed),
    ("6011111111111117", Behaviour::Succeed),
    ("3056930009020004", Behaviour::Succeed),
    ("36227206271667", Behaviour::Succeed),
    ("3566002020360505", Behaviour::Succeed),
    ("6200000000000005", Behaviour::Succeed),
    ("4000000000000002", Behaviour::Decline(DeclineCode::CardDeclined)),
    ("4000000000009995", Behaviour::Decline(DeclineCode::InsufficientFunds)),
    ("4000000000009987", Behaviour::Decline(DeclineCode::LostCard)),
    ("4000000000009979", Behaviour::Decline(DeclineCode::StolenCard)),
    ("4000000000000069", Behaviour::Decline(DeclineCode::ExpiredCard)),
    ("4000000000000127", Behaviour::Decline(DeclineCode::IncorrectCvc)),
    ("4000000000000119", Behaviour::Decline(DeclineCode::ProcessingError)),
    ("4100000000000019", Behaviour::Decline(DeclineCode::Fraudulent)),
    ("4000002500003155", Behaviour::ThreeDSecure),
    ("4000002760003184", Behaviour::ThreeDSecure),
    ("4000000000000341", Behaviour::SavesThenDeclines),
    ("4000000000005126", Behaviour::RefundFails),
    ("4000000000000259", Behaviour::Disputed),
];

/// Test payment tokens of the wallets (the table in docs/payments.md), each standing for a test card.
pub(super) const TEST_WALLET_TOKENS: &[(&str, Wallet, &str)] = &[
    ("applepay_test_visa", Wallet::ApplePay, "4242424242424242"),
    ("applepay_test_mastercard", Wallet::ApplePay, "5555555555554444"),
    ("applepay_test_amex", Wallet::ApplePay, "378282246310005"),
    ("applepay_test_declined", Wallet::ApplePay, "4000000000000002"),
    ("applepay_test_insufficient_funds", Wallet::ApplePay, "4000000000009995"),
    ("googlepay_test_visa", Wallet::GooglePay, "4242424242424242"),
    ("googlepay_test_mastercard", Wallet::GooglePay, "5555555555554444"),
    ("googlepay_test_declined", Wallet::GooglePay, "4000000000000002"),
    ("googlepay_test_insufficient_funds", Wallet::GooglePay, "4000000000009995"),
];

/// The expiry the wallets' test cards carry.
pub(super) const TEST_WALLET_EXPIRY: (i32, i32) = (12, 2040);
