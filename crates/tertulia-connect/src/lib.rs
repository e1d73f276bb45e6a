//! **Connect**: one async trait through which tertulia publishes and
//! listens on a platform, and what every connector gets for free.
//!
//! A platform is a [`Connector`]: four required methods (what it is, what it
//! can do, its limits, publishing) and the rest (delete, mentions, replies,
//! metrics, hiding replies) answering [`Error::Unsupported`] until a
//! connector implements them, so nothing ever silently does nothing. The
//! trait and its types need no HTTP stack: a third-party connector pulls in
//! little, and the platform crates (Bluesky, Mastodon) bring reqwest
//! themselves.
//!
//! Around it:
//! - [`validate`]: a request checked against capabilities and limits with
//!   no network call (`parts[0].text: 320 graphemes, 20 over the limit of
//!   300`).
//! - [`Error`]: one set of failures for every platform, with
//!   [`Error::is_retryable`] and [`Error::retry_after`], and one reader of
//!   every platform's rate-limit headers ([`RateLimit`]).
//! - [`layers`]: retry (backon; waits the longer of the backoff and the
//!   platform's reset, retries a publish only where publishing is
//!   idempotent), rate limit (governor, and a shared hold after a 429),
//!   concurrency limit, dry run and recording.
//! - [`MemoryConnector`]: a whole platform in memory, with faults injected
//!   on purpose.
//! - `conformance` (feature): the one suite every connector runs against
//!   itself.
//!
//! # How do I write a connector for my own platform?
//!
//! Start from `examples/connector.rs` in tertulia's repository: a made-up
//! platform ("Tablón", a community's notice board) behind this trait, in
//! about 150 lines, with the test that runs the conformance suite on it
//! (`cargo test --example connector`). Implement the four required
//! methods, declare in [`Connector::capabilities`] only what your platform
//! does (the suite checks that the rest answers [`Error::Unsupported`]),
//! publish once per [`IdempotencyKey`], and turn on this crate's
//! `conformance` feature in your dev-dependencies to run the same suite:
//!
//! ```toml
//! [dependencies]
//! tertulia-connect = "0.1"
//! [dev-dependencies]
//! tertulia-connect = { version = "0.1", features = ["conformance"] }
//! ```
//!
//! # How do I publish a thread once, whatever fails?
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
//! use std::time::Duration;
//! use tertulia_connect::layers::Retry;
//! use tertulia_connect::{Connector, Fault, IdempotencyKey, MemoryConnector, Operation, PublishRequest};
//!
//! let platform = MemoryConnector::new();
//! platform.inject(Operation::Publish, Fault::RateLimited { retry_after: Some(Duration::from_secs(30)), reset_in: None });
//! platform.inject(Operation::Publish, Fault::FailAfterParts(1));
//! platform.inject(Operation::Publish, Fault::LostResponse);
//! let connector = Retry::new(platform.clone());
//! let thread = PublishRequest::thread(IdempotencyKey::new("launch-thread")?, ["1/3 It is here", "2/3 Why", "3/3 Where"]);
//! let published = connector.publish(&thread).await?;
//! assert_eq!(published.posts.len(), 3);
//! assert_eq!(platform.posts().len(), 3, "no part twice");
//! # Ok::<(), tertulia_connect::Error>(()) }).unwrap();
//! ```

mod connector;
mod error;
pub mod layers;
mod memory;
mod ratelimit;
mod types;

#[cfg(feature = "conformance")]
pub mod conformance;
#[cfg(feature = "http")]
pub mod http;

pub use connector::{Connector, ConnectorExt, pages};
pub use error::{AuthProblem, Error, Result};
pub use memory::{Fault, MemoryConnector, StoredPost};
pub use ratelimit::RateLimit;
pub use types::{
    AccountMetrics, Capabilities, Capability, Cursor, IdempotencyKey, LengthUnit, Limits, Media,
    Operation, Page, PageRequest, Part, PostMetrics, PostRef, PublishRequest, Published,
    media_type, validate,
};
