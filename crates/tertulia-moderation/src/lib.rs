//! **Moderate** (being built): a rules engine community managers write and
//! audit, AutoModerator-compatible and hard to fool.
//!
//! So far: the evasion-resistant [`Normalizer`], which keeps every offset
//! into the original text, and the compiled [`TermMatcher`], which matches
//! any number of terms in one pass over normalized text. Rules, the
//! AutoModerator importer and explained decisions come next.

mod engine;
mod error;
mod normalize;
mod rule;
mod terms;
mod yaml;

pub use engine::{Decision, DryRun, Engine, Evidence, Fired, Item, ItemAuthor, pattern};
pub use error::{Error, Result};
pub use normalize::{NormalizeOptions, Normalized, Normalizer};
pub use rule::{
    Action, AuthorCondition, Compare, Field, MatchKind, Op, RateCondition, Rule, ShapeCondition,
    TextCondition,
};
pub use terms::{TermMatch, TermMatcher};
pub use yaml::parse_rules;
