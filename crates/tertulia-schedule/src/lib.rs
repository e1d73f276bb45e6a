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

mod audience;
mod backtest;
mod error;
mod model;
mod planner;
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
    Recurring, WeeklyWindow,
};
pub use slot::{Slot, SlotWidth};
