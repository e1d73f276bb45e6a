//! **Measure**: engagement KPI maths a community manager can trust.
//!
//! Sources disagree on the formulas, and most tools get the maths subtly
//! wrong: they average per-post ratios where a ratio of sums is meant (or
//! the other way round, without saying), treat a metric a platform did not
//! report as zero, or give 0 where a rate is undefined. This crate makes
//! each of those choices visible:
//!
//! - **Engagement is a definition** ([`Engagement`]): which interactions
//!   count (likes + comments + shares by default), and what a missing count
//!   does (by default the post is left out and counted as missing).
//! - **Every rate is reported both ways** ([`Rate`]): `ratio_of_sums`
//!   (Σ numerator / Σ denominator) and `mean_of_rates` (the mean of per-post
//!   rates). On the UCI Facebook data set engagement by reach is 1.53% one
//!   way and 2.42% the other; a report that prints one number must say which.
//! - **Undefined is not zero**: a zero denominator gives `None`; posts left
//!   out are counted (`missing`, `undefined`).
//! - **Every figure says how sure it is** ([`stats`]): Wilson intervals for
//!   proportions, exact Poisson intervals for counts per exposure, t
//!   intervals for means of rates, and tests that say whether two groups or
//!   two periods really differ.
//! - **Every aggregate is a mergeable, serializable accumulator**
//!   ([`RateTotals`], [`PostTotals`], [`Breakdown`], [`Kpis`], ...): compute
//!   by account, day or shard, checkpoint with serde, merge. Sums are kept as
//!   integers (rates in fixed point), so a merge equals one pass over
//!   everything exactly, in any order.
//!
//! The crate does no I/O: importers ([`import`]) read from any
//! `std::io::Read`, and time zones are passed in.
//!
//! # How do I get the KPIs of my posts?
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use tertulia_core::{AccountId, Author, Handle, Metric, Metrics, Platform, Post, PostId};
//! use tertulia_kpi::{Kpi, Kpis};
//!
//! let aurora = Author::new(AccountId::new("1")?, Handle::new("aurora")?).with_followers(20_000);
//! let at = Utc.with_ymd_and_hms(2026, 3, 3, 18, 0, 0).unwrap();
//! let metrics = Metrics::default()
//!     .with(Metric::Likes, 300).with(Metric::Comments, 25).with(Metric::Shares, 15)
//!     .with(Metric::Reach, 8_000).with(Metric::Impressions, 11_000);
//! let post = Post::new(PostId::new("1")?, Platform::Instagram, aurora, at, "").with_metrics(metrics);
//!
//! let mut kpis = Kpis::new(tertulia_core::chrono_tz::Europe::Madrid);
//! kpis.add_post(&post);
//! let report = kpis.report();
//! let by_reach = report.posts.rate(Kpi::EngagementByReach);
//! assert_eq!(by_reach.ratio_of_sums.unwrap().value, 340.0 / 8_000.0);
//! let interval = by_reach.ratio_of_sums.unwrap().interval.unwrap();
//! assert!(interval.low < 0.0425 && 0.0425 < interval.high);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How do I get one post's rate?
//!
//! [`Kpi::of`] gives any KPI of one post, `None` when it is undefined.
//! [`Kpi::formula`] says what it divides by what.
//!
//! # How do I compute KPIs by shard and combine them?
//!
//! Build a [`Kpis`] (or any accumulator) per shard with the same options,
//! serialize it if it must travel, and [`Kpis::merge`] them. Merging refuses
//! shards computed with different settings.
//!
//! # How do I read a Facebook Insights export?
//!
//! With [`import::read_facebook_insights`]; see its example. Empty cells
//! stay missing; a bad cell is an error naming its line and column.
//!
//! # How do I know whether video really does better than photos?
//!
//! Group by kind ([`Grouping::Kind`]) and call [`Breakdown::compare`]: it
//! compares both ways and says whether each difference is significant at
//! the chosen [`Confidence`]. Read [`Difference`] before trusting the
//! pooled test: with large audiences it calls nearly everything significant,
//! and the per-post test is the one that treats posts as the units.

mod account;
mod engagement;
mod error;
mod group;
mod hours;
pub mod import;
mod mentions;
mod rate;
mod report;
pub mod stats;
mod totals;
mod voice;

pub use account::{DailyEngagement, DayTotals, FollowerGrowth, FollowerSpan};
pub use engagement::{Engagement, INTERACTIONS, MissingCounts};
pub use error::{Error, Result};
pub use group::{
    Breakdown, Change, Difference, GroupKey, GroupReport, Grouping, PostRecord, PostView, Posted,
};
pub use hours::BusinessHours;
pub use mentions::{
    MentionReport, MentionTotals, NetSentiment, ResponseSummary, ResponseTimes, SentimentCounts,
};
pub use rate::{Estimate, Rate, RateKind, RateTotals};
pub use report::{AccountGrowth, HEADLINE, KpiOptions, KpiReport, Kpis};
pub use stats::{Comparison, Confidence, Interval, Test};
pub use totals::{Kpi, PostReport, PostTotals};
pub use voice::{BrandShare, ShareOfVoice, Voice};
