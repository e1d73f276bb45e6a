//! The one error type of every connector.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::types::{Capability, PostRef};

/// Why a credential was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthProblem {
    /// It expired: refresh it (connectors with sessions do so themselves).
    Expired,
    /// It is not one the platform knows: check the settings.
    Invalid,
    /// The account or the app withdrew it: authorize again.
    Revoked,
    /// It lacks a permission the call needs.
    MissingScope,
    /// None was given and the call needs one.
    Missing,
}

/// What went wrong talking to a platform. Every connector maps its
/// platform's failures to these, so callers and layers handle one set.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Too many calls: wait. `retry_after` is how long the platform asked
    /// for, `reset_at` when its window reopens, `scope` which limit it was
    /// (a platform may have several: per account, per app, per endpoint).
    #[error("rate limited{}{}{}: wait before calling again",
        scope.as_ref().map(|s| format!(" ({s})")).unwrap_or_default(),
        retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default(),
        reset_at.map(|t| format!(", window reopens at {}", t.to_rfc3339())).unwrap_or_default())]
    RateLimited {
        /// How long the platform asked to wait.
        retry_after: Option<Duration>,
        /// When the platform's window reopens.
        reset_at: Option<DateTime<Utc>>,
        /// Which limit.
        scope: Option<String>,
    },
    /// A credential was refused.
    #[error("authentication failed ({problem:?}): {message}")]
    Auth {
        /// Why.
        problem: AuthProblem,
        /// The platform's words (never the credential).
        message: String,
    },
    /// The post, account or resource does not exist (any more).
    #[error("not found: {what}")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// The request breaks a rule of the platform; nothing was sent or the
    /// platform refused it as it stands.
    #[error("{field}: {message}")]
    Validation {
        /// The field at fault (`parts[1].text`, `parts[0].media[2].alt_text`).
        field: String,
        /// What is wrong and by how much.
        message: String,
    },
    /// The connector cannot do this at all.
    #[error("{capability:?} is not supported by this connector: check capabilities() first")]
    Unsupported {
        /// What was asked.
        capability: Capability,
    },
    /// The request clashes with the platform's state (a record key already
    /// used for other content, an edit of a stale version).
    #[error("conflict: {message}")]
    Conflict {
        /// The platform's words.
        message: String,
    },
    /// The platform failed or is unavailable.
    #[error("the platform answered {}: {message}", status.map_or("nothing".to_owned(), |s| s.to_string()))]
    Upstream {
        /// The HTTP status, if any.
        status: Option<u16>,
        /// How long it asked to wait.
        retry_after: Option<Duration>,
        /// The platform's words.
        message: String,
    },
    /// Part of a thread went out before a failure: `published` holds the
    /// posts that exist, in order, so the thread can resume from the next.
    #[error("published {} of the thread's parts, then: {source}", published.len())]
    PartialPublish {
        /// The parts published, in order.
        published: Vec<PostRef>,
        /// What stopped the rest.
        source: Box<Error>,
    },
    /// The request did not get an answer: a refused connection, a reset,
    /// a timeout. A publish may or may not have happened.
    #[error("no answer{}{}: {message}",
        if *timeout { " in time" } else { "" },
        host.as_ref().map(|h| format!(" from {h}")).unwrap_or_default())]
    Transport {
        /// What happened and why, as far as the network stack says
        /// ("connection refused", "failed to lookup address"): never the
        /// URL, which may hold a credential.
        message: String,
        /// Whether it was a timeout.
        timeout: bool,
        /// The host (and port) called, when known.
        host: Option<String>,
    },
    /// An answer came but could not be read.
    #[error("{endpoint}: the answer could not be read: {message}")]
    Decode {
        /// The endpoint that answered.
        endpoint: String,
        /// What was wrong with it.
        message: String,
    },
}

impl Error {
    /// The error of a publish that failed with `source` after `published`
    /// parts went out: `source` itself when none did, else
    /// [`Error::PartialPublish`], so the thread can resume.
    pub fn partial(published: Vec<PostRef>, source: Error) -> Error {
        if published.is_empty() {
            source
        } else {
            Error::PartialPublish {
                published,
                source: Box::new(source),
            }
        }
    }

    /// Whether the same call may succeed later: rate limits, 5xx and 408,
    /// transport failures, and a partial publish whose cause is one of those.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Transport { .. } => true,
            Error::Upstream { status, .. } => status.is_none_or(|s| s >= 500 || s == 408),
            Error::PartialPublish { source, .. } => source.is_retryable(),
            _ => false,
        }
    }

    /// How long the platform asked to wait, if it said, counting a reset
    /// time as the wait until it, seen at `now`.
    pub fn retry_after(&self, now: DateTime<Utc>) -> Option<Duration> {
        match self {
            Error::RateLimited {
                retry_after,
                reset_at,
                ..
            } => {
                let until_reset = reset_at.and_then(|t| (t - now).to_std().ok());
                match (*retry_after, until_reset) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                }
            }
            Error::Upstream { retry_after, .. } => *retry_after,
            Error::PartialPublish { source, .. } => source.retry_after(now),
            _ => None,
        }
    }
}

/// The result type of connectors.
pub type Result<T, E = Error> = std::result::Result<T, E>;
