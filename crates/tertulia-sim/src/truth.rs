//! What the simulation planted, so that tests and the demo can check that the
//! other crates recover it.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tertulia_core::{Handle, Language, Metric, Platform, Polarity, PostKind, TimeRange};

use crate::profile::{SlotValue, WeeklyProfile};

/// The planted truth of a whole simulation. It is small and known before any
/// post is generated; the truth about each item comes with the item
/// ([`PostTruth`], [`MentionTruth`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// The seed.
    pub seed: u64,
    /// The simulated period.
    pub period: TimeRange,
    /// When the metrics and responses were observed: the end of the period
    /// plus the longest comment delay, so every comment has arrived.
    pub observed_at: DateTime<Utc>,
    /// One entry per account, in configuration order.
    pub accounts: Vec<AccountTruth>,
    /// How much each kind multiplies the engagement rate.
    pub kind_effects: BTreeMap<PostKind, f64>,
    /// How interactions split between likes, comments and shares.
    pub interaction_split: InteractionSplit,
    /// How much paid promotion multiplies a Facebook post's reach.
    pub paid_reach_multiplier: f64,
    /// The total number of posts.
    pub posts: u64,
    /// The planted crisis, if any.
    pub crisis: Option<CrisisTruth>,
    /// The planted spam waves, in time order.
    pub spam_waves: Vec<SpamWaveTruth>,
}

impl Truth {
    /// The expected interactions (likes + comments + shares) per account
    /// reached of a post by `account` in local slot (`weekday`, `hour`) of
    /// `kind`.
    pub fn expected_rate(&self, account: usize, weekday: Weekday, hour: u8, kind: PostKind) -> f64 {
        let a = &self.accounts[account];
        a.engagement_rate * a.profile.get(weekday, hour) * self.kind_effects[&kind]
    }
}

/// The planted truth of one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountTruth {
    /// Its handle.
    pub handle: Handle,
    /// Its platform.
    pub platform: Platform,
    /// The zone its profile is planted in.
    pub home: Tz,
    /// Its base engagement rate.
    pub engagement_rate: f64,
    /// The engagement profile by local slot.
    pub profile: WeeklyProfile,
    /// The five best slots of the profile, best first; the first is the
    /// planted sweet spot.
    pub best_slots: Vec<SlotValue>,
    /// Followers at the start of the period.
    pub followers_start: u64,
    /// Followers at the end of the period.
    pub followers_end: u64,
}

/// The expected split of interactions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct InteractionSplit {
    /// The share that are likes.
    pub likes: f64,
    /// The share that are comments.
    pub comments: f64,
    /// The share that are shares.
    pub shares: f64,
}

/// The planted crisis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrisisTruth {
    /// When the excess of mentions begins.
    pub start: DateTime<Utc>,
    /// When it is largest.
    pub peak: DateTime<Utc>,
    /// When it is over.
    pub end: DateTime<Utc>,
    /// How many times the usual rate there is at the peak.
    pub peak_multiplier: f64,
    /// The share of crisis mentions that are negative.
    pub negative_share: f64,
    /// The words the crisis texts use.
    pub keywords: Vec<String>,
}

/// A planted spam wave: the same text from many new accounts within minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpamWaveTruth {
    /// Its number, which its comments carry in [`MentionTruth::spam_wave`].
    pub wave: u32,
    /// When its first comment may arrive.
    pub start: DateTime<Utc>,
    /// How many accounts take part.
    pub size: u32,
}

/// The truth about one generated post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostTruth {
    /// The index of its account in the configuration.
    pub account: usize,
    /// Its local weekday in the account's zone.
    pub weekday: Weekday,
    /// Its local hour in the account's zone.
    pub hour: u8,
    /// The planted expected interactions per account reached.
    pub expected_rate: f64,
    /// How many accounts it really reached (also for platforms that do not report reach).
    pub reach: u64,
    /// How many comments it really received: the comments generated under it.
    pub comments: u64,
    /// The metric planted as missing in its report, if any.
    pub hidden: Option<Metric>,
}

/// What a comment or mention is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// Ordinary praise, questions and complaints.
    Benign,
    /// An insult aimed at someone.
    Abusive,
    /// Unsolicited advertising.
    Spam,
}

/// How an abusive word was disguised to slip past a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evasion {
    /// Digits and symbols for letters: `1d10t`.
    Leetspeak,
    /// Letters from other scripts that look the same: Cyrillic `о` for `o`.
    Lookalike,
    /// Invisible characters between the letters.
    ZeroWidth,
    /// Letters separated by spaces or dots: `i d i o t`.
    Spacing,
    /// Letters repeated: `idiooooot`.
    Repetition,
    /// Fullwidth forms: `ｉｄｉｏｔ`.
    Fullwidth,
    /// Accents added to the vowels: `ídíót`.
    Accents,
}

impl Evasion {
    /// Every disguise.
    pub const ALL: [Evasion; 7] = [
        Evasion::Leetspeak,
        Evasion::Lookalike,
        Evasion::ZeroWidth,
        Evasion::Spacing,
        Evasion::Repetition,
        Evasion::Fullwidth,
        Evasion::Accents,
    ];

    /// The snake-case name.
    pub fn name(self) -> &'static str {
        match self {
            Evasion::Leetspeak => "leetspeak",
            Evasion::Lookalike => "lookalike",
            Evasion::ZeroWidth => "zero_width",
            Evasion::Spacing => "spacing",
            Evasion::Repetition => "repetition",
            Evasion::Fullwidth => "fullwidth",
            Evasion::Accents => "accents",
        }
    }
}

impl fmt::Display for Evasion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The truth about one generated mention or comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MentionTruth {
    /// Benign, abusive or spam.
    pub label: Label,
    /// The sentiment it was written with.
    pub polarity: Polarity,
    /// Its language.
    pub language: Language,
    /// For abusive items, the insult as a plain word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term: Option<String>,
    /// For disguised insults, how it was disguised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evasion: Option<Evasion>,
    /// True when the crisis caused it.
    pub crisis: bool,
    /// The spam wave it belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spam_wave: Option<u32>,
}
