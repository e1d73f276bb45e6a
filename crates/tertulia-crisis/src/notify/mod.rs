//! Telling people: notifiers, and an outbox that loses no alert.
//!
//! The [`Desk`](crate::incident::Desk) hands out [`Notification`]s. A
//! [`Notifier`] delivers one to one receiver: a Slack channel, PagerDuty, a
//! webhook of your own, or anything you implement the trait for. The
//! [`Outbox`] sits between the two. It keeps every notification until its
//! receiver has taken it, retries what failed for a reason that passes (a
//! timeout, 429, 5xx) with backoff and the receiver's own `Retry-After`,
//! never retries what the receiver refused (any other 4xx: retrying cannot
//! fix a bad routing key), and keeps what it gave up on for a person to see.
//! One receiver failing never holds back another, and the outbox serializes,
//! so a restart loses nothing.
//!
//! Delivery is at least once: a notification whose answer was lost is sent
//! again. Receivers tell repeats apart by the incident's dedup key (PagerDuty
//! does so itself) and by the delivery id, the same on every attempt.
//!
//! The formats ([`Slack`], [`PagerDuty`], [`SignedWebhook`]) are pure: they
//! turn a notification into a [`Request`] and do no I/O. With the `http`
//! feature (on by default), [`HttpNotifier`] sends those requests with
//! reqwest.
//!
//! # How do I send alerts to Slack and PagerDuty?
//!
//! ```no_run
//! # #[cfg(feature = "http")]
//! # async fn run(mut desk: tertulia_crisis::incident::Desk) -> tertulia_crisis::Result<()> {
//! use chrono::Utc;
//! use tertulia_crisis::incident::Action;
//! use tertulia_crisis::notify::{HttpNotifier, Notifiers, Outbox, PagerDuty, Retry, Slack};
//!
//! let notifiers = Notifiers::new()
//!     .with(HttpNotifier::new("slack", Slack::new("https://hooks.slack.com/services/T/B/X")?)?)?
//!     .with(HttpNotifier::new("pagerduty", PagerDuty::new("R0UT1NGKEY", "tertulia")?)?)?;
//! let mut outbox = Outbox::new(Retry::default())?;
//! for action in desk.tick(Utc::now()) {
//!     if let Action::Notify(n) = action {
//!         outbox.push(n, &notifiers, Utc::now());
//!     }
//! }
//! for outcome in outbox.deliver(&notifiers, Utc::now()).await {
//!     println!("{outcome}");
//! }
//! // Keep `serde_json::to_string(&outbox)` somewhere safe: it is the queue.
//! # Ok(()) }
//! ```

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::incident::Notification;
use crate::{Error, Result};

mod format;
#[cfg(feature = "http")]
mod http;
mod outbox;

pub use format::{Format, PagerDuty, Request, SignedWebhook, Slack, sign, verify};
#[cfg(feature = "http")]
pub use http::{HttpNotifier, answer};
pub use outbox::{Delivery, Outbox, Outcome, Retry};

/// One attempt at delivering a notification.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    /// What to deliver.
    pub notification: &'a Notification,
    /// The delivery's id: the same on every attempt of it, so a receiver
    /// can drop a repeat.
    pub delivery: &'a str,
    /// Which attempt this is, from 1.
    pub number: u32,
    /// When it is made (signatures carry it).
    pub now: DateTime<Utc>,
}

/// Delivers notifications to one receiver.
///
/// Return `Ok` only once the receiver has the message. An error says, with
/// [`Error::Delivery`]'s `retryable`, whether trying
/// again later can help; the [`Outbox`] does the retrying.
///
/// ```
/// use async_trait::async_trait;
/// use tertulia_crisis::notify::{Attempt, Notifier};
///
/// /// Prints notifications: a notifier for a terminal.
/// #[derive(Debug)]
/// struct Print;
///
/// #[async_trait]
/// impl Notifier for Print {
///     fn name(&self) -> &str { "print" }
///     async fn send(&self, a: &Attempt<'_>) -> tertulia_crisis::Result<()> {
///         println!("[{:?}] {}", a.notification.severity, a.notification.summary);
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait Notifier: Send + Sync + Debug {
    /// Its name, unique among the notifiers: deliveries are queued by it.
    fn name(&self) -> &str;

    /// Delivers one attempt.
    async fn send(&self, attempt: &Attempt<'_>) -> Result<()>;
}

/// A notifier and the people it speaks for.
#[derive(Debug)]
struct Route {
    notifier: Box<dyn Notifier>,
    /// Targets it serves; empty for every notification.
    targets: Vec<String>,
}

/// The notifiers a desk's notifications go to, each for every notification
/// or only for some targets (the policy's "community-manager", "legal", ...).
#[derive(Debug, Default)]
pub struct Notifiers {
    routes: Vec<Route>,
}

impl Notifiers {
    /// No notifiers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a notifier for every notification; its name must be new.
    pub fn with(self, notifier: impl Notifier + 'static) -> Result<Self> {
        self.with_targets(notifier, Vec::<String>::new())
    }

    /// Adds a notifier for the notifications addressed to one of `targets`;
    /// its name must be new.
    pub fn with_targets(
        mut self,
        notifier: impl Notifier + 'static,
        targets: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Self> {
        if self.get(notifier.name()).is_some() {
            return Err(Error::Config(format!(
                "two notifiers are named {:?}: give each its own name, deliveries are queued by it",
                notifier.name()
            )));
        }
        self.routes.push(Route {
            notifier: Box::new(notifier),
            targets: targets.into_iter().map(Into::into).collect(),
        });
        Ok(self)
    }

    /// The notifier named `name`.
    pub fn get(&self, name: &str) -> Option<&dyn Notifier> {
        self.routes
            .iter()
            .find(|r| r.notifier.name() == name)
            .map(|r| r.notifier.as_ref())
    }

    /// The names of the notifiers `n` goes to.
    pub fn for_notification<'a>(&'a self, n: &'a Notification) -> impl Iterator<Item = &'a str> {
        self.routes
            .iter()
            .filter(|r| r.targets.is_empty() || r.targets.iter().any(|t| n.targets.contains(t)))
            .map(|r| r.notifier.name())
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}
