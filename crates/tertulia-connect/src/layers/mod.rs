//! Layers: connectors that wrap a connector and add one thing to every
//! call. Any connector gets them, and they stack:
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! use std::num::NonZeroU32;
//! use tertulia_connect::layers::{ConcurrencyLimit, RateLimit, Recording, Retry};
//! use tertulia_connect::{ConnectorExt, IdempotencyKey, MemoryConnector};
//!
//! let platform = MemoryConnector::new();
//! let quota = governor::Quota::per_minute(NonZeroU32::new(30).unwrap());
//! let connector = Retry::new(RateLimit::new(ConcurrencyLimit::new(Recording::new(platform), 4)?, quota));
//! connector.publish_text(IdempotencyKey::new("k1")?, "hello").await?;
//! # Ok::<(), tertulia_connect::Error>(()) }).unwrap();
//! ```

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use governor::clock::{Clock as _, ReasonablyRealtime};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use serde::{Deserialize, Serialize};
use tertulia_core::{Clock, Mention, Platform, SystemClock};
use tokio::sync::Semaphore;

use crate::connector::Connector;
use crate::error::{Error, Result};
use crate::types::{
    AccountMetrics, Capabilities, Capability, Limits, Operation, Page, PageRequest, PostMetrics,
    PostRef, PublishRequest, Published,
};

mod retry;

pub use retry::{DefaultRetry, Retry, RetryPolicy};

/// The four methods that say what a layer's connector is: what the inner
/// one says.
macro_rules! describe_as_inner {
    () => {
        fn platform(&self) -> Platform {
            self.inner.platform()
        }
        fn capabilities(&self) -> Capabilities {
            self.inner.capabilities()
        }
        fn limits(&self) -> Limits {
            self.inner.limits()
        }
        fn validate(&self, r: &PublishRequest) -> Result<()> {
            self.inner.validate(r)
        }
    };
}
pub(crate) use describe_as_inner;

/// What a wrapping layer does around each call of its connector.
#[async_trait]
trait Around: Send + Sync {
    /// Runs `call` (the inner connector's `op`, described by `describe`).
    async fn around<T: Send>(
        &self,
        op: Operation,
        describe: &(dyn Fn() -> String + Sync),
        call: BoxFuture<'_, Result<T>>,
    ) -> Result<T>;
}

/// The `Connector` of a layer that wraps each call with [`Around`].
macro_rules! around_connector {
    ($layer:ident) => {
        #[async_trait]
        impl<C: Connector> Connector for $layer<C> {
            describe_as_inner!();
            async fn publish(&self, r: &PublishRequest) -> Result<Published> {
                let d = || format!("{r:?}");
                self.around(Operation::Publish, &d, self.inner.publish(r))
                    .await
            }
            async fn delete(&self, p: &PostRef) -> Result<()> {
                let d = || format!("{p:?}");
                self.around(Operation::Delete, &d, self.inner.delete(p))
                    .await
            }
            async fn mentions(&self, p: &PageRequest) -> Result<Page<Mention>> {
                let d = || format!("{p:?}");
                self.around(Operation::Mentions, &d, self.inner.mentions(p))
                    .await
            }
            async fn replies(&self, post: &PostRef, p: &PageRequest) -> Result<Page<Mention>> {
                let d = || format!("{post:?} {p:?}");
                self.around(Operation::Replies, &d, self.inner.replies(post, p))
                    .await
            }
            async fn post_metrics(&self, p: &PostRef) -> Result<PostMetrics> {
                let d = || format!("{p:?}");
                self.around(Operation::PostMetrics, &d, self.inner.post_metrics(p))
                    .await
            }
            async fn account_metrics(&self) -> Result<AccountMetrics> {
                let d = String::new;
                self.around(Operation::AccountMetrics, &d, self.inner.account_metrics())
                    .await
            }
            async fn hide_reply(&self, r: &PostRef, h: bool) -> Result<()> {
                let d = || format!("{r:?} hidden={h}");
                self.around(Operation::HideReply, &d, self.inner.hide_reply(r, h))
                    .await
            }
            async fn find_published(&self, r: &PublishRequest) -> Result<Vec<PostRef>> {
                let d = || format!("{r:?}");
                self.around(Operation::FindPublished, &d, self.inner.find_published(r))
                    .await
            }
        }
    };
}

/// A clock for governor on tokio's time, so a paused test runtime moves
/// the rate limiter's time too.
#[derive(Debug, Clone)]
struct TokioClock(tokio::time::Instant);

impl governor::clock::Clock for TokioClock {
    type Instant = Nanos;
    fn now(&self) -> Nanos {
        Nanos::from(self.0.elapsed())
    }
}

impl ReasonablyRealtime for TokioClock {}

type Limiter = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Nanos>>;

/// Keeps calls within a quota (governor's GCRA), and when the platform
/// answers 429 anyway, holds every call back until the platform's reset:
/// clones share both, so every task using the connector waits together
/// instead of each hitting the limit in turn.
#[derive(Debug, Clone)]
pub struct RateLimit<C> {
    inner: C,
    limiter: Arc<Limiter>,
    clock: TokioClock,
    /// No call before this (tokio time), set by a 429.
    blocked_until: Arc<Mutex<Option<tokio::time::Instant>>>,
    wall: Arc<dyn Clock>,
}

impl<C: Connector> RateLimit<C> {
    /// `inner`, at most `quota`.
    pub fn new(inner: C, quota: Quota) -> Self {
        let clock = TokioClock(tokio::time::Instant::now());
        RateLimit {
            inner,
            limiter: Arc::new(RateLimiter::direct_with_clock(quota, clock.clone())),
            clock,
            blocked_until: Arc::default(),
            wall: Arc::new(SystemClock),
        }
    }

    /// The same, reading reset times against `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.wall = clock;
        self
    }

    fn blocked(&self) -> Option<tokio::time::Instant> {
        *self.blocked_until.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl<C: Connector> Around for RateLimit<C> {
    async fn around<T: Send>(
        &self,
        _: Operation,
        _: &(dyn Fn() -> String + Sync),
        call: BoxFuture<'_, Result<T>>,
    ) -> Result<T> {
        if let Some(until) = self.blocked() {
            tokio::time::sleep_until(until).await;
        }
        while let Err(not_until) = self.limiter.check() {
            tokio::time::sleep(not_until.wait_time_from(self.clock.now())).await;
        }
        let result = call.await;
        if let Err(e @ Error::RateLimited { .. }) = &result
            && let Some(wait) = e.retry_after(self.wall.now())
        {
            let until = tokio::time::Instant::now() + wait;
            let mut b = self.blocked_until.lock().unwrap_or_else(|p| p.into_inner());
            *b = Some(b.map_or(until, |u| u.max(until)));
        }
        result
    }
}

around_connector!(RateLimit);

/// At most `n` calls at once.
#[derive(Debug, Clone)]
pub struct ConcurrencyLimit<C> {
    inner: C,
    permits: Arc<Semaphore>,
}

impl<C: Connector> ConcurrencyLimit<C> {
    /// `inner`, at most `n` (1 or more) calls at once.
    pub fn new(inner: C, n: usize) -> Result<Self> {
        if n == 0 {
            return Err(Error::Validation {
                field: "concurrency".into(),
                message: "must be 1 or more: with 0 no call would ever run".into(),
            });
        }
        Ok(ConcurrencyLimit {
            inner,
            permits: Arc::new(Semaphore::new(n)),
        })
    }
}

#[async_trait]
impl<C: Connector> Around for ConcurrencyLimit<C> {
    async fn around<T: Send>(
        &self,
        _: Operation,
        _: &(dyn Fn() -> String + Sync),
        call: BoxFuture<'_, Result<T>>,
    ) -> Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the semaphore is never closed");
        call.await
    }
}

around_connector!(ConcurrencyLimit);

/// One call a [`Recording`] saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// When it started.
    pub at: DateTime<Utc>,
    /// Which call.
    pub operation: String,
    /// What it was asked (media as their sizes).
    pub request: String,
    /// Its error, if it failed.
    pub error: Option<String>,
}

/// Keeps every call it passes on, with its outcome, for tests and audits.
/// Clones share the records.
#[derive(Debug, Clone)]
pub struct Recording<C> {
    inner: C,
    records: Arc<Mutex<Vec<Record>>>,
    clock: Arc<dyn Clock>,
}

impl<C: Connector> Recording<C> {
    /// `inner`, recorded.
    pub fn new(inner: C) -> Self {
        Recording {
            inner,
            records: Arc::default(),
            clock: Arc::new(SystemClock),
        }
    }

    /// The same, stamping records with `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The calls so far, in order.
    pub fn records(&self) -> Vec<Record> {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[async_trait]
impl<C: Connector> Around for Recording<C> {
    async fn around<T: Send>(
        &self,
        op: Operation,
        describe: &(dyn Fn() -> String + Sync),
        call: BoxFuture<'_, Result<T>>,
    ) -> Result<T> {
        let at = self.clock.now();
        let result = call.await;
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Record {
                at,
                operation: format!("{op:?}"),
                request: describe(),
                error: result.as_ref().err().map(ToString::to_string),
            });
        result
    }
}

around_connector!(Recording);

/// Validates and publishes nothing: a publish answers with made-up posts
/// (`dry-run:<key>:<part>`), a delete or hide does nothing. Reading goes
/// through to the platform, so a plan can be tried against real data.
#[derive(Debug, Clone)]
pub struct DryRun<C> {
    inner: C,
}

impl<C: Connector> DryRun<C> {
    /// `inner`, writing nothing.
    pub fn new(inner: C) -> Self {
        DryRun { inner }
    }
}

#[async_trait]
impl<C: Connector> Connector for DryRun<C> {
    describe_as_inner!();
    async fn publish(&self, r: &PublishRequest) -> Result<Published> {
        self.inner.validate(r)?;
        Ok(Published {
            posts: (0..r.parts.len())
                .map(|i| PostRef::new(format!("dry-run:{}:{i}", r.idempotency_key.as_str())))
                .collect(),
            repeated: false,
        })
    }
    async fn delete(&self, _: &PostRef) -> Result<()> {
        self.inner.capabilities().require(Capability::Delete)
    }
    async fn mentions(&self, p: &PageRequest) -> Result<Page<Mention>> {
        self.inner.mentions(p).await
    }
    async fn replies(&self, post: &PostRef, p: &PageRequest) -> Result<Page<Mention>> {
        self.inner.replies(post, p).await
    }
    async fn post_metrics(&self, p: &PostRef) -> Result<PostMetrics> {
        self.inner.post_metrics(p).await
    }
    async fn account_metrics(&self) -> Result<AccountMetrics> {
        self.inner.account_metrics().await
    }
    async fn hide_reply(&self, _: &PostRef, _: bool) -> Result<()> {
        self.inner.capabilities().require(Capability::HideReply)
    }
    async fn find_published(&self, r: &PublishRequest) -> Result<Vec<PostRef>> {
        self.inner.find_published(r).await
    }
}
