//! sea-orm entities: one per table, storage rows only. The API and domain types are
//! separate and converted at the edges, so a column never leaks into the schema.

pub mod api_key;
pub mod audit_event;
pub mod blocklist_entry;
pub mod card_token;
pub mod customer;
pub mod customer_portal_session;
pub mod dispute;
pub mod idempotency_key;
pub mod instance_secret;
pub mod ledger_entry;
pub mod merchant;
pub mod order;
pub mod order_line_item;
pub mod payment;
pub mod payment_link;
pub mod payment_profile;
pub mod payment_session;
pub mod persisted_approval;
pub mod persisted_query;
pub mod processor_account;
pub mod processor_event;
pub mod refund;
pub mod session_event;
pub mod subscription;
pub mod test_processor_record;
pub mod verification;
pub mod webhook_delivery;
pub mod webhook_delivery_attempt;
pub mod webhook_endpoint;
