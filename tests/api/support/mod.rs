//! What the API tests share: the app under test (`app`, re-exported here), clients for the
//! socket (`ws`), paying (`payments`), a webhook receiver (`receiver`), processors and
//! proxies that fail on purpose (`faulty`, `fault_proxy`) and the Stripe fake (`stripe_fake`).

pub mod app;
pub mod fault_proxy;
pub mod faulty;
pub mod payments;
pub mod receiver;
pub mod stripe_fake;
pub mod ws;

pub use app::*;
