//! The outbox: every notification kept until its receiver has it.

use std::collections::HashSet;
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{Attempt, Notifiers};
use crate::incident::{Change, Notification};
use crate::{Error, Result};

/// When to try a failed delivery again, and when to stop.
///
/// The wait doubles from `first_delay_seconds` up to `max_delay_seconds`,
/// each wait between half and all of that (the same for the same delivery
/// and attempt, so runs repeat), and never shorter than the receiver's
/// `Retry-After`. After `max_attempts` the delivery is set aside for a
/// person ([`Outbox::failed`]); it is never dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// The wait after the first failure.
    pub first_delay_seconds: u32,
    /// The longest wait the backoff reaches.
    pub max_delay_seconds: u32,
    /// Attempts before setting a delivery aside.
    pub max_attempts: u32,
}

impl Default for Retry {
    /// 10 s doubling to an hour, 12 attempts: about 4 hours of trying.
    fn default() -> Self {
        Retry {
            first_delay_seconds: 10,
            max_delay_seconds: 3600,
            max_attempts: 12,
        }
    }
}

impl Retry {
    /// Checks the settings.
    pub fn check(&self) -> Result<()> {
        if self.first_delay_seconds == 0 || self.max_delay_seconds < self.first_delay_seconds {
            return Err(Error::Config(format!(
                "retry delays must be 1 s or more, and max_delay_seconds ({}) at least first_delay_seconds ({})",
                self.max_delay_seconds, self.first_delay_seconds
            )));
        }
        if self.max_attempts == 0 {
            return Err(Error::Config(
                "max_attempts must be 1 or more: with 0 nothing is ever sent".into(),
            ));
        }
        Ok(())
    }

    /// The wait after failed attempt `attempts` (from 1) of `delivery`.
    pub fn backoff(&self, delivery: &str, attempts: u32) -> TimeDelta {
        let full = u64::from(self.first_delay_seconds)
            .saturating_mul(1 << attempts.saturating_sub(1).min(32))
            .min(u64::from(self.max_delay_seconds));
        // Between half and all of it, by a hash of the delivery and attempt:
        // receivers that failed together do not all come back together.
        let hash = delivery
            .bytes()
            .chain(attempts.to_le_bytes())
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            });
        let half = full / 2;
        TimeDelta::seconds((full - half + hash % (half + 1)) as i64)
    }
}

/// One notification on its way to one notifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// Its id, the same on every attempt.
    pub id: String,
    /// The notifier it goes to.
    pub notifier: String,
    /// What it carries.
    pub notification: Notification,
    /// Attempts made.
    pub attempts: u32,
    /// When the next attempt is due (pending), or was made (given up).
    pub due: DateTime<Utc>,
    /// What went wrong last, if anything did.
    pub problem: Option<String>,
}

/// What [`Outbox::deliver`] did with a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "delivery", rename_all = "snake_case")]
pub enum Outcome {
    /// The receiver has it: it left the outbox.
    Delivered(Delivery),
    /// It failed for a reason that may pass; `due` says when it is tried
    /// again.
    Retrying(Delivery),
    /// The receiver refused it, or it ran out of attempts: it waits in
    /// [`Outbox::failed`] for a person.
    GaveUp(Delivery),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, d) = match self {
            Outcome::Delivered(d) => ("delivered", d),
            Outcome::Retrying(d) => ("not delivered yet:", d),
            Outcome::GaveUp(d) => ("gave up on", d),
        };
        let change = match d.notification.change {
            Change::Trigger => "trigger",
            Change::Acknowledge => "acknowledge",
            Change::Resolve => "resolve",
        };
        write!(
            f,
            "{what} {} to {} (incident #{}, {change}, attempt {})",
            d.id, d.notifier, d.notification.incident, d.attempts
        )?;
        if let Some(p) = &d.problem {
            write!(f, ": {p}")?;
        }
        if let Outcome::Retrying(d) = self {
            write!(
                f,
                "; trying again at {}",
                d.due.format("%Y-%m-%d %H:%M:%S UTC")
            )?;
        }
        Ok(())
    }
}

/// Notifications on their way: pending deliveries, one per notification and
/// notifier, and the ones set aside.
///
/// Deliveries to one notifier for one dedup key go in order (PagerDuty must
/// see the trigger before the resolve), so a failing one holds back only
/// the later messages of the same incident to the same receiver; every
/// other delivery goes on. Time is passed in, so a test can step through
/// hours of retries at once. The whole outbox serializes: save it after
/// [`Outbox::push`] and after [`Outbox::deliver`], and a crash loses nothing
/// (a delivery whose answer was lost is sent again: at least once).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use async_trait::async_trait;
/// use chrono::{TimeZone, Utc};
/// use tertulia_crisis::detect::Severity;
/// use tertulia_crisis::incident::{Change, Notification};
/// use tertulia_crisis::notify::{Attempt, Notifier, Notifiers, Outbox, Outcome, Retry};
///
/// #[derive(Debug)]
/// struct Flaky;
/// #[async_trait]
/// impl Notifier for Flaky {
///     fn name(&self) -> &str { "flaky" }
///     async fn send(&self, a: &Attempt<'_>) -> tertulia_crisis::Result<()> {
///         if a.number == 1 {
///             return Err(tertulia_crisis::Error::Delivery { notifier: "flaky".into(),
///                 status: Some(503), retry_after: None, retryable: true, problem: "busy".into() });
///         }
///         Ok(())
///     }
/// }
///
/// let notifiers = Notifiers::new().with(Flaky)?;
/// let mut outbox = Outbox::new(Retry::default())?;
/// let t0 = Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap();
/// let n = Notification { incident: 1, dedup_key: "acme:volume".into(), change: Change::Trigger,
///     severity: Severity::Warning, summary: "Mentions 3x the usual".into(), targets: vec![],
///     details: Default::default(), at: t0 };
/// assert_eq!(outbox.push(n, &notifiers, t0), 1);
/// assert!(matches!(outbox.deliver(&notifiers, t0).await[..], [Outcome::Retrying(_)]));
/// let again = outbox.next_due().unwrap();
/// assert!(again > t0);
/// assert!(matches!(outbox.deliver(&notifiers, again).await[..], [Outcome::Delivered(_)]));
/// assert!(outbox.is_empty());
/// # Ok::<(), tertulia_crisis::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outbox {
    retry: Retry,
    pending: Vec<Delivery>,
    failed: Vec<Delivery>,
    /// The number of the next delivery.
    next: u64,
}

impl Outbox {
    /// An empty outbox.
    pub fn new(retry: Retry) -> Result<Self> {
        retry.check()?;
        Ok(Outbox {
            retry,
            pending: Vec::new(),
            failed: Vec::new(),
            next: 1,
        })
    }

    /// Queues `n` for each notifier it is for, due at `now`; returns how
    /// many deliveries that made (0: no notifier is for its targets).
    pub fn push(&mut self, n: Notification, notifiers: &Notifiers, now: DateTime<Utc>) -> usize {
        let names: Vec<String> = notifiers.for_notification(&n).map(str::to_owned).collect();
        for notifier in &names {
            self.pending.push(Delivery {
                id: format!("{}-{}", n.incident, self.next),
                notifier: notifier.clone(),
                notification: n.clone(),
                attempts: 0,
                due: now,
                problem: None,
            });
            self.next += 1;
        }
        names.len()
    }

    /// Indexes of the deliveries that go next: the first pending one of
    /// each notifier and dedup key.
    fn heads(&self) -> impl Iterator<Item = usize> + '_ {
        let mut seen = HashSet::new();
        self.pending.iter().enumerate().filter_map(move |(i, d)| {
            seen.insert((d.notifier.as_str(), d.notification.dedup_key.as_str()))
                .then_some(i)
        })
    }

    /// Makes every attempt due at `now`, all at once (a slow receiver does
    /// not hold back a quick one), and says what came of each.
    pub async fn deliver(&mut self, notifiers: &Notifiers, now: DateTime<Utc>) -> Vec<Outcome> {
        let due: Vec<usize> = self
            .heads()
            .filter(|&i| self.pending[i].due <= now)
            .collect();
        let attempts: Vec<Attempt<'_>> = due
            .iter()
            .map(|&i| {
                let d = &self.pending[i];
                Attempt {
                    notification: &d.notification,
                    delivery: &d.id,
                    number: d.attempts + 1,
                    now,
                }
            })
            .collect();
        let pending = &self.pending;
        let sent =
            futures_util::future::join_all(attempts.iter().zip(&due).map(|(a, &i)| async move {
                let name = &pending[i].notifier;
                match notifiers.get(name) {
                    Some(notifier) => notifier.send(a).await,
                    None => Err(Error::Delivery {
                        notifier: name.clone(),
                        status: None,
                        retry_after: None,
                        retryable: false,
                        problem: "no notifier of that name is configured".into(),
                    }),
                }
            }))
            .await;
        let mut outcomes = Vec::with_capacity(due.len());
        let mut gone = vec![false; self.pending.len()];
        for (&i, result) in due.iter().zip(sent) {
            let d = &mut self.pending[i];
            d.attempts += 1;
            let outcome = match result {
                Ok(()) => {
                    d.problem = None;
                    gone[i] = true;
                    Outcome::Delivered(d.clone())
                }
                Err(e) => {
                    let (retryable, wait) = match &e {
                        Error::Delivery {
                            retryable,
                            retry_after,
                            ..
                        } => (*retryable, *retry_after),
                        // Any other error is the notifier's own trouble: try again.
                        _ => (true, None),
                    };
                    // The notifier is named by the delivery already.
                    let problem = match &e {
                        Error::Delivery { problem, .. } => problem.clone(),
                        other => other.to_string(),
                    };
                    if retryable && d.attempts < self.retry.max_attempts {
                        let backoff = self.retry.backoff(&d.id, d.attempts);
                        d.due = now + wait.map_or(backoff, |w| w.max(backoff));
                        d.problem = Some(problem);
                        Outcome::Retrying(d.clone())
                    } else {
                        d.due = now;
                        d.problem = Some(if retryable {
                            format!(
                                "{problem}; that was the last of {} attempts",
                                self.retry.max_attempts
                            )
                        } else {
                            format!(
                                "{problem}; the receiver refused it, so it is not retried: fix the notifier's settings"
                            )
                        });
                        gone[i] = true;
                        self.failed.push(d.clone());
                        Outcome::GaveUp(d.clone())
                    }
                }
            };
            outcomes.push(outcome);
        }
        let mut k = 0;
        self.pending.retain(|_| {
            k += 1;
            !gone[k - 1]
        });
        outcomes
    }

    /// When the next attempt is due, if any is pending.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.heads().map(|i| self.pending[i].due).min()
    }

    /// Deliveries still to make, in the order they were queued.
    pub fn pending(&self) -> &[Delivery] {
        &self.pending
    }

    /// Deliveries given up on: refused by their receiver or out of attempts.
    pub fn failed(&self) -> &[Delivery] {
        &self.failed
    }

    /// Queues a delivery given up on again, from its first attempt, due at
    /// `now` (once a person has fixed what was wrong); `false` if no
    /// delivery has that id.
    pub fn retry_failed(&mut self, id: &str, now: DateTime<Utc>) -> bool {
        let Some(k) = self.failed.iter().position(|d| d.id == id) else {
            return false;
        };
        let mut d = self.failed.remove(k);
        d.attempts = 0;
        d.due = now;
        self.pending.push(d);
        true
    }

    /// Whether nothing is pending (given-up deliveries do not count).
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_its_bounds_and_repeats() {
        let r = Retry::default();
        for attempt in 1..=20 {
            let full = (10_i64 << (attempt - 1).min(20)).min(3600);
            let wait = r.backoff("7-3", attempt).num_seconds();
            assert!(
                (full - full / 2..=full).contains(&wait),
                "attempt {attempt}: {wait}"
            );
            assert_eq!(r.backoff("7-3", attempt), r.backoff("7-3", attempt));
        }
        assert!(
            Retry {
                first_delay_seconds: 0,
                ..r
            }
            .check()
            .is_err()
        );
        assert!(
            Retry {
                max_delay_seconds: 5,
                ..r
            }
            .check()
            .is_err()
        );
        assert!(
            Retry {
                max_attempts: 0,
                ..r
            }
            .check()
            .is_err()
        );
    }
}
