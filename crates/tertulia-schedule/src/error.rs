//! The one error type of this crate.

use chrono::{DateTime, Utc};

/// What went wrong while fitting, backtesting or planning.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting was refused.
    #[error("{field} is {value}: {expected}")]
    Setting {
        /// The setting, for example `half-life`.
        field: &'static str,
        /// The value as given, printed.
        value: String,
        /// What is allowed, in words.
        expected: &'static str,
    },
    /// Two accumulators built with different settings cannot be merged.
    #[error(
        "cannot merge slot statistics with different {setting}: compute both with the same settings"
    )]
    Mismatch {
        /// The setting that differs.
        setting: &'static str,
    },
    /// A backtest has nothing to learn from or nothing to test on.
    #[error("the backtest has {train} posts before {cutoff} and {test} from it on: {expected}")]
    Split {
        /// The first instant of the test period.
        cutoff: DateTime<Utc>,
        /// Posts to train on.
        train: usize,
        /// Posts to test on.
        test: usize,
        /// What to do.
        expected: &'static str,
    },
    /// A draft names a channel the plan does not have.
    #[error(
        "draft {draft:?} names channel {channel:?}, which is not among the channels: add it or fix the draft"
    )]
    UnknownChannel {
        /// The draft's id.
        draft: String,
        /// The channel it names.
        channel: String,
    },
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
