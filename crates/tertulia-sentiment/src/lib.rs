//! **Sentiment** (not built yet: this crate holds the layout until its issue lands).
//!
//! This crate will score the sentiment of mentions through a `SentimentModel`
//! trait, so users can plug in their own model. The default will be a lexicon
//! model for English and Spanish with the rules that matter on social text:
//! negation, boosters, capitals, exclamation marks, "but"/"pero" and emoji.
//!
//! It has no public items yet.
