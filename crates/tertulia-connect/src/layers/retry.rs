//! Retrying what may succeed later, never what could post twice.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use backon::{ExponentialBuilder, Retryable};
use tertulia_core::{Clock, Mention, Platform, SystemClock};

use super::describe_as_inner;
use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::types::{
    AccountMetrics, Capabilities, Capability, Limits, Operation, Page, PageRequest, PostMetrics,
    PostRef, PublishRequest, Published,
};

/// When and how long to retry. Implement it to retry your own way; the
/// [`DefaultRetry`] is documented below.
pub trait RetryPolicy: Send + Sync + Debug {
    /// The waits between attempts, before the platform's own asks.
    fn backoff(&self) -> ExponentialBuilder;

    /// How long one call may take in all, retries and waits included.
    fn deadline(&self) -> Duration;

    /// Whether to try `op` again after `error`. `idempotent_publish` says
    /// whether the connector publishes once per key.
    fn should_retry(&self, op: Operation, error: &Error, idempotent_publish: bool) -> bool {
        error.is_retryable() && (op != Operation::Publish || idempotent_publish)
    }
}

/// The default: up to 5 retries, waits doubling from 500 ms to 30 s with
/// jitter, 2 minutes in all; every error [`Error::is_retryable`] calls
/// retryable, except that a publish is retried only by a connector that
/// publishes once per key ([`Capability::IdempotentPublish`]): a retried
/// publish elsewhere could post twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRetry {
    /// The first wait.
    pub min_delay: Duration,
    /// The longest backoff wait (a platform's reset may ask for longer).
    pub max_delay: Duration,
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// The whole call's budget.
    pub deadline: Duration,
}

impl Default for DefaultRetry {
    fn default() -> Self {
        DefaultRetry {
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retries: 5,
            deadline: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy for DefaultRetry {
    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_jitter()
    }

    fn deadline(&self) -> Duration {
        self.deadline
    }
}

/// Retries a connector's calls under a [`RetryPolicy`]. Each wait is the
/// longer of the backoff and what the platform asked for (`Retry-After`,
/// the time to its reset); a wait that would pass the deadline ends the
/// call with the last error instead.
///
/// A delete retried after an answer that never came may find the post
/// gone: that is the first attempt's success, and reads as one.
#[derive(Debug, Clone)]
pub struct Retry<C> {
    inner: C,
    policy: Arc<dyn RetryPolicy>,
    clock: Arc<dyn Clock>,
}

impl<C: Connector> Retry<C> {
    /// `inner` under the [`DefaultRetry`].
    pub fn new(inner: C) -> Self {
        Self::with_policy(inner, DefaultRetry::default())
    }

    /// `inner` under `policy`.
    pub fn with_policy(inner: C, policy: impl RetryPolicy + 'static) -> Self {
        Retry {
            inner,
            policy: Arc::new(policy),
            clock: Arc::new(SystemClock),
        }
    }

    /// The same, reading reset times against `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The connector inside.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    async fn run<T, F, Fut>(&self, op: Operation, call: F) -> Result<T>
    where
        F: FnMut() -> Fut + Send,
        Fut: Future<Output = Result<T>> + Send,
    {
        let idempotent = self.inner.capabilities().has(Capability::IdempotentPublish);
        let started = tokio::time::Instant::now();
        let deadline = self.policy.deadline();
        call.retry(self.policy.backoff())
            .sleep(tokio::time::sleep)
            .when(|e| self.policy.should_retry(op, e, idempotent))
            .adjust(|e, backoff| {
                let wait = backoff?.max(e.retry_after(self.clock.now()).unwrap_or_default());
                (started.elapsed() + wait <= deadline).then_some(wait)
            })
            .await
    }
}

#[async_trait]
impl<C: Connector> Connector for Retry<C> {
    describe_as_inner!();
    async fn publish(&self, r: &PublishRequest) -> Result<Published> {
        // Invalid input never reaches the platform, however often asked.
        self.inner.validate(r)?;
        self.run(Operation::Publish, || self.inner.publish(r)).await
    }
    async fn delete(&self, p: &PostRef) -> Result<()> {
        let mut tries = 0;
        self.run(Operation::Delete, || {
            tries += 1;
            let again = tries > 1;
            async move {
                match self.inner.delete(p).await {
                    Err(Error::NotFound { .. }) if again => Ok(()),
                    other => other,
                }
            }
        })
        .await
    }
    async fn mentions(&self, p: &PageRequest) -> Result<Page<Mention>> {
        self.run(Operation::Mentions, || self.inner.mentions(p))
            .await
    }
    async fn replies(&self, post: &PostRef, p: &PageRequest) -> Result<Page<Mention>> {
        self.run(Operation::Replies, || self.inner.replies(post, p))
            .await
    }
    async fn post_metrics(&self, p: &PostRef) -> Result<PostMetrics> {
        self.run(Operation::PostMetrics, || self.inner.post_metrics(p))
            .await
    }
    async fn account_metrics(&self) -> Result<AccountMetrics> {
        self.run(Operation::AccountMetrics, || self.inner.account_metrics())
            .await
    }
    async fn hide_reply(&self, r: &PostRef, h: bool) -> Result<()> {
        self.run(Operation::HideReply, || self.inner.hide_reply(r, h))
            .await
    }
    async fn find_published(&self, r: &PublishRequest) -> Result<Vec<PostRef>> {
        self.run(Operation::FindPublished, || self.inner.find_published(r))
            .await
    }
}
