#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! paygraph's API tests: the real server on a loopback port, spoken to over HTTP.
//! One binary, one module per capability.

mod access;
mod balances;
mod bank_and_wallet;
mod browser;
mod capture_faults;
mod captures;
mod cli;
mod compression;
mod confirm;
mod cors;
mod dashboard;
mod dataloader;
mod faulty;
mod fraud;
mod helpers;
mod hosted;
mod http_spec;
mod idempotency;
mod introspection;
mod keys;
mod live;
mod live_redis;
mod live_sharing;
mod one_door;
mod pagination;
mod paid_once;
mod persisted;
mod production;
mod profiles;
mod receiver;
mod reconcile;
mod refund_faults;
mod refunds;
mod renewals;
mod schema;
mod scope;
mod sessions;
mod socket_limits;
mod stats;
mod throttle;
mod transport;
mod validation_cache;
mod vault;
mod webhook_deliveries;
mod webhook_fairness;
mod webhook_proxy;
mod webhook_pruning;
mod webhook_restart;
mod webhook_settling;
mod webhooks;
mod wire_bytes;
mod write_contention;
mod ws;
