//! What the API tests share: the app under test (`app`), its database and clock
//! (`database`), the services and processes tests need (`services`), reading answers
//! (`answers`), all four re-exported here; clients for the
//! socket (`ws`), paying (`payments`), a webhook receiver (`receiver`), processors and
//! proxies that fail on purpose (`faulty`, `fault_proxy`) and the Stripe fake (`stripe_fake`).

pub mod answers;
pub mod app;
pub mod database;
pub mod fault_proxy;
pub mod faulty;
pub mod payments;
pub mod receiver;
pub mod services;
pub mod stripe_fake;
pub mod ws;

pub use answers::*;
pub use app::*;
pub use database::*;
pub use services::*;
