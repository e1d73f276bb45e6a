//! The publishing planner: drafts onto a calendar, under constraints, each
//! placement explained.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tertulia_core::{Platform, TimeRange, local_instant};

use crate::error::{Error, Result};
use crate::model::BestTimes;
use crate::slot::SlotWidth;

/// A recurring weekly window in a channel's local time, such as a team
/// meeting every Monday 10:00-11:00.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyWindow {
    /// The local weekday.
    pub weekday: Weekday,
    /// The local start.
    pub start: NaiveTime,
    /// The local end, after the start.
    pub end: NaiveTime,
    /// What it is, as explanations name it.
    pub label: String,
}

/// A dated blackout, such as a product recall or a national day of mourning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatedBlackout {
    /// When.
    pub range: TimeRange,
    /// What it is.
    pub label: String,
}

/// Local hours with no publishing; may wrap midnight (22:00 to 07:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// The local start.
    pub start: NaiveTime,
    /// The local end.
    pub end: NaiveTime,
}

impl QuietHours {
    fn contains(&self, t: NaiveTime) -> bool {
        if self.start <= self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }
}

/// What a channel's calendar must respect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraints {
    /// At most this many posts a local day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_day: Option<u32>,
    /// At least this many minutes between two posts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_gap_minutes: Option<u32>,
    /// Recurring weekly windows with no publishing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weekly_blackouts: Vec<WeeklyWindow>,
    /// Dated windows with no publishing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blackouts: Vec<DatedBlackout>,
    /// Local hours with no publishing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
}

/// Where posts go: an account on a platform, run in a named time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Channel {
    /// Its name in drafts and plans.
    pub id: String,
    /// The platform.
    pub platform: Platform,
    /// The account's handle.
    pub account: String,
    /// The zone its calendar, quotas and blackouts are read in.
    pub zone: Tz,
    /// Its constraints.
    #[serde(default)]
    pub constraints: Constraints,
}

/// Reposting of evergreen content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evergreen {
    /// Days to wait after a post before the repost.
    pub cooldown_days: u32,
    /// Reposts at most.
    pub max_reposts: u32,
}

/// A post to place on the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    /// Its name.
    pub id: String,
    /// The platform it is for.
    pub platform: Platform,
    /// The channel it must go to; `None`: any channel of its platform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Higher goes first. Default 0.
    #[serde(default)]
    pub priority: i32,
    /// Not before.
    pub earliest: DateTime<Utc>,
    /// Not after.
    pub latest: DateTime<Utc>,
    /// Repost it, if evergreen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evergreen: Option<Evergreen>,
    /// What it says, carried to its assignments (the planner does not read
    /// it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A post published every week at the same local time in its channel's
/// zone: stored as wall-clock time and zone, so it does not drift an hour
/// when DST starts or ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recurring {
    /// Its name.
    pub id: String,
    /// The channel.
    pub channel: String,
    /// The local weekday.
    pub weekday: Weekday,
    /// The local time. On the night clocks skip it, it goes out at the first
    /// time that exists after it; on the night it happens twice, at the first.
    pub time: NaiveTime,
    /// What it says, carried to its assignments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// One post on the calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// The draft (or recurring post).
    pub draft: String,
    /// 0 for the first publication, 1 for the first repost, ...
    pub repost: u32,
    /// The channel.
    pub channel: String,
    /// When, in UTC.
    pub at: DateTime<Utc>,
    /// When, in the channel's local time, for people.
    pub local: String,
    /// The best-time model's estimate for the slot, if the channel has one.
    pub estimate: Option<f64>,
    /// Why it went there.
    pub why: String,
    /// What it says: the draft's or recurring post's text, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A post the plan could not place, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Unplaced {
    /// A draft: every candidate time of its window is ruled out, its window
    /// is outside the horizon, or it names no channel there is.
    Draft {
        /// The draft's id.
        draft: String,
        /// Why, and what to relax.
        reason: String,
    },
    /// An evergreen repost that did not fit (often: its cooldown ends after
    /// the horizon).
    Repost {
        /// The draft's id.
        draft: String,
        /// Which repost (1 for the first).
        repost: u32,
        /// Why.
        reason: String,
    },
    /// One week of a recurring post, left out because its time falls in a
    /// blackout or quiet hours, or would break the channel's limits: a
    /// recurring post keeps its time, so it is not moved.
    Recurring {
        /// The recurring post's id.
        draft: String,
        /// When it would have gone out, in UTC.
        at: DateTime<Utc>,
        /// The same in the channel's local time, for people.
        local: String,
        /// Why.
        reason: String,
    },
}

impl Unplaced {
    /// The id of the draft or recurring post.
    pub fn draft(&self) -> &str {
        match self {
            Unplaced::Draft { draft, .. }
            | Unplaced::Repost { draft, .. }
            | Unplaced::Recurring { draft, .. } => draft,
        }
    }

    /// Why it was not placed.
    pub fn reason(&self) -> &str {
        match self {
            Unplaced::Draft { reason, .. }
            | Unplaced::Repost { reason, .. }
            | Unplaced::Recurring { reason, .. } => reason,
        }
    }
}

impl fmt::Display for Unplaced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unplaced::Draft { draft, reason } => write!(f, "draft {draft:?}: {reason}"),
            Unplaced::Repost {
                draft,
                repost,
                reason,
            } => write!(f, "repost {repost} of {draft:?}: {reason}"),
            Unplaced::Recurring {
                draft,
                local,
                reason,
                ..
            } => write!(f, "recurring {draft:?} on {local}: {reason}"),
        }
    }
}

/// A calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Every post, in time order.
    pub assignments: Vec<Assignment>,
    /// What could not be placed, each with why: drafts, then recurring
    /// weeks, then evergreen reposts.
    pub unplaced: Vec<Unplaced>,
}

impl Plan {
    /// The drafts that could not be placed (not reposts or recurring weeks).
    pub fn unplaced_drafts(&self) -> impl Iterator<Item = &Unplaced> {
        self.unplaced
            .iter()
            .filter(|u| matches!(u, Unplaced::Draft { .. }))
    }
}

/// One candidate time of a channel.
#[derive(Debug, Clone)]
struct Candidate {
    at: DateTime<Utc>,
    day: NaiveDate,
    score: f64,
    estimate: Option<f64>,
    blocked: Option<Rc<str>>,
}

struct ChannelState {
    channel: Channel,
    candidates: Vec<Candidate>,
    placed: BTreeSet<DateTime<Utc>>,
    per_day: BTreeMap<NaiveDate, u32>,
}

/// Why a candidate time was passed over.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Ruled {
    Blocked(Rc<str>),
    DayFull(u32),
    Gap(u32),
    Taken,
}

impl Ruled {
    fn describe(&self) -> String {
        match self {
            Ruled::Blocked(label) => label.to_string(),
            Ruled::DayFull(n) => format!("the maximum of {n} posts a day"),
            Ruled::Gap(m) => format!("the minimum gap of {m} minutes"),
            Ruled::Taken => "another post at the same time".into(),
        }
    }

    /// The same, as a sentence about one time.
    fn sentence(&self) -> String {
        match self {
            Ruled::Blocked(label) => format!("its time falls in {label}"),
            Ruled::DayFull(n) => format!("its day already holds the maximum of {n} posts"),
            Ruled::Gap(m) => format!("another post is within the minimum gap of {m} minutes"),
            Ruled::Taken => "another post is at the same time".into(),
        }
    }
}

/// Places drafts on a calendar over a horizon.
///
/// Deterministic: drafts go in order of priority (highest first), then
/// deadline, then id; each takes the free candidate time in its window with
/// the best model estimate (the earliest on ties, or when the channel has no
/// model). Candidate times are the slot starts of the channel's model grid
/// (hourly without a model) in its local time. Recurring posts go first, at
/// their own time, each week that no constraint rules out; evergreen
/// reposts go after every draft. What cannot be placed is listed in
/// [`Plan::unplaced`] with why, and the rest is placed all the same.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tertulia_core::{chrono_tz::Europe::Madrid, Platform};
/// use tertulia_schedule::{Channel, Constraints, Draft, Planner};
///
/// let channel = Channel {
///     id: "fb".into(), platform: Platform::Facebook, account: "aurora.es".into(), zone: Madrid,
///     constraints: Constraints { max_per_day: Some(1), ..Constraints::default() },
/// };
/// let start = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
/// let planner = Planner::new(vec![channel], start, 7)?;
/// let draft = |id: &str| Draft {
///     id: id.into(), platform: Platform::Facebook, channel: None, priority: 0,
///     earliest: start, latest: start + chrono::TimeDelta::days(7), evergreen: None, text: None,
/// };
/// let plan = planner.plan(&[draft("a"), draft("b")], &[])?;
/// // One a day: the second draft goes the next day.
/// assert_eq!(plan.assignments[1].local, "Tue 2026-03-03 00:00 Europe/Madrid");
/// # Ok::<(), tertulia_schedule::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Planner {
    channels: Vec<Channel>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    models: BTreeMap<String, BestTimes>,
    booked: BTreeMap<String, Vec<DateTime<Utc>>>,
}

impl Planner {
    /// A planner over `days` days from `start` (1 to 3660).
    pub fn new(channels: Vec<Channel>, start: DateTime<Utc>, days: u32) -> Result<Self> {
        if !(1..=3660).contains(&days) {
            return Err(Error::Setting {
                field: "planning horizon",
                value: format!("{days} days"),
                expected: "plan between 1 and 3660 days",
            });
        }
        let mut ids = BTreeSet::new();
        for c in &channels {
            if !ids.insert(c.id.as_str()) {
                return Err(Error::Setting {
                    field: "channel id",
                    value: c.id.clone(),
                    expected: "give each channel a different id",
                });
            }
            for w in &c.constraints.weekly_blackouts {
                if w.start >= w.end {
                    return Err(Error::Setting {
                        field: "weekly blackout",
                        value: format!("{} {}-{} on channel {}", w.weekday, w.start, w.end, c.id),
                        expected: "the end must come after the start on the same day",
                    });
                }
            }
            if c.constraints.max_per_day == Some(0) {
                return Err(Error::Setting {
                    field: "max posts a day",
                    value: format!("0 on channel {}", c.id),
                    expected: "allow at least one post a day, or leave the channel out",
                });
            }
        }
        Ok(Planner {
            channels,
            start,
            end: start + TimeDelta::days(i64::from(days)),
            models: BTreeMap::new(),
            booked: BTreeMap::new(),
        })
    }

    /// Counts posts already on the calendar (channel, time): hand-timed
    /// posts in a store's queue, so that planned and hand-timed posts share
    /// the quotas and gaps.
    pub fn with_booked(
        mut self,
        booked: impl IntoIterator<Item = (String, DateTime<Utc>)>,
    ) -> Result<Self> {
        for (channel, at) in booked {
            if !self.channels.iter().any(|c| c.id == channel) {
                return Err(Error::UnknownChannel {
                    draft: "(booked)".into(),
                    channel,
                });
            }
            self.booked.entry(channel).or_default().push(at);
        }
        Ok(self)
    }

    /// Uses `model` to score the candidate times of `channel`.
    pub fn with_model(mut self, channel: &str, model: BestTimes) -> Result<Self> {
        if !self.channels.iter().any(|c| c.id == channel) {
            return Err(Error::UnknownChannel {
                draft: "(model)".into(),
                channel: channel.into(),
            });
        }
        self.models.insert(channel.to_owned(), model);
        Ok(self)
    }

    fn state(&self, channel: &Channel) -> ChannelState {
        let model = self.models.get(&channel.id);
        let width = model.map_or(SlotWidth::Hour, |m| m.width);
        let estimates: Option<Vec<f64>> =
            model.map(|m| m.by_index().iter().map(|s| s.estimate).collect());
        let zone = channel.zone;
        let first = self.start.with_timezone(&zone).date_naive();
        let last = self.end.with_timezone(&zone).date_naive();
        let blackouts = Blackouts::new(&channel.constraints);
        let mut candidates = Vec::new();
        let mut day = first;
        while day <= last {
            for i in 0..width.per_day() {
                let minute = i as u32 * u32::from(width.minutes());
                let time =
                    NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).expect("a time of day");
                let at = local_instant(zone, day.and_time(time));
                if at < self.start || at >= self.end {
                    continue;
                }
                let local = at.with_timezone(&zone);
                let estimate = estimates.as_ref().map(|e| e[width.index_at(at, zone)]);
                candidates.push(Candidate {
                    at,
                    day: local.date_naive(),
                    score: estimate.unwrap_or(0.0),
                    estimate,
                    blocked: blackouts.at(at, local.weekday(), local.time()),
                });
            }
            day = match day.checked_add_days(Days::new(1)) {
                Some(d) => d,
                None => break,
            };
        }
        // A slot skipped by DST lands on the next one: keep one of each.
        candidates.sort_by_key(|c| c.at);
        candidates.dedup_by_key(|c| c.at);
        let mut placed = BTreeSet::new();
        let mut per_day: BTreeMap<NaiveDate, u32> = BTreeMap::new();
        for at in self.booked.get(&channel.id).into_iter().flatten() {
            placed.insert(*at);
            *per_day
                .entry(at.with_timezone(&zone).date_naive())
                .or_default() += 1;
        }
        ChannelState {
            channel: channel.clone(),
            candidates,
            placed,
            per_day,
        }
    }

    /// Places `recurring` posts, then `drafts`, then evergreen reposts. A
    /// recurring post that names no channel is an error; anything else that
    /// cannot be placed goes to [`Plan::unplaced`].
    pub fn plan(&self, drafts: &[Draft], recurring: &[Recurring]) -> Result<Plan> {
        let mut states: Vec<ChannelState> = self.channels.iter().map(|c| self.state(c)).collect();
        let mut assignments = Vec::new();
        let mut unplaced = Vec::new();

        for r in recurring {
            let Some(ch) = states.iter().position(|s| s.channel.id == r.channel) else {
                return Err(Error::UnknownChannel {
                    draft: r.id.clone(),
                    channel: r.channel.clone(),
                });
            };
            let zone = states[ch].channel.zone;
            let mut day = self.start.with_timezone(&zone).date_naive();
            while day.weekday() != r.weekday {
                day = day.succ_opt().expect("a date before the end of time");
            }
            loop {
                let at = local_instant(zone, day.and_time(r.time));
                if at >= self.end {
                    break;
                }
                if at >= self.start {
                    let s = &mut states[ch];
                    let local = at.with_timezone(&zone);
                    let blackouts = Blackouts::new(&s.channel.constraints);
                    let candidate = Candidate {
                        at,
                        day: local.date_naive(),
                        score: 0.0,
                        estimate: None,
                        blocked: blackouts.at(at, local.weekday(), local.time()),
                    };
                    if let Some(ruled) = s.ruled_out(&candidate) {
                        unplaced.push(Unplaced::Recurring {
                            draft: r.id.clone(),
                            at,
                            local: local_label(at, zone),
                            reason: format!(
                                "{}: a recurring post keeps its time, so this week is left out",
                                ruled.sentence()
                            ),
                        });
                    } else {
                        s.placed.insert(at);
                        *s.per_day.entry(candidate.day).or_default() += 1;
                        assignments.push(Assignment {
                            draft: r.id.clone(),
                            repost: 0,
                            channel: r.channel.clone(),
                            at,
                            local: local_label(at, zone),
                            estimate: None,
                            why: format!(
                                "recurring every {} at {} {zone}{}",
                                r.weekday,
                                r.time.format("%H:%M"),
                                if local.time() == r.time {
                                    String::new()
                                } else {
                                    format!(" (that time does not exist on {day}: clocks skip it)")
                                }
                            ),
                            text: r.text.clone(),
                        });
                    }
                }
                day = day + Days::new(7);
            }
        }

        let mut order: Vec<&Draft> = drafts.iter().collect();
        order.sort_by(|a, b| {
            b.priority
                .cmp(&a.priority)
                .then(a.latest.cmp(&b.latest))
                .then(a.id.cmp(&b.id))
        });
        let mut evergreen = Vec::new();
        let mut not_placed = Vec::new();
        for d in order {
            let channels = eligible(&states, d);
            if channels.is_empty() {
                not_placed.push(Unplaced::Draft {
                    draft: d.id.clone(),
                    reason: match &d.channel {
                        Some(c) => format!(
                            "it names channel {c:?}, which is not among the channels: add it or fix the draft"
                        ),
                        None => format!(
                            "no channel is on {}: add one, or name the draft's channel",
                            d.platform
                        ),
                    },
                });
                continue;
            }
            match place(&mut states, &channels, d.earliest, d.latest) {
                Ok((ch, a)) => {
                    if let Some(e) = d.evergreen {
                        evergreen.push((d, ch, a.at, e));
                    }
                    assignments.push(a.named(d, 0));
                }
                Err(reason) => not_placed.push(Unplaced::Draft {
                    draft: d.id.clone(),
                    reason: reason.unwrap_or_else(|| {
                        format!(
                            "its window {} to {} holds no candidate time of the horizon {} to {}: widen the window or the horizon",
                            d.earliest, d.latest, self.start, self.end
                        )
                    }),
                }),
            }
        }
        // Drafts first, then recurring weeks, then reposts.
        unplaced.splice(0..0, not_placed);

        for (d, ch, mut last, e) in evergreen {
            for k in 1..=e.max_reposts {
                let earliest = last + TimeDelta::days(i64::from(e.cooldown_days));
                match place(&mut states, &[ch], earliest, self.end) {
                    Ok((_, a)) => {
                        last = a.at;
                        let mut a = a.named(d, k);
                        a.why = format!(
                            "evergreen repost {k} of {}, {} days after the last: {}",
                            e.max_reposts, e.cooldown_days, a.why
                        );
                        assignments.push(a);
                    }
                    Err(reason) => {
                        unplaced.push(Unplaced::Repost {
                            draft: d.id.clone(),
                            repost: k,
                            reason: reason
                                .unwrap_or_else(|| "the cooldown ends after the horizon".into()),
                        });
                        break;
                    }
                }
            }
        }
        assignments.sort_by(|a, b| a.at.cmp(&b.at).then(a.channel.cmp(&b.channel)));
        Ok(Plan {
            assignments,
            unplaced,
        })
    }
}

impl Assignment {
    fn named(mut self, draft: &Draft, repost: u32) -> Assignment {
        self.draft = draft.id.clone();
        self.text = draft.text.clone();
        self.repost = repost;
        self
    }
}

fn local_label(at: DateTime<Utc>, zone: Tz) -> String {
    format!(
        "{} {zone}",
        at.with_timezone(&zone).format("%a %Y-%m-%d %H:%M")
    )
}

/// The constraints' windows with their labels, made once per channel.
struct Blackouts<'a> {
    constraints: &'a Constraints,
    weekly: Vec<Rc<str>>,
    dated: Vec<Rc<str>>,
    quiet: Rc<str>,
}

impl<'a> Blackouts<'a> {
    fn new(c: &'a Constraints) -> Self {
        Blackouts {
            constraints: c,
            weekly: c
                .weekly_blackouts
                .iter()
                .map(|w| format!("the weekly blackout {:?}", w.label).into())
                .collect(),
            dated: c
                .blackouts
                .iter()
                .map(|b| format!("the blackout {:?}", b.label).into())
                .collect(),
            quiet: c.quiet_hours.map_or("".into(), |q| {
                format!(
                    "the quiet hours {}-{}",
                    q.start.format("%H:%M"),
                    q.end.format("%H:%M")
                )
                .into()
            }),
        }
    }

    /// The window that rules out a local time, if any.
    fn at(&self, at: DateTime<Utc>, weekday: Weekday, time: NaiveTime) -> Option<Rc<str>> {
        let c = self.constraints;
        if let Some(i) = c
            .weekly_blackouts
            .iter()
            .position(|w| w.weekday == weekday && w.start <= time && time < w.end)
        {
            return Some(self.weekly[i].clone());
        }
        if let Some(i) = c.blackouts.iter().position(|b| b.range.contains(at)) {
            return Some(self.dated[i].clone());
        }
        c.quiet_hours
            .filter(|q| q.contains(time))
            .map(|_| self.quiet.clone())
    }
}

/// The channels a draft may go to.
fn eligible(states: &[ChannelState], d: &Draft) -> Vec<usize> {
    states
        .iter()
        .enumerate()
        .filter(|(_, s)| match &d.channel {
            Some(id) => s.channel.id == *id,
            None => s.channel.platform == d.platform,
        })
        .map(|(i, _)| i)
        .collect()
}

/// Places one post on the best free candidate of `channels` in
/// [earliest, latest]. `Err(None)`: no candidate in the window at all;
/// `Err(Some(reason))`: every candidate was ruled out, mostly by `reason`.
fn place(
    states: &mut [ChannelState],
    channels: &[usize],
    earliest: DateTime<Utc>,
    latest: DateTime<Utc>,
) -> std::result::Result<(usize, Assignment), Option<String>> {
    let mut best: Option<(usize, usize)> = None;
    let mut in_window = 0usize;
    let mut ruled: Vec<(f64, DateTime<Utc>, Ruled)> = Vec::new();
    for &ch in channels {
        let s = &states[ch];
        let from = s.candidates.partition_point(|c| c.at < earliest);
        let to = s.candidates.partition_point(|c| c.at <= latest);
        in_window += to - from;
        for i in from..to {
            let c = &s.candidates[i];
            if let Some((bch, bi)) = best {
                let b = &states[bch].candidates[bi];
                if c.score < b.score || (c.score == b.score && c.at >= b.at) {
                    continue;
                }
            }
            match s.ruled_out(c) {
                Some(r) => ruled.push((c.score, c.at, r)),
                None => best = Some((ch, i)),
            }
        }
    }
    let Some((ch, i)) = best else {
        if in_window == 0 {
            return Err(None);
        }
        let mut counts: BTreeMap<Ruled, usize> = BTreeMap::new();
        for (_, _, r) in ruled {
            *counts.entry(r).or_default() += 1;
        }
        let mut reasons: Vec<(Ruled, usize)> = counts.into_iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let list: Vec<String> = reasons
            .iter()
            .map(|(r, n)| format!("{n} by {}", r.describe()))
            .collect();
        return Err(Some(format!(
            "all {in_window} candidate times in its window are ruled out ({}): relax {} or widen the window",
            list.join(", "),
            reasons
                .first()
                .map_or("a constraint".into(), |(r, _)| r.describe()),
        )));
    };
    let s = &mut states[ch];
    let c = s.candidates[i].clone();
    let zone = s.channel.zone;
    s.placed.insert(c.at);
    *s.per_day.entry(c.day).or_default() += 1;
    let better_taken = ruled
        .iter()
        .filter(|(score, at, _)| *score > c.score || (*score == c.score && *at < c.at))
        .count();
    let why = match c.estimate {
        Some(e) => format!(
            "the best free time in its window: estimate {:.3}%{}",
            100.0 * e,
            if better_taken > 0 {
                format!("; {better_taken} better times were ruled out by constraints")
            } else {
                String::new()
            }
        ),
        None => "the earliest free time in its window (no best-time model for this channel)".into(),
    };
    Ok((
        ch,
        Assignment {
            draft: String::new(),
            repost: 0,
            channel: s.channel.id.clone(),
            at: c.at,
            local: local_label(c.at, zone),
            estimate: c.estimate,
            why,
            text: None,
        },
    ))
}

impl ChannelState {
    fn ruled_out(&self, c: &Candidate) -> Option<Ruled> {
        if let Some(label) = &c.blocked {
            return Some(Ruled::Blocked(label.clone()));
        }
        let k = &self.channel.constraints;
        if let Some(max) = k.max_per_day
            && self.per_day.get(&c.day).copied().unwrap_or(0) >= max
        {
            return Some(Ruled::DayFull(max));
        }
        if let Some(gap) = k.min_gap_minutes.filter(|g| *g > 0) {
            let g = TimeDelta::minutes(i64::from(gap));
            if self
                .placed
                .range((c.at - g + TimeDelta::nanoseconds(1))..(c.at + g))
                .next()
                .is_some()
            {
                return Some(Ruled::Gap(gap));
            }
        } else if self.placed.contains(&c.at) {
            return Some(Ruled::Taken);
        }
        None
    }
}
