//! The kinds of object storage hands up, as its callers name them: `records::find::<Customers>`,
//! `Listing<Payments>`, `loaders::by_id::<Sessions>`. Each is a marker of storage's own, not a
//! table's type: which table holds a kind, and how its rows become objects, is storage's
//! business alone.

use super::batch::Tenanted;
use super::entities::{
    audit_event, blocklist_entry, customer, dispute, ledger_entry, order, payment, payment_link, payment_profile,
    payment_session, refund, subscription, webhook_delivery_attempt, webhook_endpoint,
};

/// A kind of object, and what storage hands up for it.
pub trait Kind: Send + Sync + 'static {
    type Object: Clone + Send + Sync + 'static;
    /// Where it is kept (storage's own: nothing above storage names a table).
    #[doc(hidden)]
    type Table: Tenanted<Object = Self::Object>;
}

macro_rules! kinds {
    ($($(#[$doc:meta])* $kind:ident => $table:ident;)*) => {$(
        $(#[$doc])*
        pub struct $kind;

        impl Kind for $kind {
            type Object = <$table::Entity as Tenanted>::Object;
            type Table = $table::Entity;
        }
    )*};
}

kinds! {
    AuditEvents => audit_event;
    BlocklistEntries => blocklist_entry;
    Customers => customer;
    Disputes => dispute;
    LedgerEntries => ledger_entry;
    Links => payment_link;
    Orders => order;
    Payments => payment;
    Profiles => payment_profile;
    Refunds => refund;
    Sessions => payment_session;
    Subscriptions => subscription;
    /// A webhook delivery's tries.
    WebhookAttempts => webhook_delivery_attempt;
    WebhookEndpoints => webhook_endpoint;
}
