//! **Store**: tertulia's durable state behind one async API, on SQLite (one
//! file, the default) or PostgreSQL (several workers on several machines).
//!
//! A scheduling tool is judged by what it does when things go wrong: a
//! worker killed mid-publish, two workers on one queue, a post for an hour
//! that does not exist. So the queue keeps one state per *target* (a post on
//! one channel), never one per post: a post that went out on Bluesky and
//! failed on Mastodon is *partly published*, and a retry re-sends only the
//! Mastodon target. Every change is an [`Event`] in an audit trail a person
//! can read. A worker holds what it sends under a lease; when it dies, the
//! lease runs out, and the next worker that takes the target over knows it
//! may already be on the platform ([`ClaimKind::TakenOver`]) and sends it
//! again only under the same idempotency key ([`Store::key_of`]).
//!
//! Both backends run the same SQL (`$1` placeholders, `RETURNING`, `ON
//! CONFLICT`) through sqlx's `Any` driver; only claiming differs, where
//! PostgreSQL skips the rows other workers hold (`FOR UPDATE SKIP
//! LOCKED`) and SQLite claims in one write transaction at a time. Each
//! backend has its own versioned migrations, applied on open; a database
//! written by a newer tertulia is refused ([`Error::Newer`]), and so is one
//! that holds other tables ([`Error::NotTertulia`]). A capability keeps its
//! tables in a migration and its queries in a module of its own: the queue
//! ([`queue`](crate::Store::claim)), recurring series, metric snapshots.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use chrono::{TimeDelta, Utc};
//! use tertulia_store::{Channel, Content, NewPost, Outcome, Store, TargetState};
//! use tertulia_connect::{Connector, MemoryConnector};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open(dir.path().join("tertulia.db").to_str().unwrap()).await?;
//! store.add_channel(&Channel {
//!     name: "brand-bsky".into(), platform: tertulia_core::Platform::Bluesky,
//!     account: "brand.example".into(), zone: chrono_tz::Europe::Madrid, constraints: Default::default(),
//! }).await?;
//! let now = Utc::now();
//! let id = store.add_post(&NewPost {
//!     content: Content::text("Glow Serum is here ✨"), channels: vec!["brand-bsky".into()],
//!     at: Some(now), zone: chrono_tz::Europe::Madrid, approver: None, by: "ana".into(),
//! }).await?;
//!
//! // A worker claims what is due, publishes it and records the outcome.
//! let platform = MemoryConnector::new();
//! for claim in store.claim("worker:1", now, TimeDelta::minutes(5), 10).await? {
//!     let published = platform.publish(&claim.request).await.unwrap();
//!     store.record("worker:1", &claim, &Outcome::Published(published), now, &[]).await?;
//! }
//! assert_eq!(store.post(id).await?.targets[0].state, TargetState::Published);
//! assert_eq!(store.history(id).await?.len(), 3); // added, sending, published
//! # Ok::<(), tertulia_store::Error>(()) }).unwrap();
//! ```

mod db;
mod error;
mod metrics;
mod queue;
mod series;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use db::Backend;
pub use error::{Error, Result};
pub use metrics::{DueSnapshot, Snapshot};
pub use queue::{
    Approval, Channel, Claim, ClaimKind, Content, Event, Filter, NewPost, Outcome, Post, PostState,
    Recorded, Target, TargetState, shown,
};
pub use series::{NewSeries, Series};

/// The store: open it once and share it (it is cheap to clone; clones
/// share one pool of connections).
#[derive(Debug, Clone)]
pub struct Store {
    db: db::Db,
}

impl Store {
    /// The file the store is in when nothing else is said.
    pub const DEFAULT: &'static str = "tertulia.db";

    /// Opens (and creates or migrates) the store at `address`: a file path
    /// or `sqlite://PATH` for SQLite, `postgres://USER:PASSWORD@HOST/DB` for
    /// PostgreSQL.
    pub async fn open(address: &str) -> Result<Store> {
        Ok(Store {
            db: db::Db::open(address).await?,
        })
    }

    /// Which backend it is on.
    pub fn backend(&self) -> Backend {
        self.db.backend
    }

    /// Where it is, for people (never with a password).
    pub fn location(&self) -> &str {
        &self.db.location
    }

    /// Closes its connections, waiting for statements under way.
    pub async fn close(&self) {
        self.db.pool.close().await;
    }
}
