//! **Moderate** (not built yet: this crate holds the layout until its issue lands).
//!
//! This crate will be a rules engine that community managers can write and
//! audit. It will import AutoModerator configurations with the meaning reddit
//! gives them, and match text through a normaliser that resists leetspeak,
//! lookalike characters and hidden characters. Every decision will explain
//! which rule fired, on which span of the original text, and why.
//!
//! It has no public items yet.
