//! The shared vocabulary of tertulia: the words every other crate speaks.
//!
//! Connectors produce these types, and the KPI, scheduling, moderation and
//! crisis crates consume them. Keeping them in one small crate with no I/O
//! means that a third-party connector or a data pipeline can depend on the
//! vocabulary without pulling in any algorithm or HTTP stack.
//!
//! Three rules shape every type here:
//!
//! - **Missing is not zero.** A count a platform did not report is `None`
//!   ([`Metrics`]), and code downstream counts it as missing.
//! - **Checked once, trusted after.** Identifiers, handles, language tags,
//!   sentiment scores, audiences and time ranges are checked when they are
//!   made, including when they are deserialized, and the error says which
//!   field was wrong and what to do.
//! - **Instants are UTC; people's times are named zones.** Every instant is a
//!   `DateTime<Utc>`; an account carries the IANA zone ([`chrono_tz::Tz`]) its
//!   calendar is planned in. "Now" comes from an injected [`Clock`].
//!
//! # Example: a post, a comment and their JSON
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use tertulia_core::*;
//!
//! let brand = Author::new(AccountId::new("1")?, Handle::new("aurora.bsky.social")?)
//!     .with_followers(6_000);
//! let at = Utc.with_ymd_and_hms(2026, 3, 3, 18, 0, 0).unwrap();
//! let post = Post::new(PostId::new("p1")?, Platform::Bluesky, brand, at, "New serum ✨")
//!     .with_kind(PostKind::Photo)
//!     .with_metrics(Metrics::default().with(Metric::Likes, 87).with(Metric::Comments, 4));
//!
//! let fan = Author::new(AccountId::new("2")?, Handle::new("@ana.bsky.social")?);
//! let comment = Mention::new(MentionId::new("c1")?, Platform::Bluesky, fan, at + TimeDelta::minutes(5), "Love it")
//!     .replying_to(post.id.clone());
//!
//! // Bluesky reports no reach: it stays missing, it does not become 0.
//! assert_eq!(post.metrics.get(Metric::Reach), None);
//! assert_eq!(comment.in_reply_to.as_ref(), Some(&post.id));
//!
//! let json = serde_json::to_string(&post).unwrap();
//! assert_eq!(serde_json::from_str::<Post>(&json).unwrap(), post);
//! # Ok::<(), tertulia_core::Error>(())
//! ```

mod account;
mod error;
mod id;
pub mod lanes;
mod mention;
mod metrics;
mod platform;
mod post;
mod secret;
mod text;
mod time;

pub use account::{Account, Audience, AudienceShare, Author, AuthorFlags};
pub use error::{Error, Result};
pub use id::{AccountId, Handle, Language, MentionId, PostId};
pub use mention::{Comment, Mention, MentionKind, Polarity, Sentiment};
pub use metrics::{Metric, Metrics};
pub use platform::Platform;
pub use post::{Post, PostKind};
pub use secret::Secret;
pub use text::{decode_entities, thousands};
pub use time::{Clock, ManualClock, SystemClock, TimeRange, local_instant, retry_after, time_zone};

/// Re-exported so users name the same `Tz` type the vocabulary uses.
pub use chrono_tz;
