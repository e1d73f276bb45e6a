//! The one error type of this crate.

use chrono::{DateTime, Utc};

/// What was wrong with a value given to a constructor of this crate.
///
/// Every variant names the field it is about and its message says what to do.
/// Readers of files (in other crates) add the file, line and column around it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A text field was empty where a value is required.
    #[error("{field} is empty: give a non-empty value")]
    Empty {
        /// The field, for example `post id`.
        field: &'static str,
    },
    /// A text field holds a character it may not hold.
    #[error("{field} {value:?} {problem}")]
    BadText {
        /// The field, for example `handle`.
        field: &'static str,
        /// The value as given.
        value: String,
        /// What is wrong and what to do, for example `contains white space: remove it`.
        problem: &'static str,
    },
    /// A number is NaN or infinite.
    #[error("{field} is {value}, not a finite number: give a finite number")]
    NotFinite {
        /// The field, for example `sentiment`.
        field: &'static str,
        /// The value as given.
        value: f64,
    },
    /// A number lies outside the range its field allows.
    #[error("{field} is {value}, outside {expected}")]
    OutOfRange {
        /// The field, for example `audience share`.
        field: &'static str,
        /// The value as given, printed.
        value: String,
        /// The allowed range, in words, for example `[-1, 1]`.
        expected: &'static str,
    },
    /// Two instants are in the wrong order.
    #[error("{field}: {later} comes before {earlier}; swap them or fix the source")]
    Reversed {
        /// The field, for example `time range`.
        field: &'static str,
        /// The instant that should come first.
        earlier: DateTime<Utc>,
        /// The instant that should come second.
        later: DateTime<Utc>,
    },
    /// A time zone name that is not in the IANA database.
    #[error(
        "unknown time zone {0:?}: use an IANA name such as Europe/Madrid, America/New_York or UTC"
    )]
    UnknownTimeZone(String),
    /// The same key was given twice where each must appear once.
    #[error("{field} {value:?} appears more than once: give each once")]
    Duplicate {
        /// The field, for example `audience zone`.
        field: &'static str,
        /// The repeated value.
        value: String,
    },
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks that `value` is a finite number, naming `field` if not.
pub(crate) fn finite(field: &'static str, value: f64) -> Result<f64> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::NotFinite { field, value })
    }
}
