//! **Schedule** (not built yet: this crate holds the layout until its issue lands).
//!
//! This crate will learn the best weekday and hour to publish from an
//! account's own history, with the uncertainty stated, and check that model
//! on held-out time. It will also plan a publishing calendar under real
//! constraints: named time zones and DST, gaps between posts, quotas,
//! blackouts, evergreen content, and several audiences in several time zones.
//!
//! It has no public items yet.
