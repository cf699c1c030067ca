//! The test processor's own tests: its cards, tokens, holds and refunds as documented.

use super::*;
use crate::domain::card::{CardNumber, Cvc};
use crate::domain::{Currency, Money};

async fn outcome(number: &str, authenticated: bool) -> ChargeOutcome {
    let card = CardNumber::parse(number).unwrap();
    let cvc = Cvc::parse(if card.brand().cvc_length() == 4 { "1234" } else { "123" }, card.brand()).unwrap();
    let processor = TestProcessor::default();
    let token =
        processor.tokenize(CardDetails { number: &card, exp_month: 12, exp_year: 2040, cvc: &cvc }).await.unwrap();
    assert!(!token.contains(&number[6..]), "the token must not carry the number");
    let amount = Money::new(100, Currency::parse("USD").unwrap()).unwrap();
    let request = ChargeRequest {
        processor_token: &token,
        amount,
        idempotency_key: "k",
        capture: true,
        off_session: false,
        tags: &[],
        return_url: None,
        save_for_later: false,
    };
    processor.charge(request, authenticated).await.unwrap()
}

#[tokio::test]
async fn wallet_tokens_stand_for_their_test_cards() {
    let processor = &TestProcessor::default();
    let card = processor.tokenize_wallet(Wallet::ApplePay, "applepay_test_visa").await.unwrap().unwrap();
    assert_eq!((card.brand.as_str(), card.last4.as_str()), ("visa", "4242"));
    let amount = Money::new(100, Currency::parse("USD").unwrap()).unwrap();
    let charge = |token: String| async move {
        let request = ChargeRequest {
            processor_token: &token,
            amount,
            idempotency_key: "k",
            capture: true,
            off_session: false,
            tags: &[],
            return_url: None,
            save_for_later: false,
        };
        processor.charge(request, true).await.unwrap()
    };
    assert_eq!(charge(card.processor_token).await, ChargeOutcome::Succeeded);
    let declined = processor.tokenize_wallet(Wallet::GooglePay, "googlepay_test_declined").await.unwrap().unwrap();
    assert_eq!(charge(declined.processor_token).await, ChargeOutcome::Declined(DeclineCode::CardDeclined.into()));
    // A token of one wallet is not a token of the other, nor is anything else.
    assert!(processor.tokenize_wallet(Wallet::GooglePay, "applepay_test_visa").await.unwrap().is_none());
    assert!(processor.tokenize_wallet(Wallet::ApplePay, "4242424242424242").await.unwrap().is_none());
}

#[tokio::test]
async fn a_charge_can_be_looked_up_by_its_idempotency_key() {
    let processor = TestProcessor::default();
    let card = CardNumber::parse("4242424242424242").unwrap();
    let cvc = Cvc::parse("123", card.brand()).unwrap();
    let token =
        processor.tokenize(CardDetails { number: &card, exp_month: 12, exp_year: 2040, cvc: &cvc }).await.unwrap();
    assert_eq!(processor.charge_outcome("attempt-1").await.unwrap(), None, "nothing charged yet");
    let amount = Money::new(100, Currency::parse("USD").unwrap()).unwrap();
    let request = ChargeRequest {
        processor_token: &token,
        amount,
        idempotency_key: "attempt-1",
        capture: true,
        off_session: false,
        tags: &[],
        return_url: None,
        save_for_later: false,
    };
    processor.charge(request, false).await.unwrap();
    assert_eq!(processor.charge_outcome("attempt-1").await.unwrap(), Some(ChargeOutcome::Succeeded));
    assert_eq!(processor.charge_outcome("attempt-2").await.unwrap(), None);
}

#[tokio::test]
async fn test_cards_behave_as_documented() {
    assert_eq!(outcome("4242424242424242", false).await, ChargeOutcome::Succeeded);
    assert_eq!(outcome("378282246310005", false).await, ChargeOutcome::Succeeded);
    assert_eq!(outcome("4000000000000002", false).await, ChargeOutcome::Declined(DeclineCode::CardDeclined.into()));
    assert_eq!(
        outcome("4000000000009995", false).await,
        ChargeOutcome::Declined(DeclineCode::InsufficientFunds.into())
    );
    assert_eq!(outcome("4100000000000019", false).await, ChargeOutcome::Declined(DeclineCode::Fraudulent.into()));
    assert_eq!(outcome("4000002500003155", false).await, ChargeOutcome::RequiresAction { redirect: None });
    assert_eq!(outcome("4000002500003155", true).await, ChargeOutcome::Succeeded);
    assert_eq!(outcome("4111111111111111", false).await, ChargeOutcome::Declined(DeclineCode::TestModeLiveCard.into()));
}

#[tokio::test]
async fn an_authorization_ends_once_and_says_how_when_asked_again() {
    let processor = TestProcessor::default();
    let card = CardNumber::parse("4242424242424242").unwrap();
    let cvc = Cvc::parse("123", card.brand()).unwrap();
    let token =
        processor.tokenize(CardDetails { number: &card, exp_month: 12, exp_year: 2040, cvc: &cvc }).await.unwrap();
    let amount = Money::new(2500, Currency::parse("EUR").unwrap()).unwrap();
    let request = ChargeRequest {
        processor_token: &token,
        amount,
        idempotency_key: "held",
        capture: false,
        off_session: false,
        tags: &[],
        return_url: None,
        save_for_later: false,
    };
    assert_eq!(processor.charge(request, false).await.unwrap(), ChargeOutcome::Authorized);
    let part = Money::new(1500, Currency::parse("EUR").unwrap()).unwrap();
    assert_eq!(processor.capture("held", part).await.unwrap(), HoldOutcome::Captured(1500));
    assert_eq!(processor.capture("held", amount).await.unwrap(), HoldOutcome::Captured(1500), "captured once");
    assert_eq!(processor.void("held").await.unwrap(), HoldOutcome::Captured(1500), "too late to void");
    assert_eq!(processor.void("other").await.unwrap(), HoldOutcome::Voided);
    assert_eq!(processor.capture("other", part).await.unwrap(), HoldOutcome::Voided, "voided first");
}
