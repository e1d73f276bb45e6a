//! **Worker**: the long-running part of tertulia. It publishes what the
//! store's calendar says is due, at its time and exactly once, and reads
//! back the metrics of what it published.
//!
//! The worker holds no state of its own: everything it knows is in the
//! [`Store`], so any number of workers (one per machine, on PostgreSQL) can
//! run the same queue, and a worker that is killed loses nothing. Each pass
//! ([`Worker::run_once`]):
//!
//! 1. marks as *missed* what was due more than the grace period ago while no
//!    worker ran ([`Options::grace`]), for a person to decide;
//! 2. turns recurring series into dated posts a horizon ahead;
//! 3. claims due targets under a lease, publishes each through its
//!    channel's connector with the target's idempotency key, and records the
//!    outcome (a target whose holder's lease ran out is taken over: sent
//!    again under the same key where the connector is idempotent, otherwise
//!    looked for on the account first, never sent blindly);
//! 4. reads the metrics of published posts at the ages asked
//!    ([`Options::metric_ages`]).
//!
//! Time comes from an injected [`Clock`], so a test steps through days
//! without sleeping.
//!
//! ```
//! # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use tertulia_connect::MemoryConnector;
//! use tertulia_core::ManualClock;
//! use tertulia_store::{Channel, Content, NewPost, PostState, Store};
//! use tertulia_worker::{Connectors, Options, Worker};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open(dir.path().join("tertulia.db").to_str().unwrap()).await?;
//! store.add_channel(&Channel {
//!     name: "brand-bsky".into(), platform: tertulia_core::Platform::Bluesky,
//!     account: "brand.example".into(), zone: chrono_tz::Europe::Madrid, constraints: Default::default(),
//! }).await?;
//! let monday = Utc.with_ymd_and_hms(2027, 3, 1, 8, 0, 0).unwrap();
//! let id = store.add_post(&NewPost {
//!     content: Content::text("Glow Serum is here ✨"), channels: vec!["brand-bsky".into()],
//!     at: Some(monday), zone: chrono_tz::Europe::Madrid, approver: None, by: "ana".into(),
//! }).await?;
//!
//! let platform = MemoryConnector::new();
//! let clock = Arc::new(ManualClock::new(monday - TimeDelta::hours(1)));
//! let mut connectors = Connectors::new();
//! connectors.insert("brand-bsky", Arc::new(platform.clone()));
//! let worker = Worker::new(store.clone(), connectors, clock.clone(), Options::new("worker:1")).unwrap();
//!
//! worker.run_once().await.unwrap();
//! assert!(platform.posts().is_empty(), "not yet");
//! clock.set(monday);
//! worker.run_once().await.unwrap();
//! assert_eq!(platform.posts().len(), 1);
//! assert_eq!(store.post(id).await?.state(), PostState::Published);
//! # Ok::<(), tertulia_store::Error>(()) }).unwrap();
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::TimeDelta;
use futures_util::{FutureExt, StreamExt};
use tertulia_connect::{Capability, Connector, Error as ConnectError, Published};
use tertulia_core::Clock;
use tertulia_store::{Claim, ClaimKind, DueSnapshot, Event, Outcome, Store, TargetState};
use tokio::sync::Notify;

/// What can stop the worker.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store failed, and waiting did not help.
    #[error(transparent)]
    Store(#[from] tertulia_store::Error),
    /// A setting is out of range.
    #[error("{field}: {value} is not allowed: {expected}")]
    Setting {
        /// Which.
        field: &'static str,
        /// What was given.
        value: String,
        /// What is.
        expected: &'static str,
    },
}

/// The result type of the worker.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How a worker runs. [`Options::new`] gives the defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Its name in the audit trail and in leases: unique among the workers
    /// of a store (`worker:HOST:PID` by default in the command).
    pub id: String,
    /// How long a claim holds before another worker may take it over.
    /// Longer than the slowest publish; default 5 minutes.
    pub lease: TimeDelta,
    /// Targets claimed at a time; default 32.
    pub batch: u32,
    /// Publishes under way at once; default 8.
    pub concurrency: usize,
    /// A post found later than this after its time, because no worker ran,
    /// is marked missed for a person instead of going out late; default 1
    /// hour.
    pub grace: TimeDelta,
    /// Sends tried before a target fails; default 5. A rate limit never
    /// uses them up: a target the platform asks to wait for waits until the
    /// window reopens, however many tries that takes.
    pub max_attempts: u32,
    /// How long to wait before reading the account after an unknown
    /// outcome; default 1 minute.
    pub check_after: TimeDelta,
    /// How long a platform remembers an idempotency key (Mastodon: an
    /// hour). A target first sent longer ago than this is looked for on
    /// the account before it is sent again; default 55 minutes.
    pub idempotency_window: TimeDelta,
    /// The ages a published post's metrics are read at; default 1 hour, 24
    /// hours, 7 days.
    pub metric_ages: Vec<TimeDelta>,
    /// How far ahead recurring series become posts; default 7 days.
    pub horizon: TimeDelta,
    /// The pause between passes in [`Worker::run`]; default 5 seconds.
    pub tick: Duration,
    /// For fault tests: a pause after the platform answers and before the
    /// outcome is recorded, which widens the window a crash can fall in;
    /// default none.
    pub pause_after_publish: Duration,
}

impl Options {
    /// The defaults, for the worker named `id`.
    pub fn new(id: impl Into<String>) -> Options {
        Options {
            id: id.into(),
            lease: TimeDelta::minutes(5),
            batch: 32,
            concurrency: 8,
            grace: TimeDelta::hours(1),
            max_attempts: 5,
            check_after: TimeDelta::minutes(1),
            idempotency_window: TimeDelta::minutes(55),
            metric_ages: vec![
                TimeDelta::hours(1),
                TimeDelta::hours(24),
                TimeDelta::days(7),
            ],
            horizon: TimeDelta::days(7),
            tick: Duration::from_secs(5),
            pause_after_publish: Duration::ZERO,
        }
    }

    fn check(&self) -> Result<()> {
        let bad = |field, value: String, expected| {
            Err(Error::Setting {
                field,
                value,
                expected,
            })
        };
        if self.id.trim().is_empty() {
            return bad("id", format!("{:?}", self.id), "give the worker a name");
        }
        if self.lease < TimeDelta::seconds(1) {
            return bad(
                "lease",
                format!("{} s", self.lease.num_seconds()),
                "at least 1 second",
            );
        }
        if self.batch == 0 || self.concurrency == 0 {
            return bad(
                "batch and concurrency",
                format!("{} and {}", self.batch, self.concurrency),
                "at least 1 each",
            );
        }
        if self.max_attempts == 0 {
            return bad("max_attempts", "0".into(), "at least 1");
        }
        if self.grace < TimeDelta::zero() || self.check_after < TimeDelta::zero() {
            return bad(
                "grace and check_after",
                "a negative duration".into(),
                "zero or more",
            );
        }
        if self.metric_ages.iter().any(|a| *a <= TimeDelta::zero()) {
            return bad(
                "metric_ages",
                format!("{:?}", self.metric_ages),
                "each age after publishing",
            );
        }
        Ok(())
    }
}

/// The connector of each channel, by channel name.
#[derive(Debug, Clone, Default)]
pub struct Connectors(BTreeMap<String, Arc<dyn Connector>>);

impl Connectors {
    /// None yet.
    pub fn new() -> Connectors {
        Connectors::default()
    }

    /// Publishes `channel`'s posts through `connector` (with whatever
    /// layers the caller put around it).
    pub fn insert(&mut self, channel: impl Into<String>, connector: Arc<dyn Connector>) {
        self.0.insert(channel.into(), connector);
    }

    /// The connector of `channel`.
    pub fn get(&self, channel: &str) -> Option<&Arc<dyn Connector>> {
        self.0.get(channel)
    }
}

/// Asks a running worker to stop: it finishes the publishes under way,
/// gives back what it claimed and did not start, and returns.
#[derive(Debug, Clone, Default)]
pub struct Stopper {
    stopped: Arc<AtomicBool>,
    notify: Arc<Notify>,
}

impl Stopper {
    /// Asks it to stop.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Whether it was asked.
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    async fn wait(&self, d: Duration) {
        let notified = self.notify.notified();
        if self.is_stopped() {
            return;
        }
        tokio::select! {
            _ = notified => {}
            _ = tokio::time::sleep(d) => {}
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pass {
    /// Every change it made, in order: one log line each.
    pub events: Vec<Event>,
    /// Targets published (found on the account included).
    pub published: usize,
    /// Targets that failed, or whose outcome is unknown.
    pub failed: usize,
    /// Targets to try again later.
    pub retrying: usize,
    /// Claims given back unsent because the worker is stopping.
    pub released: usize,
    /// Posts made from recurring series.
    pub series_posts: usize,
    /// Metric snapshots read (or found unreadable).
    pub snapshots: usize,
}

/// The worker: a store, a connector per channel, a clock and options.
#[derive(Debug, Clone)]
pub struct Worker {
    store: Store,
    connectors: Connectors,
    clock: Arc<dyn Clock>,
    options: Options,
    stopper: Stopper,
}

impl Worker {
    /// A worker; refuses options out of range.
    pub fn new(
        store: Store,
        connectors: Connectors,
        clock: Arc<dyn Clock>,
        options: Options,
    ) -> Result<Worker> {
        options.check()?;
        Ok(Worker {
            store,
            connectors,
            clock,
            options,
            stopper: Stopper::default(),
        })
    }

    /// What stops it.
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Its options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// One pass: missed posts, series, everything due now, metrics due now.
    pub async fn run_once(&self) -> Result<Pass> {
        let mut pass = Pass::default();
        let now = self.clock.now();
        pass.events.extend(
            self.store
                .mark_missed(&self.options.id, now, self.options.grace)
                .await?,
        );
        pass.series_posts = self.store.expand_series(now, self.options.horizon).await?;
        while !self.stopper.is_stopped() {
            let now = self.clock.now();
            let claims = self
                .store
                .claim(
                    &self.options.id,
                    now,
                    self.options.lease,
                    self.options.batch,
                )
                .await?;
            if claims.is_empty() {
                break;
            }
            let mut results = futures_util::stream::iter(claims)
                .map(|claim| self.handle(claim))
                .buffer_unordered(self.options.concurrency);
            // Answers that came in together are recorded in one transaction.
            while let Some(first) = results.next().await {
                let mut ready = vec![first?];
                while let Some(Some(more)) = results.next().now_or_never() {
                    ready.push(more?);
                }
                pass.events
                    .extend(ready.iter().map(|(c, _)| c.event.clone()));
                let answered: Vec<(&Claim, &Outcome)> = ready
                    .iter()
                    .filter_map(|(c, o)| o.as_ref().map(|o| (c, o)))
                    .collect();
                pass.released += ready.len() - answered.len();
                let now = self.clock.now();
                let recorded = self
                    .patiently(|| {
                        self.store.record_many(
                            &self.options.id,
                            &answered,
                            now,
                            &self.options.metric_ages,
                        )
                    })
                    .await?;
                for r in recorded {
                    match r.state {
                        Some(TargetState::Published) => pass.published += 1,
                        Some(TargetState::Scheduled) => pass.retrying += 1,
                        Some(_) => pass.failed += 1,
                        None => {}
                    }
                    pass.events.extend(r.event);
                }
            }
        }
        if !self.stopper.is_stopped() {
            pass.snapshots = self.snapshots().await?;
        }
        Ok(pass)
    }

    /// Passes until stopped, `on_event` called for every change. A store
    /// that is down or locked is waited for (`on_wait` is told why), and the
    /// worker goes on where it was: nothing is lost, since what it held
    /// comes back to it, or to another worker, when its lease ends.
    pub async fn run(
        &self,
        mut on_event: impl FnMut(&Event),
        mut on_wait: impl FnMut(&tertulia_store::Error),
    ) -> Result<()> {
        let mut wait = self.options.tick;
        while !self.stopper.is_stopped() {
            match self.run_once().await {
                Ok(pass) => {
                    pass.events.iter().for_each(&mut on_event);
                    wait = self.options.tick;
                }
                Err(Error::Store(e)) if e.is_transient() => {
                    on_wait(&e);
                    wait = (wait * 2).min(Duration::from_secs(60));
                }
                Err(e) => return Err(e),
            }
            self.stopper.wait(wait).await;
        }
        Ok(())
    }

    /// Sends one claim: its outcome, or `None` when the worker is stopping
    /// and gave it back unsent.
    async fn handle(&self, claim: Claim) -> Result<(Claim, Option<Outcome>)> {
        if self.stopper.is_stopped() {
            let now = self.clock.now();
            self.store.release(&self.options.id, &claim, now).await?;
            return Ok((claim, None));
        }
        let outcome = self.attempt(&claim).await;
        if !self.options.pause_after_publish.is_zero() {
            tokio::time::sleep(self.options.pause_after_publish).await;
        }
        Ok((claim, Some(outcome)))
    }

    /// Runs a store call again while the store is briefly unavailable, so
    /// an outcome the platform gave is not dropped: up to about a minute.
    async fn patiently<T, F, Fut>(&self, mut call: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = tertulia_store::Result<T>>,
    {
        let mut wait = Duration::from_millis(100);
        for _ in 0..10 {
            match call().await {
                Err(e) if e.is_transient() => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(10));
                }
                other => return Ok(other?),
            }
        }
        Ok(call().await?)
    }

    /// Sends a claim, or looks for it on the account first, and says what
    /// came of it.
    async fn attempt(&self, claim: &Claim) -> Outcome {
        let Some(connector) = self.connectors.get(&claim.channel.name) else {
            return Outcome::Failed {
                error: format!(
                    "no connector for channel {}: give the worker its credentials",
                    claim.channel.name
                ),
                retry_safe: true,
            };
        };
        let now = self.clock.now();
        let caps = connector.capabilities();
        let idempotent = caps.has(Capability::IdempotentPublish)
            && now - claim.first_sent_at < self.options.idempotency_window;
        let send = match claim.kind {
            ClaimKind::Due => true,
            ClaimKind::TakenOver { .. } => idempotent,
            _ => false,
        };
        if !send {
            if !caps.has(Capability::FindPublished) {
                return Outcome::Unknown {
                    error:
                        "it may have been sent, and this connector cannot read the account to tell"
                            .into(),
                    check_at: None,
                };
            }
            let parts = claim.request.parts.len();
            match connector.find_published(&claim.request).await {
                Ok(found) if found.len() == parts => {
                    return Outcome::Published(Published {
                        posts: found,
                        repeated: true,
                    });
                }
                // Not there: sending it is safe.
                Ok(found) if found.is_empty() => {}
                Ok(found) => {
                    return Outcome::Unknown {
                        error: format!(
                            "{} of its {parts} parts are on the account; the rest did not go out",
                            found.len()
                        ),
                        check_at: None,
                    };
                }
                Err(e) if e.is_retryable() => {
                    return Outcome::Unknown {
                        error: format!("the account could not be read: {e}"),
                        check_at: Some(now + self.options.check_after),
                    };
                }
                Err(e) => {
                    return Outcome::Unknown {
                        error: format!("the account could not be read: {e}"),
                        check_at: None,
                    };
                }
            }
        }
        match connector.publish(&claim.request).await {
            Ok(published) => Outcome::Published(published),
            Err(e) => self.failure(claim, &e, idempotent, caps.has(Capability::FindPublished)),
        }
    }

    fn failure(
        &self,
        claim: &Claim,
        e: &ConnectError,
        idempotent: bool,
        can_find: bool,
    ) -> Outcome {
        let now = self.clock.now();
        // Whether the platform may have made the post: no answer, a server
        // failure, an answer that could not be read, part of a thread. A
        // refusal (4xx) or a rate limit made nothing.
        let reached = match e {
            ConnectError::Transport { .. }
            | ConnectError::PartialPublish { .. }
            | ConnectError::Decode { .. } => true,
            ConnectError::Upstream { status, .. } => status.is_none_or(|s| s >= 500),
            _ => false,
        };
        if reached && !idempotent {
            return Outcome::Unknown {
                error: e.to_string(),
                check_at: can_find.then_some(now + self.options.check_after),
            };
        }
        if !e.is_retryable() {
            return Outcome::Failed {
                error: e.to_string(),
                retry_safe: !matches!(e, ConnectError::PartialPublish { .. }) || idempotent,
            };
        }
        // A rate limit says nothing about the post, only "later": it waits
        // for the window however many tries that takes (a crash-looping
        // worker's unfinished claims count as tries, too).
        let limited = match e {
            ConnectError::PartialPublish { source, .. } => {
                matches!(**source, ConnectError::RateLimited { .. })
            }
            e => matches!(e, ConnectError::RateLimited { .. }),
        };
        if claim.attempts >= self.options.max_attempts && !limited {
            return Outcome::Failed {
                error: format!("gave up after {} tries: {e}", claim.attempts),
                retry_safe: true,
            };
        }
        // 30 s, 1 min, 2 min, ... at most 30 min; longer if the platform
        // asked for longer; a rate limit, just what the platform asked.
        let backoff = TimeDelta::seconds(30_i64 << (claim.attempts.max(1) - 1).min(6));
        let asked = e
            .retry_after(now)
            .and_then(|d| TimeDelta::from_std(d).ok())
            .unwrap_or_default();
        let wait = if limited && asked > TimeDelta::zero() {
            asked
        } else {
            backoff.min(TimeDelta::minutes(30)).max(asked)
        };
        Outcome::RetryAt {
            at: now + wait,
            error: e.to_string(),
        }
    }

    /// Reads the metrics due; the number read or found unreadable.
    async fn snapshots(&self) -> Result<usize> {
        let now = self.clock.now();
        let due = self.store.due_snapshots(now, 256).await?;
        let mut done = 0;
        for d in &due {
            if let Some(reading) = self.read(d).await {
                self.store
                    .record_snapshot(d, self.clock.now(), reading)
                    .await?;
                done += 1;
            }
        }
        Ok(done)
    }

    /// A post's metrics, or why they cannot be had; `None` to try again
    /// next pass.
    async fn read(
        &self,
        due: &DueSnapshot,
    ) -> Option<std::result::Result<tertulia_core::Metrics, String>> {
        let connector = self.connectors.get(&due.channel.name)?;
        match connector.post_metrics(&due.post).await {
            Ok(m) => Some(Ok(m)),
            Err(e) if e.is_retryable() => None,
            Err(ConnectError::Unsupported { .. }) => Some(Err(format!(
                "{} does not report a post's metrics to this connector",
                due.channel.platform
            ))),
            Err(e) => Some(Err(e.to_string())),
        }
    }
}
