//! The default bus: events go straight to this process's hub. Enough for one instance.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::{BusError, EventBus, Hub, Notice, SessionEvent};

pub struct InProcessBus {
    hub: Arc<Hub>,
}

impl InProcessBus {
    pub fn new(hub: Arc<Hub>) -> Self {
        InProcessBus { hub }
    }
}

impl EventBus for InProcessBus {
    fn publish<'a>(&'a self, event: &'a SessionEvent) -> BoxFuture<'a, Result<(), BusError>> {
        self.hub.dispatch(event.clone());
        Box::pin(async { Ok(()) })
    }

    fn notify<'a>(&'a self, notice: Notice) -> BoxFuture<'a, Result<(), BusError>> {
        self.hub.dispatch_notice(notice);
        Box::pin(async { Ok(()) })
    }

    fn state(&self) -> &'static str {
        "in-process"
    }
}
