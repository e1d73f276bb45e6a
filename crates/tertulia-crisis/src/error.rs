//! The one error type of this crate.

use chrono::{DateTime, TimeDelta, Utc};

/// What went wrong in detecting, scoring or escalating.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting cannot work; the message names it and what it must be.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A line of a data file that cannot be read.
    #[error("line {line}: {problem}")]
    Data {
        /// The line, counting from 1.
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// A bucket came after a later one (or twice).
    #[error("bucket {bucket} came after bucket {}: push buckets in time order, each once", expected - 1)]
    OutOfOrder {
        /// The bucket number that came.
        bucket: i64,
        /// The earliest bucket number that could come.
        expected: i64,
    },
    /// A count that is not a number of mentions.
    #[error("the count at {at} is {count}: a count must be a finite number, 0 or more")]
    BadCount {
        /// The bucket's time.
        at: DateTime<Utc>,
        /// The count given.
        count: f64,
    },
    /// A notifier could not deliver a notification.
    #[error("{notifier}: {problem}")]
    Delivery {
        /// The notifier's name.
        notifier: String,
        /// The HTTP status the receiver answered, if it answered.
        status: Option<u16>,
        /// How long the receiver asked to wait before trying again.
        retry_after: Option<TimeDelta>,
        /// Whether trying again later can help (a timeout, 429, 5xx), or the
        /// receiver refused the message itself (any other 4xx).
        retryable: bool,
        /// What happened, in words.
        problem: String,
    },
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
