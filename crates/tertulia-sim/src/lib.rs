//! A seeded, deterministic simulated community with a planted truth.
//!
//! Real data never says what the right answer is. A simulated community does:
//! this crate plants a known truth (the best slots to publish, the effect of
//! each post format, abusive and spam comments and how they are disguised, a
//! crisis at a known time), generates the posts and mentions that truth
//! implies, and hands the truth over. Tests, benchmarks and the demo then
//! check that the other tertulia crates recover it.
//!
//! - **Deterministic.** One seed decides everything; the same configuration
//!   gives the same community, byte for byte.
//! - **Realistic where it matters.** Followers live in several IANA time zones
//!   and engage by their local hour and weekday; platforms report the metrics
//!   they really report (Bluesky has no reach); some metrics go missing as in
//!   real exports; people write in English and Spanish; insults come disguised
//!   with leetspeak, lookalike letters and invisible characters.
//! - **Any size.** Posts and mentions are generated as they are read, from
//!   independent streams per account and week, so millions of posts need no
//!   memory and any range of weeks can be generated alone.
//!
//! # Example: does the planted best slot engage most?
//!
//! ```
//! use tertulia_sim::{SimConfig, Simulation};
//!
//! let sim = Simulation::new(SimConfig::default().with_seed(7).with_weeks(8))?;
//! let truth = sim.truth();
//! let best = truth.accounts[0].best_slots[0];
//! println!("{} is best at {:?} {}:00", truth.accounts[0].handle, best.weekday, best.hour);
//!
//! for (post, planted) in sim.labelled_posts().take(3) {
//!     println!("{} {} expects {:.2}%", post.created_at, post.kind, 100.0 * planted.expected_rate);
//! }
//! # Ok::<(), tertulia_sim::SimError>(())
//! ```

mod config;
mod error;
mod profile;
mod simulate;
mod text;
mod truth;

pub use config::{AccountPlan, CrisisPlan, MAX_POSTS_PER_WEEK, MAX_WEEKS, SimConfig};
pub use error::SimError;
pub use profile::{SWEET_SPOT_BOOST, SlotValue, WeeklyProfile};
pub use simulate::{Mentions, Simulation};
pub use truth::{
    AccountTruth, CrisisTruth, Evasion, InteractionSplit, Label, MentionTruth, PostTruth,
    SpamWaveTruth, Truth,
};
