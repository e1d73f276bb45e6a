//! The one error type of this crate.

/// What went wrong while compiling rules or terms.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A term normalizes to nothing (only spaces or invisible characters).
    #[error("the term {term:?} is empty once normalized: remove it")]
    EmptyTerm {
        /// The term as given.
        term: String,
    },
    /// The literal automaton could not be built.
    #[error("the terms cannot be compiled together: {0}")]
    Automaton(String),
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
