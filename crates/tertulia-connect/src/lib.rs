//! **Connect** (not built yet: this crate holds the layout until its issue lands).
//!
//! This crate will hold the one async `Connector` trait through which tertulia
//! publishes and listens on a platform: publishing posts and threads, media with
//! alt text, deleting, reading mentions and replies, and per-post metrics. With
//! it come `Capabilities` and `Limits` (what a backend can do, and how long a
//! post may be), paging with opaque cursors, one error enum, and the layers any
//! connector gets for free: retries that honour rate limits, rate and
//! concurrency limits, duplicate-safe publishing with idempotency keys, dry
//! runs and recording. An in-memory connector and a conformance suite that
//! third-party connectors run against themselves complete it.
//!
//! It has no public items yet.
