//! The default bus: a broadcast channel inside one process. Enough for a single instance.

use futures_util::future::BoxFuture;
use tokio::sync::broadcast;

use super::{BusError, EventBus, SessionEvent};

/// Events fan out to every local listener; none leave the process.
pub struct InProcessBus {
    sender: broadcast::Sender<SessionEvent>,
}

impl InProcessBus {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(4096);
        InProcessBus { sender }
    }
}

impl Default for InProcessBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus for InProcessBus {
    fn publish<'a>(&'a self, event: &'a SessionEvent) -> BoxFuture<'a, Result<(), BusError>> {
        // No listener is not a failure: the event is in the outbox for anyone who asks.
        let _ = self.sender.send(event.clone());
        Box::pin(async { Ok(()) })
    }

    fn listen(&self) -> broadcast::Receiver<SessionEvent> {
        self.sender.subscribe()
    }

    fn state(&self) -> &'static str {
        "in-process"
    }
}
