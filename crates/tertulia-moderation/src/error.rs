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
    /// A rule is not usable as written.
    #[error("rule {rule}: {problem}")]
    Rule {
        /// The rule's name (and where it starts, from a file).
        rule: String,
        /// What is wrong and what to do.
        problem: String,
    },
    /// A rule file is not valid YAML.
    #[error("{0}")]
    Yaml(String),
    /// The literal automaton could not be built.
    #[error("the terms cannot be compiled together: {0}")]
    Automaton(String),
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
