//! Payment links: a reusable, shareable address that opens a fresh session per visit.
//!
//! A link sells either an amount (each visit opens a PAYMENT session) or line items (each
//! visit opens an OPEN order of those items and its CHECKOUT session, so the hosted page and
//! the graph show what was bought). It stops opening sessions when deactivated, past its
//! expiry, or once it has as many completed sessions as its limit.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::orders::{OrderInput, checked_total};
use super::sessions::SessionInput;
use super::{Core, validate};
use crate::domain::link::PaymentLink;
use crate::domain::new_secret;
use crate::domain::order::LineItem;
use crate::domain::session::PaymentSession;
use crate::domain::{LinkId, MerchantId, Money, SessionPurpose};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::storage::kinds;
use crate::storage::listings::Listing;
use crate::storage::records;

/// Slugs are random, so a link's address cannot be guessed from another's.
const SLUG_PREFIX: &str = "pl_";

#[derive(Debug)]
pub struct LinkInput {
    pub currency: String,
    /// Exactly one of an amount or line items.
    pub amount: Option<i64>,
    pub line_items: Option<Vec<LineItem>>,
    pub max_completed_payments: Option<i32>,
    pub expires_at: Option<DateTime<Utc>>,
    pub active: bool,
}

/// Why a link opens no session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkUnavailable {
    NotFound,
    Inactive,
    Expired,
    UsedUp,
}

/// Payment links: reusable, each visit a fresh session.
#[derive(Clone)]
pub struct Links {
    core: Core,
    orders: super::orders::Orders,
    sessions: super::sessions::Sessions,
}

impl Links {
    pub fn new(core: Core, orders: super::orders::Orders, sessions: super::sessions::Sessions) -> Self {
        Links { core, orders, sessions }
    }
}

impl Links {
    #[tracing::instrument(skip(self, input))]
    pub async fn create(&self, merchant: MerchantId, input: LinkInput) -> AppResult<PaymentLink> {
        let currency = validate::currency(&input.currency, &["input", "currency"])?;
        let (amount, items) = match (input.amount, input.line_items) {
            (Some(amount), None) => {
                (Some(validate::money(amount, currency.code(), &["input", "amount"])?.amount()), vec![])
            }
            (None, Some(items)) => {
                checked_total(&items, currency)?;
                (None, items)
            }
            _ => {
                return Err(AppError::user(
                    &["input", "amount"],
                    ErrorCode::Invalid,
                    "a payment link sells either an amount or line items: give exactly one",
                ));
            }
        };
        if input.max_completed_payments.is_some_and(|max| max < 1) {
            return Err(AppError::user(
                &["input", "maxCompletedPayments"],
                ErrorCode::Invalid,
                "a limit on completed payments is at least 1",
            ));
        }
        let now = self.core.now();
        if input.expires_at.is_some_and(|at| at <= now) {
            return Err(AppError::user(&["input", "expiresAt"], ErrorCode::Invalid, "expiresAt must be in the future"));
        }
        let items = items
            .into_iter()
            .map(|i| LineItem { name: i.name.trim().to_owned(), quantity: i.quantity, unit_amount: i.unit_amount })
            .collect();
        let row = PaymentLink {
            id: LinkId::new(),
            merchant,
            slug: new_secret(SLUG_PREFIX),
            currency,
            amount: amount.map(|amount| Money::from_stored(amount, currency)),
            items,
            active: input.active,
            max_completed_payments: input.max_completed_payments,
            expires_at: input.expires_at,
            created_at: now,
            updated_at: now,
        };
        Ok(records::insert::<kinds::Links>(&self.core.db, row).await?)
    }

    #[tracing::instrument(skip(self))]
    pub async fn deactivate(&self, merchant: MerchantId, id: LinkId) -> AppResult<PaymentLink> {
        let link =
            self.get(merchant, id).await?.ok_or_else(|| AppError::not_found(&["input", "id"], "payment link"))?;
        let row = PaymentLink { active: false, updated_at: self.core.now(), ..link.clone() };
        Ok(records::save_changes::<kinds::Links>(&self.core.db, link, row).await?)
    }

    pub fn listing(&self, merchant: MerchantId, active: Option<bool>) -> Listing<kinds::Links> {
        crate::storage::listings::links(merchant, active)
    }

    pub async fn get(&self, merchant: MerchantId, id: LinkId) -> AppResult<Option<PaymentLink>> {
        Ok(records::find::<kinds::Links>(&self.core.db, merchant, id.0).await?)
    }

    /// Sessions of the link that completed: what its limit counts.
    pub async fn completed_payments(&self, link: Uuid) -> AppResult<u64> {
        let counts = crate::storage::totals::completed_per_link(&self.core.db, [link]).await?;
        Ok(counts.first().map_or(0, |(_, n)| *n))
    }

    /// A visit to `/l/{slug}`: a fresh session for the link, or why there is none.
    #[tracing::instrument(skip(self, slug))]
    pub async fn visit(&self, slug: &str) -> AppResult<Result<PaymentSession, LinkUnavailable>> {
        let Some(link) = crate::storage::links::by_slug(&self.core.db, slug).await? else {
            return Ok(Err(LinkUnavailable::NotFound));
        };
        if !link.active {
            return Ok(Err(LinkUnavailable::Inactive));
        }
        if link.expires_at.is_some_and(|at| at <= self.core.now()) {
            return Ok(Err(LinkUnavailable::Expired));
        }
        if let Some(max) = link.max_completed_payments
            && self.completed_payments(link.id.0).await? >= u64::try_from(max).unwrap_or(0)
        {
            return Ok(Err(LinkUnavailable::UsedUp));
        }
        let merchant = link.merchant;
        let mut input = SessionInput::new(SessionPurpose::Payment);
        input.payment_link = Some(link.id);
        match link.amount {
            Some(amount) => {
                let currency = link.currency.code().to_owned();
                input.amount = Some(super::sessions::AmountInput { amount: amount.amount(), currency });
            }
            None => {
                let order = OrderInput {
                    customer: None,
                    currency: link.currency.code().to_owned(),
                    line_items: link.items,
                    external_reference: None,
                };
                input.purpose = SessionPurpose::Checkout;
                input.order = Some(self.orders.create(merchant, order).await?.id);
            }
        }
        Ok(Ok(self.sessions.create(merchant, input, None).await?))
    }
}
