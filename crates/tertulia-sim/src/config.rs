//! What to simulate.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use chrono_tz::{America, Europe, Tz};
use serde::{Deserialize, Serialize};
use tertulia_core::{Audience, Handle, Platform, PostKind};

use crate::error::SimError;

/// The most weeks one simulation may cover (20 years).
pub const MAX_WEEKS: u32 = 1_040;
/// The most posts one account may publish in a week.
pub const MAX_POSTS_PER_WEEK: u32 = 100_000;

/// One of the brand's simulated accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountPlan {
    /// Its platform. Bluesky and Mastodon report no reach, impressions,
    /// clicks or saves; Instagram reports saves but no clicks; the others
    /// report everything but saves, as those platforms do.
    pub platform: Platform,
    /// Its handle.
    pub handle: Handle,
    /// The time zone it is run from.
    pub home: Tz,
    /// Where its followers live; it shapes when they engage.
    pub audience: Audience,
    /// Followers at the start of the period.
    pub followers: u64,
    /// Follower growth per week, as a fraction (0.004 is 0.4% a week).
    pub weekly_growth: f64,
    /// Posts published each week.
    pub posts_per_week: u32,
    /// Interactions (likes + comments + shares) per account reached, for a
    /// post in a slot whose profile value is 1 and a kind whose effect is 1.
    pub engagement_rate: f64,
    /// The formats it publishes and their weights.
    pub kind_mix: Vec<(PostKind, f64)>,
}

/// A planted crisis: a burst of negative mentions.
///
/// The rate of mentions about the brand is multiplied by
/// `1 + (peak_multiplier - 1) * s(t)`, where `s` rises linearly from 0 to 1
/// over `ramp_hours` from `start`, then halves every `half_life_hours`, and is
/// 0 from `start + duration_hours` on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrisisPlan {
    /// When it starts; `None` puts it 60% of the way into the period, at 09:00 UTC.
    pub start: Option<DateTime<Utc>>,
    /// Hours from the start to the peak.
    pub ramp_hours: u32,
    /// Hours for the excess to halve after the peak.
    pub half_life_hours: f64,
    /// Hours from the start to the end.
    pub duration_hours: u32,
    /// How many times the usual mention rate there is at the peak.
    pub peak_multiplier: f64,
    /// The share of crisis mentions that are negative.
    pub negative_share: f64,
}

impl Default for CrisisPlan {
    fn default() -> Self {
        CrisisPlan {
            start: None,
            ramp_hours: 3,
            half_life_hours: 10.0,
            duration_hours: 48,
            peak_multiplier: 10.0,
            negative_share: 0.85,
        }
    }
}

/// Everything that decides a simulated community. The same configuration
/// always gives the same community, item for item.
///
/// ```
/// use tertulia_sim::SimConfig;
///
/// let config = SimConfig::default().with_seed(42).with_weeks(8).with_posts_per_week(20);
/// assert!(config.validate().is_ok());
/// assert!(SimConfig::default().with_weeks(0).validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// The seed every random choice derives from.
    pub seed: u64,
    /// How many weeks the period covers.
    pub weeks: u32,
    /// When the period starts.
    pub start: DateTime<Utc>,
    /// The brand's name, used in the texts.
    pub brand: String,
    /// The brand's accounts.
    pub accounts: Vec<AccountPlan>,
    /// How many distinct people comment and mention the brand.
    pub people: u32,
    /// The share of comments that are abusive.
    pub abusive_share: f64,
    /// The share of abusive comments whose insult is disguised.
    pub evasive_share: f64,
    /// The share of comments that are spam.
    pub spam_share: f64,
    /// Every this many weeks a spam wave hits (0: never).
    pub spam_wave_every_weeks: u32,
    /// How many new accounts post the same text in a spam wave.
    pub spam_wave_size: u32,
    /// Mentions of the brand per hour when the audience is most active.
    pub mentions_per_hour: f64,
    /// The share of questions and complaints the brand answers (praise is
    /// answered a third as often; abuse and spam never).
    pub response_share: f64,
    /// The share of posts with one reported metric missing, as exports have.
    pub missing_share: f64,
    /// The planted crisis, if any.
    pub crisis: Option<CrisisPlan>,
}

impl Default for SimConfig {
    /// Aurora Cosmetics: a Facebook page run from Madrid, an Instagram account
    /// run from Mexico City and a Bluesky account run from New York, each with
    /// followers in several time zones, over 12 weeks from Monday 5 January
    /// 2026, with a crisis.
    fn default() -> Self {
        let audience = |w: &[(Tz, f64)]| {
            Audience::new(w.iter().copied()).expect("built-in audiences are valid")
        };
        let handle = |h: &str| Handle::new(h).expect("built-in handles are valid");
        SimConfig {
            seed: 0,
            weeks: 12,
            start: Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
            brand: "Aurora Cosmetics".to_owned(),
            accounts: vec![
                AccountPlan {
                    platform: Platform::Facebook,
                    handle: handle("aurora.es"),
                    home: Europe::Madrid,
                    audience: audience(&[
                        (Europe::Madrid, 0.6),
                        (America::Mexico_City, 0.25),
                        (America::New_York, 0.15),
                    ]),
                    followers: 25_000,
                    weekly_growth: 0.004,
                    posts_per_week: 10,
                    engagement_rate: 0.035,
                    kind_mix: vec![
                        (PostKind::Photo, 0.45),
                        (PostKind::Video, 0.2),
                        (PostKind::Link, 0.2),
                        (PostKind::Text, 0.15),
                    ],
                },
                AccountPlan {
                    platform: Platform::Instagram,
                    handle: handle("aurora.mx"),
                    home: America::Mexico_City,
                    audience: audience(&[
                        (America::Mexico_City, 0.7),
                        (America::Los_Angeles, 0.2),
                        (Europe::Madrid, 0.1),
                    ]),
                    followers: 40_000,
                    weekly_growth: 0.006,
                    posts_per_week: 12,
                    engagement_rate: 0.045,
                    kind_mix: vec![
                        (PostKind::Photo, 0.4),
                        (PostKind::Carousel, 0.25),
                        (PostKind::ShortVideo, 0.3),
                        (PostKind::Video, 0.05),
                    ],
                },
                AccountPlan {
                    platform: Platform::Bluesky,
                    handle: handle("aurora.bsky.social"),
                    home: America::New_York,
                    audience: audience(&[
                        (America::New_York, 0.55),
                        (America::Los_Angeles, 0.25),
                        (Europe::London, 0.2),
                    ]),
                    followers: 6_000,
                    weekly_growth: 0.01,
                    posts_per_week: 14,
                    engagement_rate: 0.03,
                    kind_mix: vec![
                        (PostKind::Text, 0.45),
                        (PostKind::Photo, 0.35),
                        (PostKind::Link, 0.2),
                    ],
                },
            ],
            people: 5_000,
            abusive_share: 0.03,
            evasive_share: 0.5,
            spam_share: 0.02,
            spam_wave_every_weeks: 2,
            spam_wave_size: 25,
            mentions_per_hour: 12.0,
            response_share: 0.6,
            missing_share: 0.01,
            crisis: Some(CrisisPlan::default()),
        }
    }
}

impl SimConfig {
    /// This configuration with another seed.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// This configuration over another number of weeks.
    #[must_use]
    pub fn with_weeks(mut self, weeks: u32) -> Self {
        self.weeks = weeks;
        self
    }

    /// This configuration with every account publishing `posts` a week.
    #[must_use]
    pub fn with_posts_per_week(mut self, posts: u32) -> Self {
        for a in &mut self.accounts {
            a.posts_per_week = posts;
        }
        self
    }

    /// This configuration with the first (main) account run from `zone`.
    #[must_use]
    pub fn with_home_zone(mut self, zone: Tz) -> Self {
        if let Some(a) = self.accounts.first_mut() {
            a.home = zone;
        }
        self
    }

    /// This configuration with no crisis.
    #[must_use]
    pub fn without_crisis(mut self) -> Self {
        self.crisis = None;
        self
    }

    /// The period the simulation covers: `weeks` weeks from `start`.
    pub fn period(&self) -> Result<tertulia_core::TimeRange, SimError> {
        tertulia_core::TimeRange::starting_at(self.start, TimeDelta::weeks(i64::from(self.weeks)))
            .map_err(|source| SimError::Core {
                field: "weeks".into(),
                source,
            })
    }

    /// Checks every setting; [`Simulation::new`](crate::Simulation::new) calls it.
    pub fn validate(&self) -> Result<(), SimError> {
        let setting = |field: &str, value: &dyn std::fmt::Display, expected| SimError::Setting {
            field: field.to_owned(),
            value: value.to_string(),
            expected,
        };
        if !(1..=MAX_WEEKS).contains(&self.weeks) {
            return Err(setting(
                "weeks",
                &self.weeks,
                "a whole number of weeks from 1 to 1040",
            ));
        }
        let period = self.period()?;
        if self.accounts.is_empty() {
            return Err(setting("accounts", &0, "at least one account"));
        }
        if self.people == 0 {
            return Err(setting("people", &0, "at least one person"));
        }
        share("abusive_share", self.abusive_share)?;
        share("evasive_share", self.evasive_share)?;
        share("spam_share", self.spam_share)?;
        share("response_share", self.response_share)?;
        share("missing_share", self.missing_share)?;
        if self.abusive_share + self.spam_share > 1.0 {
            return Err(setting(
                "abusive_share + spam_share",
                &(self.abusive_share + self.spam_share),
                "at most 1",
            ));
        }
        if !(0.0..=100_000.0).contains(&self.mentions_per_hour) {
            return Err(setting(
                "mentions_per_hour",
                &self.mentions_per_hour,
                "a number from 0 to 100000",
            ));
        }
        if self.spam_wave_size > 10_000 {
            return Err(setting(
                "spam_wave_size",
                &self.spam_wave_size,
                "at most 10000",
            ));
        }
        for (i, a) in self.accounts.iter().enumerate() {
            let field = |name: &str| format!("accounts[{i}].{name}");
            if a.posts_per_week > MAX_POSTS_PER_WEEK {
                return Err(setting(
                    &field("posts_per_week"),
                    &a.posts_per_week,
                    "at most 100000",
                ));
            }
            if a.followers > 10_000_000_000 {
                return Err(setting(&field("followers"), &a.followers, "at most 10^10"));
            }
            if !(-0.5..=0.5).contains(&a.weekly_growth) {
                return Err(setting(
                    &field("weekly_growth"),
                    &a.weekly_growth,
                    "a fraction from -0.5 to 0.5",
                ));
            }
            if !(a.engagement_rate > 0.0 && a.engagement_rate <= 0.5) {
                return Err(setting(
                    &field("engagement_rate"),
                    &a.engagement_rate,
                    "a rate above 0 and at most 0.5",
                ));
            }
            if a.kind_mix.is_empty() || a.kind_mix.iter().any(|(_, w)| !(w.is_finite() && *w > 0.0))
            {
                return Err(setting(
                    &field("kind_mix"),
                    &format!("{:?}", a.kind_mix),
                    "at least one kind, each with a positive finite weight",
                ));
            }
        }
        if let Some(c) = &self.crisis {
            if let Some(start) = c.start
                && !period.contains(start)
            {
                return Err(setting(
                    "crisis.start",
                    &start,
                    "an instant inside the simulated period",
                ));
            }
            if c.ramp_hours == 0 || c.ramp_hours > c.duration_hours || c.duration_hours > 24 * 90 {
                return Err(setting(
                    "crisis.ramp_hours/duration_hours",
                    &format!("{}/{}", c.ramp_hours, c.duration_hours),
                    "a ramp of at least 1 hour, within a duration of at most 90 days",
                ));
            }
            if !(c.half_life_hours.is_finite() && c.half_life_hours > 0.0) {
                return Err(setting(
                    "crisis.half_life_hours",
                    &c.half_life_hours,
                    "a positive number of hours",
                ));
            }
            if !(1.0..=1_000.0).contains(&c.peak_multiplier) {
                return Err(setting(
                    "crisis.peak_multiplier",
                    &c.peak_multiplier,
                    "a number from 1 to 1000",
                ));
            }
            share("crisis.negative_share", c.negative_share)?;
        }
        Ok(())
    }
}

fn share(field: &str, value: f64) -> Result<(), SimError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(SimError::Setting {
            field: field.to_owned(),
            value: value.to_string(),
            expected: "a share from 0 to 1",
        })
    }
}
