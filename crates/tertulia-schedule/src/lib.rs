//! **Schedule**: the best time to publish, with its uncertainty.
//!
//! Tools rank weekday × hour slots by their historical average and show the
//! ranking without any uncertainty. On real accounts that is mostly noise:
//! most slots hold a handful of posts, many hold none. This crate fits a
//! model that says how sure it is, and checks itself on held-out time.
//!
//! # The method
//!
//! [`SlotStats`] keeps, per weekly slot (15, 30 or 60 minutes, in the
//! account's local time) and per post kind, recency-weighted sums of a
//! per-post outcome (by default engagement by reach). It merges and
//! serializes. [`SlotStats::fit`] then:
//!
//! 1. optionally divides out each post kind's effect;
//! 2. estimates the account's level and the spread of single posts within
//!    a slot;
//! 3. shrinks weekday and hour means towards the level, and takes their sum
//!    as each slot's prior (or an audience-activity prior, for cold start);
//! 4. shrinks each slot towards its prior by how much evidence it holds
//!    (empirical Bayes: the spread of true slot means is estimated from the
//!    data by the method of moments);
//! 5. states an interval for each slot and a verdict: better than the
//!    account's level, worse, or not enough evidence.
//!
//! A slot with no posts gets its prior and a wide interval; a slot with one
//! lucky post barely moves. [`BestTimes::has_evidence`] says whether any
//! slot is really better; when none is, say so instead of ranking noise.
//!
//! # How do I find an account's best times?
//!
//! ```
//! use tertulia_schedule::{FitOptions, Outcome, SlotStats};
//! use tertulia_sim::{SimConfig, Simulation};
//!
//! let sim = Simulation::new(SimConfig::default().with_weeks(26))?;
//! let account = &sim.accounts()[0];
//! let mut stats = SlotStats::new(account.time_zone)?;
//! for post in sim.posts().filter(|p| p.author.handle == account.profile.handle) {
//!     stats.add_post(&post, &Outcome::default()); // engagement by reach
//! }
//! let best = stats.fit(&FitOptions { control_kind: true, ..FitOptions::default() })?;
//! for slot in best.better().take(3) {
//!     println!("{}: {:.2}% [{:.2}, {:.2}]", slot.slot, 100.0 * slot.estimate, 100.0 * slot.low, 100.0 * slot.high);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How do I know the model works on my account?
//!
//! Run [`backtest`]: it trains on the posts before a cutoff and tests on
//! the rest, against random slots and naive slot means, and reports how
//! often the stated intervals held.
//!
//! # How do I plan a calendar?
//!
//! Describe [`Channel`]s with their [`Constraints`], give [`Draft`]s and
//! [`Recurring`] posts, and call [`Planner::plan`], optionally with each
//! channel's fitted model ([`Planner::with_model`]). Every [`Assignment`]
//! says why it went where it did; what cannot be placed is listed in
//! [`Plan::unplaced`] with the constraint that stopped it, and the rest is
//! placed all the same.
//!
//! # How do I serve audiences in several time zones?
//!
//! [`plan_for_audiences`] scores each slot for each zone of the account's
//! `Audience` by when that audience is online, and picks a combined set.

mod audience;
mod backtest;
mod error;
mod model;
mod planner;
mod recurrence;
mod slot;

pub use audience::{Activity, AudiencePlan, AudienceSlot, AudienceSlots, plan_for_audiences};
pub use backtest::{Backtest, BacktestOptions, Ranking, backtest, spearman};
pub use error::{Error, Result};
pub use model::{
    BestTimes, FitOptions, Observation, Outcome, SlotEstimate, SlotStats, StatsOptions, Sums,
    Verdict,
};
pub use planner::{
    Assignment, Channel, Constraints, DatedBlackout, Draft, Evergreen, Plan, Planner, QuietHours,
    Recurring, Unplaced, WeeklyWindow,
};
pub use recurrence::{LocalTime, Recurrence};
pub use slot::{Slot, SlotWidth};
