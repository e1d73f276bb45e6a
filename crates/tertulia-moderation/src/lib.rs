//! **Moderate**: a rules engine community managers write and
//! audit, AutoModerator-compatible and hard to fool.
//!
//! - [`Normalizer`]: text as people mean it (NFKC, accents, lookalike
//!   letters, invisible characters, leetspeak, spaced and repeated letters),
//!   every offset kept into the original text.
//! - [`TermMatcher`]: any number of terms in one pass over normalized text,
//!   whole-word aware, so "Scunthorpe" and "classic" stay innocent.
//! - [`Rule`]s in YAML ([`parse_rules`]) or Rust, and Reddit AutoModerator
//!   configurations read with reddit's meaning ([`parse_automoderator`]).
//! - [`Engine`]: every rule compiled together, per field one automaton and
//!   one regex set; each [`Decision`] names every rule that fired, where it
//!   matched in the original text and the normalized form that matched.
//!   A stream is fastest through [`Engine::decide_each`], which asks each
//!   regex set about two items at once.
//!
//! ```
//! use tertulia_moderation::{Action, Engine, Item, parse_rules};
//!
//! let rules = parse_rules(r#"
//! - name: insults
//!   action: hide
//!   body: [idiot, imbecile]
//!   reply: "{{author}}, please keep it civil."
//! "#)?;
//! let mut engine = Engine::new(rules)?;
//! let d = engine.decide(&Item { id: "c1".into(), body: "you 1d\u{200B}i0t".into(), ..Item::default() });
//! assert_eq!(d.action, Action::Hide);
//! # Ok::<(), tertulia_moderation::Error>(())
//! ```

mod automod;
mod engine;
mod error;
mod lockstep;
mod normalize;
mod rule;
mod terms;
mod yaml;

pub use automod::parse_automoderator;
pub use engine::{Decision, DryRun, Engine, Evidence, Fired, Item, ItemAuthor, pattern};
pub use error::{Error, Result};
pub use normalize::{NormalizeOptions, Normalized, Normalizer};
pub use rule::{
    Action, AuthorCondition, Compare, Field, MatchKind, Op, RateCondition, Rule, ShapeCondition,
    TextCondition,
};
pub use terms::{TermMatch, TermMatcher};
pub use yaml::parse_rules;
