//! **Connect: Mastodon** (not built yet: this crate holds the layout until its issue lands).
//!
//! This crate will implement the `tertulia-connect` `Connector` trait for the
//! Mastodon REST API: statuses with the Idempotency-Key header, threads, media
//! with descriptions, notifications and replies with Link-header paging, the
//! instance's own character limit, and its rate-limit headers.
//!
//! It has no public items yet.
