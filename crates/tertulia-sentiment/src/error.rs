//! The one error type of this crate.

/// What went wrong in loading a lexicon or building a model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A line of a lexicon file that cannot be read.
    #[error("{source_name}, line {line}: {problem}")]
    Lexicon {
        /// The file or name the text came from.
        source_name: String,
        /// The line, counting from 1.
        line: usize,
        /// What is wrong and what the line should look like.
        problem: String,
    },
    /// A valence that is not a finite number in the lexicon's range.
    #[error("the valence of {word:?} is {valence}: use a finite number from -4 to 4")]
    Valence {
        /// The word.
        word: String,
        /// The valence given.
        valence: f64,
    },
    /// A rule that cannot work; the message names it and what it must be.
    #[error("invalid rules: {0}")]
    Rules(String),
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
