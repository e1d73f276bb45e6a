//! **Answer a crisis**: see a spike of mentions coming, score it, alert once.
//!
//! A brand's mentions have a rhythm: busier by day, quieter at night,
//! different at the weekend. A crisis is a break from that rhythm: a burst
//! nobody expected, or a rise that keeps going. This crate judges each bucket
//! of mentions against the same time on previous days ([`detect`]), scores how
//! surprising it is, and turns the score into one alert per burst, with a
//! severity. It does no I/O and reads no clock: time comes with the data, and
//! every state serializes so a restart goes on where it stopped.
//!
//! [`incident`] opens incidents from alerts and escalates them through a
//! policy; [`notify`] tells people (Slack, PagerDuty, signed webhooks)
//! through an outbox that loses no alert. The notifiers are the one part that
//! talks to the network, behind the `http` feature (on by default); their
//! formats and the outbox are pure and take the time as an argument.
//!
//! [`nab`] holds the Numenta Anomaly Benchmark's scorer, so the detector can
//! be measured as the published ones were (see the README for the table).
//!
//! # Example
//!
//! ```
//! use chrono::{TimeDelta, TimeZone, Utc};
//! use tertulia_crisis::detect::{CrisisDetector, DetectorConfig};
//!
//! let mut detector = CrisisDetector::new(DetectorConfig::default())?;
//! let start = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
//! for i in 0..3 * 288 {
//!     let a = detector.push(start + TimeDelta::minutes(5 * i), 12.0)?;
//!     assert!(!a.alerting, "a flat stream never alerts");
//! }
//! # Ok::<(), tertulia_crisis::Error>(())
//! ```

pub mod detect;
mod error;
mod grid;
pub mod incident;
pub mod nab;
pub mod notify;
pub mod signals;
pub mod watch;

pub use error::{Error, Result};
pub use grid::Grid;
