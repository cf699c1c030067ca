//! A processor with every call timed into `paygraph_processor_call_duration_seconds`, by
//! processor, call and outcome: the operator sees a slow or failing acquirer before the
//! customers do. Each call also runs in a span of its own, so a request's trace reaches the
//! processor call it caused.

use std::sync::Arc;
use std::time::Instant;

use futures_util::future::BoxFuture;
use tracing::Instrument;

use super::{
    CardDetails, ChargeOutcome, ChargeRequest, DisputeReport, Processor, ProcessorError, RefundOutcome, RefundRequest,
    Verified, WalletCard,
};
use crate::domain::Money;
use crate::domain::capture::HoldOutcome;
use crate::domain::card::Wallet;
use crate::domain::dispute::DisputeEvidence;
use crate::telemetry::{CallOutcome, Metrics};

pub struct Timed {
    inner: Arc<dyn Processor>,
    /// `test` or `stripe`.
    name: &'static str,
    metrics: Arc<Metrics>,
}

impl Timed {
    pub fn wrap(inner: Arc<dyn Processor>, name: &'static str, metrics: Arc<Metrics>) -> Arc<dyn Processor> {
        Arc::new(Timed { inner, name, metrics })
    }

    /// Runs `work` as the call `call`, judged by `outcome`.
    fn time<'a, T: Send + 'a>(
        &'a self,
        call: &'static str,
        work: BoxFuture<'a, Result<T, ProcessorError>>,
        outcome: fn(&T) -> CallOutcome,
    ) -> BoxFuture<'a, Result<T, ProcessorError>> {
        // Within a request's trace only: the background passes ask the processor every
        // second, and a trace each would drown the ones an operator looks for.
        let span = if tracing::Span::current().is_none() {
            tracing::Span::none()
        } else {
            tracing::info_span!("processor call", processor = self.name, call)
        };
        Box::pin(
            async move {
                let started = Instant::now();
                let result = work.await;
                let judged = result.as_ref().map_or(CallOutcome::Error, outcome);
                self.metrics.time_processor_call(self.name, call, judged, started.elapsed());
                result
            }
            .instrument(span),
        )
    }
}

fn ok<T>(_: &T) -> CallOutcome {
    CallOutcome::Ok
}

fn charged(outcome: &ChargeOutcome) -> CallOutcome {
    match outcome {
        ChargeOutcome::Declined(_) => CallOutcome::Declined,
        _ => CallOutcome::Ok,
    }
}

fn found_charge(outcome: &Option<ChargeOutcome>) -> CallOutcome {
    outcome.as_ref().map_or(CallOutcome::Ok, charged)
}

fn refunded(outcome: &RefundOutcome) -> CallOutcome {
    match outcome {
        RefundOutcome::Failed(_) => CallOutcome::Declined,
        _ => CallOutcome::Ok,
    }
}

impl Processor for Timed {
    fn tokenize<'a>(&'a self, card: CardDetails<'a>) -> BoxFuture<'a, Result<String, ProcessorError>> {
        self.time("tokenize", self.inner.tokenize(card), ok)
    }

    fn tokenize_wallet<'a>(
        &'a self,
        wallet: Wallet,
        payment_token: &'a str,
    ) -> BoxFuture<'a, Result<Option<WalletCard>, ProcessorError>> {
        self.time("tokenize_wallet", self.inner.tokenize_wallet(wallet, payment_token), ok)
    }

    fn verify<'a>(
        &'a self,
        processor_token: &'a str,
        authenticated: bool,
    ) -> BoxFuture<'a, Result<Verified, ProcessorError>> {
        self.time("verify", self.inner.verify(processor_token, authenticated), ok)
    }

    fn supports(&self, method: crate::domain::PaymentMethodType) -> bool {
        self.inner.supports(method)
    }

    fn charge<'a>(
        &'a self,
        request: ChargeRequest<'a>,
        authenticated: bool,
    ) -> BoxFuture<'a, Result<ChargeOutcome, ProcessorError>> {
        self.time("charge", self.inner.charge(request, authenticated), charged)
    }

    fn charge_outcome<'a>(
        &'a self,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<ChargeOutcome>, ProcessorError>> {
        self.time("charge_outcome", self.inner.charge_outcome(idempotency_key), found_charge)
    }

    fn refund<'a>(&'a self, request: RefundRequest<'a>) -> BoxFuture<'a, Result<RefundOutcome, ProcessorError>> {
        self.time("refund", self.inner.refund(request), refunded)
    }

    fn refund_outcome<'a>(
        &'a self,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<RefundOutcome>, ProcessorError>> {
        self.time("refund_outcome", self.inner.refund_outcome(idempotency_key), |o| {
            o.as_ref().map_or(CallOutcome::Ok, refunded)
        })
    }

    fn capture<'a>(&'a self, charge_key: &'a str, amount: Money) -> BoxFuture<'a, Result<HoldOutcome, ProcessorError>> {
        self.time("capture", self.inner.capture(charge_key, amount), ok)
    }

    fn void<'a>(&'a self, charge_key: &'a str) -> BoxFuture<'a, Result<HoldOutcome, ProcessorError>> {
        self.time("void", self.inner.void(charge_key), ok)
    }

    fn dispute_news(&self) -> BoxFuture<'_, Result<Vec<DisputeReport>, ProcessorError>> {
        self.time("dispute_news", self.inner.dispute_news(), ok)
    }

    fn disputes_seen<'a>(&'a self, reports: &'a [DisputeReport]) -> BoxFuture<'a, Result<(), ProcessorError>> {
        self.time("disputes_seen", self.inner.disputes_seen(reports), ok)
    }

    fn submit_dispute<'a>(
        &'a self,
        reference: &'a str,
        evidence: &'a DisputeEvidence,
    ) -> BoxFuture<'a, Result<(), ProcessorError>> {
        self.time("submit_dispute", self.inner.submit_dispute(reference, evidence), ok)
    }

    fn accept_dispute<'a>(&'a self, reference: &'a str) -> BoxFuture<'a, Result<(), ProcessorError>> {
        self.time("accept_dispute", self.inner.accept_dispute(reference), ok)
    }
}
