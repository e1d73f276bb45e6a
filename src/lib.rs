//! tertulia: a toolkit for the people who run online communities for a brand.
//!
//! This facade re-exports each tertulia crate as a module behind a feature of
//! the same name (all on by default), so one dependency brings the whole
//! toolkit and `default-features = false` with a list of features brings just
//! what you use. Depending on a single crate (`tertulia-core`, `tertulia-sim`,
//! ...) works just as well; the facade holds no logic of its own.
//!
//! | module | crate | what it does |
//! |---|---|---|
//! | [`core`] | `tertulia-core` | the shared vocabulary: platforms, accounts, posts, mentions, metrics |
//! | [`sim`] | `tertulia-sim` | a seeded simulated community with a planted truth |
//! | [`connect`] | `tertulia-connect` | the `Connector` trait, its layers and an in-memory platform |
//! | [`bluesky`] | `tertulia-bluesky` | the Bluesky connector |
//! | [`mastodon`] | `tertulia-mastodon` | the Mastodon connector |
//! | [`kpi`] | `tertulia-kpi` | engagement KPI maths |
//! | [`schedule`] | `tertulia-schedule` | the best time to publish, and the publishing planner |
//! | [`moderation`] | `tertulia-moderation` | the moderation rules engine |
//! | [`sentiment`] | `tertulia-sentiment` | lexicon sentiment for English and Spanish |
//! | [`crisis`] | `tertulia-crisis` | crisis detection, incidents, escalation and notifiers |
//! | [`store`] | `tertulia-store` | durable state on SQLite or PostgreSQL: the publishing queue, its audit trail, metric snapshots |
//! | [`worker`] | `tertulia-worker` | publishes the stored calendar at its time, exactly once, and reads back metrics |
//!
//! ```
//! # #[cfg(feature = "sim")] {
//! use tertulia::sim::{SimConfig, Simulation};
//!
//! let community = Simulation::new(SimConfig::default().with_seed(7).with_weeks(2))?;
//! let posts: Vec<tertulia::core::Post> = community.posts().collect();
//! assert_eq!(posts.len() as u64, community.truth().posts);
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "bluesky")]
pub use tertulia_bluesky as bluesky;
#[cfg(feature = "connect")]
pub use tertulia_connect as connect;
#[cfg(feature = "core")]
pub use tertulia_core as core;
#[cfg(feature = "crisis")]
pub use tertulia_crisis as crisis;
#[cfg(feature = "kpi")]
pub use tertulia_kpi as kpi;
#[cfg(feature = "mastodon")]
pub use tertulia_mastodon as mastodon;
#[cfg(feature = "moderation")]
pub use tertulia_moderation as moderation;
#[cfg(feature = "schedule")]
pub use tertulia_schedule as schedule;
#[cfg(feature = "sentiment")]
pub use tertulia_sentiment as sentiment;
#[cfg(feature = "sim")]
pub use tertulia_sim as sim;
#[cfg(feature = "store")]
pub use tertulia_store as store;
#[cfg(feature = "worker")]
pub use tertulia_worker as worker;

/// The README's examples, compiled and run as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
