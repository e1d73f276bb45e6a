//! The one error type of this crate.

/// What went wrong while setting up, merging or importing KPIs.
///
/// Import errors name the line (1-based, the header is line 1) and the
/// column of the file, so a person can open the file and fix the cell.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A setting was refused.
    #[error("{field} is {value}: {expected}")]
    Setting {
        /// The setting, for example `confidence level`.
        field: &'static str,
        /// The value as given, printed.
        value: String,
        /// What is allowed, in words.
        expected: &'static str,
    },
    /// Two accumulators built with different settings cannot be merged.
    #[error(
        "cannot merge KPIs computed with different {setting} ({ours} and {theirs}): compute both with the same settings"
    )]
    Mismatch {
        /// The setting that differs, for example `engagement definition`.
        setting: &'static str,
        /// Ours, printed.
        ours: String,
        /// Theirs, printed.
        theirs: String,
    },
    /// A cell of an imported file holds a value that cannot be used.
    #[error("line {line}, column {column:?}: {value:?} {problem}")]
    Cell {
        /// The line of the file, counting the header as line 1.
        line: u64,
        /// The column name, as written in the header.
        column: String,
        /// The cell as written.
        value: String,
        /// What is wrong and what to do.
        problem: String,
    },
    /// A numeric date that reads as two different days, in a file whose
    /// other rows do not say whether the day or the month comes first.
    #[error(
        "line {line}, column {column:?}: {value:?} could be {first} or {second}, and no row of the file says whether the day or the month comes first: give the date order"
    )]
    AmbiguousDate {
        /// The line of the file, counting the header as line 1.
        line: u64,
        /// The column name, as written in the header.
        column: String,
        /// The cell as written.
        value: String,
        /// The day it is when the day comes first.
        first: String,
        /// The day it is when the month comes first.
        second: String,
    },
    /// An imported file holds no posts at all.
    #[error("{problem}")]
    Empty {
        /// What the file holds, and what it should.
        problem: &'static str,
    },
    /// The header of an imported file lacks what the format needs.
    #[error("the header (line 1) {problem}")]
    Header {
        /// What is missing and what to do.
        problem: String,
    },
    /// The file is not well-formed CSV at some line.
    #[error("line {line}: not well-formed CSV: {source}")]
    Csv {
        /// The line where reading failed.
        line: u64,
        /// What the CSV reader found.
        source: csv::Error,
    },
    /// A line of a JSON Lines file is not a post.
    #[error("line {line}: not a post in JSON: {source}")]
    Json {
        /// The line of the file, from 1.
        line: u64,
        /// What the JSON reader found, with its column.
        source: serde_json::Error,
    },
    /// The input could not be read.
    #[error("cannot read the input: {0}")]
    Read(#[from] std::io::Error),
    /// A value from `tertulia-core` was refused.
    #[error(transparent)]
    Core(#[from] tertulia_core::Error),
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
