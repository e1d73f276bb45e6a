//! **Measure** (not built yet: this crate holds the layout until its issue lands).
//!
//! This crate will hold the engagement KPI maths: which interactions count as
//! engagement, rates by reach, impressions and followers, share of voice, net
//! sentiment and response times. Each is reported both as the mean of per-post
//! rates and as a ratio of sums, under its own name. A zero denominator will
//! give an undefined rate, never 0, and missing metrics will be counted, never
//! taken as zero. Every aggregate will carry an interval and be a mergeable,
//! serializable accumulator.
//!
//! It has no public items yet.
