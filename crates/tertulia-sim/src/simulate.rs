//! The generator: posts and mentions, week by week, from seeded streams.

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::{DateTime, Datelike, TimeDelta, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Binomial, Distribution, Exp, Gamma, LogNormal, Poisson};
use tertulia_core::{
    Account, AccountId, Audience, Author, AuthorFlags, Handle, Language, Mention, MentionId,
    MentionKind, Metric, Metrics, Platform, Polarity, Post, PostId, PostKind, TimeRange,
    local_instant,
};

use crate::config::{CrisisPlan, SimConfig};
use crate::error::SimError;
use crate::profile::{WeeklyProfile, audience_activity};
use crate::text;
use crate::truth::{
    AccountTruth, CrisisTruth, Evasion, InteractionSplit, Label, MentionTruth, PostTruth,
    SpamWaveTruth, Truth,
};

const WEEK_SECONDS: i64 = 7 * 24 * 3600;
/// The longest a comment may arrive after its post.
const MAX_COMMENT_DELAY: TimeDelta = TimeDelta::hours(72);
const SPLIT: InteractionSplit = InteractionSplit {
    likes: 0.8,
    comments: 0.08,
    shares: 0.12,
};
const PAID_REACH: f64 = 1.6;
/// Followers of the accounts of journalists and influencers who join a crisis.
const PRESS: usize = 40;

/// The base effect of each kind on engagement, before the seed's perturbation.
const KIND_EFFECTS: [(PostKind, f64); 9] = [
    (PostKind::Text, 0.8),
    (PostKind::Photo, 1.1),
    (PostKind::Carousel, 1.25),
    (PostKind::Video, 1.3),
    (PostKind::ShortVideo, 1.45),
    (PostKind::Link, 0.7),
    (PostKind::Poll, 1.05),
    (PostKind::Story, 0.9),
    (PostKind::Live, 1.2),
];

/// The independent random streams; each item draws from its own.
#[derive(Clone, Copy)]
enum Stream {
    Kinds = 1,
    Weekdays,
    Posts,
    Comments,
    Mentions,
    People,
    Waves,
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator for item (`a`, `b`) of `stream`: independent of every other
/// item, so any part of the community can be generated alone.
fn rng(seed: u64, stream: Stream, a: u64, b: u64) -> Xoshiro256PlusPlus {
    let h = splitmix(splitmix(splitmix(seed ^ splitmix(stream as u64)) ^ a) ^ b);
    Xoshiro256PlusPlus::seed_from_u64(h)
}

fn poisson(rng: &mut Xoshiro256PlusPlus, mean: f64) -> u64 {
    if mean > 0.0 {
        // The mean is finite and positive, far below Poisson's upper limit.
        Poisson::new(mean).map_or(0, |d| d.sample(rng) as u64)
    } else {
        0
    }
}

fn seconds(rng: &mut Xoshiro256PlusPlus, mean: f64, cap: TimeDelta) -> TimeDelta {
    let s = Exp::new(1.0 / mean).map_or(mean, |d| d.sample(rng));
    TimeDelta::seconds(s as i64).min(cap)
}

fn weighted<T: Copy>(
    rng: &mut Xoshiro256PlusPlus,
    items: impl IntoIterator<Item = (T, f64), IntoIter: Clone>,
) -> T {
    let items = items.into_iter();
    let total: f64 = items.clone().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    let mut last = None;
    for (item, w) in items {
        if x < w {
            return item;
        }
        x -= w;
        last = Some(item);
    }
    last.expect("at least one weighted item")
}

/// How likely a community manager is to publish at this local time.
fn posting_habit(local: &DateTime<Tz>) -> f64 {
    let hour = match local.hour() {
        8..=21 => 1.0,
        6 | 7 | 22 | 23 => 0.3,
        _ => 0.08,
    };
    let day = match local.weekday() {
        Weekday::Sat | Weekday::Sun => 0.5,
        _ => 1.0,
    };
    hour * day
}

/// The people who comment and mention the brand, in blocks by time zone.
struct People {
    /// (zone, first index, count), in the order of the union audience.
    blocks: Vec<(Tz, u32, u32)>,
}

impl People {
    fn new(audience: &Audience, people: u32) -> People {
        let mut blocks = Vec::new();
        let mut next = 0;
        for s in audience.shares() {
            let count = ((f64::from(people) * s.share).round() as u32).max(1);
            blocks.push((s.zone, next, count));
            next += count;
        }
        People { blocks }
    }

    /// A person living in a zone drawn from `audience`; frequent commenters
    /// come back often (a heavy-tailed choice within the zone).
    fn pick(&self, rng: &mut Xoshiro256PlusPlus, audience: &Audience) -> u32 {
        let zone = weighted(rng, audience.shares().iter().map(|s| (s.zone, s.share)));
        let &(_, first, count) = self
            .blocks
            .iter()
            .find(|b| b.0 == zone)
            .unwrap_or(&self.blocks[0]);
        let u: f64 = rng.random();
        first + ((f64::from(count) * u.powf(2.2)) as u32).min(count - 1)
    }

    fn zone_of(&self, index: u32) -> Tz {
        self.blocks
            .iter()
            .find(|(_, first, count)| (*first..first + count).contains(&index))
            .map_or(self.blocks[0].0, |b| b.0)
    }
}

/// The shape of the planted crisis in time.
struct CrisisShape {
    truth: CrisisTruth,
    ramp: f64,
    half_life: f64,
}

impl CrisisShape {
    fn new(plan: &CrisisPlan, period: &TimeRange) -> CrisisShape {
        let start = plan.start.unwrap_or_else(|| {
            let days = (period.duration().num_days() * 3) / 5;
            period.start() + TimeDelta::days(days) + TimeDelta::hours(9)
        });
        let peak = start + TimeDelta::hours(i64::from(plan.ramp_hours));
        CrisisShape {
            truth: CrisisTruth {
                start,
                peak,
                end: start + TimeDelta::hours(i64::from(plan.duration_hours)),
                peak_multiplier: plan.peak_multiplier,
                negative_share: plan.negative_share,
                keywords: text::CRISIS_KEYWORDS
                    .iter()
                    .map(|k| k.to_string())
                    .collect(),
            },
            ramp: f64::from(plan.ramp_hours),
            half_life: plan.half_life_hours,
        }
    }

    /// How many times the usual mention rate there is at `at`.
    fn multiplier(&self, at: DateTime<Utc>) -> f64 {
        let t = &self.truth;
        if at < t.start || at >= t.end {
            return 1.0;
        }
        let hours = (at - t.start).num_seconds() as f64 / 3600.0;
        let s = if hours < self.ramp {
            hours / self.ramp
        } else {
            0.5f64.powf((hours - self.ramp) / self.half_life)
        };
        1.0 + (t.peak_multiplier - 1.0) * s
    }
}

/// A generated post with what is needed to generate its comments.
struct Generated {
    post: Post,
    truth: PostTruth,
    week: u32,
    seq: u32,
}

/// A seeded, deterministic simulated community with a planted truth.
///
/// Nothing is generated up front: [`Simulation::posts`] and
/// [`Simulation::mentions`] generate the community week by week as they are
/// read, in time order, in memory that does not grow with the number of
/// weeks. Each week of each account has its own random stream, so a shorter
/// simulation is a prefix of a longer one and any range of weeks can be
/// generated alone ([`Simulation::labelled_posts_in_weeks`]), for example on
/// another machine.
///
/// ```
/// use tertulia_sim::{Label, SimConfig, Simulation};
///
/// let sim = Simulation::new(SimConfig::default().with_seed(7).with_weeks(4))?;
/// let abusive = sim
///     .labelled_mentions()
///     .filter(|(_, truth)| truth.label == Label::Abusive)
///     .count();
/// assert!(abusive > 0);
/// assert_eq!(sim.posts().count() as u64, sim.truth().posts);
/// # Ok::<(), tertulia_sim::SimError>(())
/// ```
pub struct Simulation {
    config: SimConfig,
    period: TimeRange,
    accounts: Vec<Account>,
    languages: Vec<Language>,
    union: Audience,
    /// Each account's index and followers: who a mention is addressed to.
    account_weights: Vec<(usize, f64)>,
    people: People,
    crisis: Option<CrisisShape>,
    truth: Truth,
}

impl Simulation {
    /// Checks `config` and plants the truth.
    pub fn new(config: SimConfig) -> Result<Simulation, SimError> {
        config.validate()?;
        let period = config.period()?;
        let seed = config.seed;

        let mut kind_rng = rng(seed, Stream::Kinds, 0, 0);
        let jitter = LogNormal::new(0.0, 0.03).expect("a valid spread");
        let kind_effects: BTreeMap<PostKind, f64> = KIND_EFFECTS
            .iter()
            .map(|&(k, e)| (k, e * jitter.sample(&mut kind_rng)))
            .collect();

        let weeks = f64::from(config.weeks);
        let mut accounts = Vec::new();
        let mut account_truths = Vec::new();
        let mut union: BTreeMap<&str, (Tz, f64)> = BTreeMap::new();
        for (i, plan) in config.accounts.iter().enumerate() {
            let mut wd_rng = rng(seed, Stream::Weekdays, i as u64, 0);
            let spread = LogNormal::new(0.0, 0.05).expect("a valid spread");
            let scale: [f64; 7] = std::array::from_fn(|_| spread.sample(&mut wd_rng));
            let profile = WeeklyProfile::planted(plan.home, &plan.audience, scale, period.start());
            let profile_author = Author {
                id: AccountId::new(format!("brand-{i}")).expect("non-empty"),
                handle: plan.handle.clone(),
                display_name: Some(config.brand.clone()),
                followers: Some(plan.followers),
                created_at: Some(period.start() - TimeDelta::days(3 * 365)),
                reputation: None,
                flags: AuthorFlags {
                    verified: true,
                    ..AuthorFlags::default()
                },
            };
            accounts.push(
                Account::new(plan.platform.clone(), profile_author, plan.home)
                    .with_audience(plan.audience.clone()),
            );
            account_truths.push(AccountTruth {
                handle: plan.handle.clone(),
                platform: plan.platform.clone(),
                home: plan.home,
                engagement_rate: plan.engagement_rate,
                best_slots: profile.ranked().into_iter().take(5).collect(),
                profile,
                followers_start: plan.followers,
                followers_end: (plan.followers as f64 * (1.0 + plan.weekly_growth).powf(weeks))
                    .round() as u64,
            });
            for s in plan.audience.shares() {
                union.entry(s.zone.name()).or_insert((s.zone, 0.0)).1 +=
                    s.share * (plan.followers.max(1) as f64);
            }
        }
        let union = Audience::new(union.into_values()).map_err(|source| SimError::Core {
            field: "accounts[].audience".into(),
            source,
        })?;
        let people = People::new(&union, config.people);
        let crisis = config.crisis.as_ref().map(|c| CrisisShape::new(c, &period));

        let mut sim = Simulation {
            languages: config
                .accounts
                .iter()
                .map(|a| text::language_of(a.home))
                .collect(),
            truth: Truth {
                seed,
                period,
                observed_at: period.end() + MAX_COMMENT_DELAY,
                accounts: account_truths,
                kind_effects,
                interaction_split: SPLIT,
                paid_reach_multiplier: PAID_REACH,
                posts: config
                    .accounts
                    .iter()
                    .map(|a| u64::from(a.posts_per_week))
                    .sum::<u64>()
                    * u64::from(config.weeks),
                crisis: crisis.as_ref().map(|c| c.truth.clone()),
                spam_waves: Vec::new(),
            },
            account_weights: config
                .accounts
                .iter()
                .enumerate()
                .map(|(i, a)| (i, a.followers.max(1) as f64))
                .collect(),
            config,
            period,
            accounts,
            union,
            people,
            crisis,
        };
        sim.truth.spam_waves = (0..sim.config.weeks)
            .filter_map(|w| sim.spam_wave(w))
            .collect();
        Ok(sim)
    }

    /// The configuration it was made from.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The simulated period.
    pub fn period(&self) -> TimeRange {
        self.period
    }

    /// The brand's accounts, with their followers at the start of the period.
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// The planted truth.
    pub fn truth(&self) -> &Truth {
        &self.truth
    }

    /// Every post, in time order.
    pub fn posts(&self) -> impl Iterator<Item = Post> + '_ {
        self.labelled_posts().map(|(post, _)| post)
    }

    /// Every post with its truth, in time order.
    pub fn labelled_posts(&self) -> impl Iterator<Item = (Post, PostTruth)> + '_ {
        self.labelled_posts_in_weeks(0..self.config.weeks)
    }

    /// The posts of weeks `weeks` (counted from 0) with their truth, in time
    /// order: the same posts [`Simulation::labelled_posts`] gives for those weeks.
    pub fn labelled_posts_in_weeks(
        &self,
        weeks: Range<u32>,
    ) -> impl Iterator<Item = (Post, PostTruth)> + '_ {
        let weeks = weeks.start.min(self.config.weeks)..weeks.end.min(self.config.weeks);
        weeks.flat_map(move |w| self.week_posts(w).into_iter().map(|g| (g.post, g.truth)))
    }

    /// Every comment and mention, in time order. Comments arrive up to three
    /// days after their post, so the last ones may fall after the period.
    pub fn mentions(&self) -> impl Iterator<Item = Mention> + '_ {
        self.labelled_mentions().map(|(mention, _)| mention)
    }

    /// Every comment and mention with its truth, in time order.
    pub fn labelled_mentions(&self) -> Mentions<'_> {
        Mentions {
            sim: self,
            next_week: 0,
            pending: Vec::new(),
            ready: Vec::new().into_iter(),
        }
    }

    fn week_start(&self, week: u32) -> DateTime<Utc> {
        self.period.start() + TimeDelta::weeks(i64::from(week))
    }

    /// The posts of every account in `week`, in time order.
    fn week_posts(&self, week: u32) -> Vec<Generated> {
        // Each account's posts come in time order; merge them by (time, id).
        let mut accounts: Vec<std::iter::Peekable<std::vec::IntoIter<Generated>>> =
            (0..self.accounts.len())
                .map(|a| self.account_week_posts(a, week).into_iter().peekable())
                .collect();
        let total = accounts.iter().map(|a| a.len()).sum();
        let mut all = Vec::with_capacity(total);
        loop {
            let next = accounts
                .iter_mut()
                .enumerate()
                .filter_map(|(i, a)| a.peek().map(|g| (i, (g.post.created_at, &g.post.id))))
                .min_by(|x, y| x.1.cmp(&y.1))
                .map(|(i, _)| i);
            match next.and_then(|i| accounts[i].next()) {
                Some(g) => all.push(g),
                None => return all,
            }
        }
    }

    /// The posts of account `a` in `week`, in time order.
    fn account_week_posts(&self, a: usize, week: u32) -> Vec<Generated> {
        let plan = &self.config.accounts[a];
        let account = &self.accounts[a];
        let truth = &self.truth;
        let lang = &self.languages[a];
        let mut rng = rng(self.config.seed, Stream::Posts, a as u64, u64::from(week));
        let week_start = self.week_start(week);
        let reach_share = LogNormal::new(0.18f64.ln() - 0.125, 0.5).expect("a valid spread");
        let post_luck = Gamma::new(4.0, 0.25).expect("a valid shape");
        let reports = Reports::of(&plan.platform);

        // When: minutes of the week drawn by the manager's posting habit, in order.
        let mut minutes: Vec<i64> = (0..plan.posts_per_week)
            .map(|_| {
                loop {
                    let minute = rng.random_range(0..WEEK_SECONDS / 60);
                    let t = week_start + TimeDelta::minutes(minute);
                    let local = plan.home.from_utc_datetime(&t.naive_utc());
                    if rng.random::<f64>() < posting_habit(&local) {
                        break minute;
                    }
                }
            })
            .collect();
        minutes.sort_unstable();

        (0u32..)
            .zip(minutes)
            .map(|(seq, minute)| {
                let created_at = week_start + TimeDelta::minutes(minute);
                let local = plan.home.from_utc_datetime(&created_at.naive_utc());
                let (weekday, hour) = (local.weekday(), local.hour() as u8);
                let kind = weighted(&mut rng, plan.kind_mix.iter().copied());
                let elapsed =
                    (created_at - self.period.start()).num_seconds() as f64 / WEEK_SECONDS as f64;
                let followers = (plan.followers as f64 * (1.0 + plan.weekly_growth).powf(elapsed))
                    .round() as u64;
                let paid = (plan.platform == Platform::Facebook).then(|| rng.random_bool(0.15));
                let boost = if paid == Some(true) { PAID_REACH } else { 1.0 };
                let reach =
                    (followers as f64 * reach_share.sample(&mut rng) * boost).round() as u64;
                let expected_rate = truth.expected_rate(a, weekday, hour, kind);
                let interactions = reach as f64 * expected_rate * post_luck.sample(&mut rng);

                let likes = poisson(&mut rng, interactions * SPLIT.likes);
                let comments = poisson(&mut rng, interactions * SPLIT.comments);
                let shares = poisson(&mut rng, interactions * SPLIT.shares);
                let impressions = reach + poisson(&mut rng, reach as f64 * 0.35);
                let click_rate = if kind == PostKind::Link { 0.025 } else { 0.003 };
                let clicks = poisson(&mut rng, reach as f64 * click_rate);
                let saves = poisson(&mut rng, interactions * 0.06);
                let views = if kind.is_video() {
                    poisson(&mut rng, reach as f64 * 0.5)
                } else {
                    0
                };
                let completions = Binomial::new(views, 0.28).map_or(0, |d| d.sample(&mut rng));
                let engaged = reach.min(
                    ((likes + comments + shares + clicks + if reports.saves { saves } else { 0 })
                        as f64
                        * 0.85)
                        .round() as u64,
                );

                let mut metrics = Metrics {
                    likes: Some(likes),
                    comments: Some(comments),
                    shares: Some(shares),
                    ..Metrics::default()
                };
                if reports.audience {
                    metrics.reach = Some(reach);
                    metrics.impressions = Some(impressions);
                    metrics.engaged_users = Some(engaged);
                    if kind.is_video() {
                        metrics.video_views = Some(views);
                        metrics.video_completions = Some(completions);
                    }
                }
                if reports.clicks {
                    metrics.clicks = Some(clicks);
                }
                if reports.saves {
                    metrics.saves = Some(saves);
                }
                let hidden = if rng.random_bool(self.config.missing_share) {
                    let reported: Vec<Metric> = metrics.reported().map(|(m, _)| m).collect();
                    let m = reported[rng.random_range(0..reported.len())];
                    metrics.set(m, None);
                    Some(m)
                } else {
                    None
                };

                let mut author = account.profile.clone();
                author.followers = Some(followers);
                let mut post = Post::new(
                    // Zero-padded, so that ids sort as the posts do.
                    PostId::new(format!("{}/{week:04}/{seq:06}", plan.handle.as_str()))
                        .expect("non-empty"),
                    plan.platform.clone(),
                    author,
                    created_at,
                    text::post_text(&mut rng, kind, lang, &self.config.brand),
                )
                .with_kind(kind)
                .with_metrics(metrics)
                .with_language(lang.clone());
                post.paid = paid;
                Generated {
                    post,
                    truth: PostTruth {
                        account: a,
                        weekday,
                        hour,
                        expected_rate,
                        reach,
                        comments,
                        hidden,
                    },
                    week,
                    seq,
                }
            })
            .collect()
    }

    /// The comments and mentions made in `week` (comments on this week's
    /// posts may fall in later weeks), unsorted.
    fn week_mentions(&self, week: u32, posts: &[Generated]) -> Vec<(Mention, MentionTruth)> {
        let mut out = Vec::new();
        for g in posts {
            self.comments(g, &mut out);
        }
        for hour in 0..(7 * 24) {
            self.hour_mentions(week * 7 * 24 + hour, &mut out);
        }
        if let Some(wave) = self.spam_wave(week) {
            self.wave_comments(week, &wave, posts, &mut out);
        }
        out
    }

    fn comments(&self, g: &Generated, out: &mut Vec<(Mention, MentionTruth)>) {
        let c = &self.config;
        let a = g.truth.account;
        let key = (u64::from(g.week) << 32) | u64::from(g.seq);
        let mut rng = rng(c.seed, Stream::Comments, a as u64, key);
        let audience = &self.accounts[a].audience;
        for k in 0..g.truth.comments {
            let at = g.post.created_at + seconds(&mut rng, 2.0 * 3600.0, MAX_COMMENT_DELAY);
            let u: f64 = rng.random();
            let (mut mention, truth) = if u < c.abusive_share + c.spam_share {
                if u < c.abusive_share {
                    self.abusive(&mut rng, at, audience)
                } else {
                    let n = rng.random_range(0..200u32);
                    let author = spam_account(
                        &format!("promo{n}"),
                        self.period.start() - TimeDelta::days(i64::from(n % 60) + 1),
                        u64::from(n % 40),
                    );
                    self.spam(&mut rng, author, at, None)
                }
            } else {
                let polarity = weighted(
                    &mut rng,
                    [
                        (Polarity::Positive, 0.55),
                        (Polarity::Neutral, 0.3),
                        (Polarity::Negative, 0.15),
                    ],
                );
                let person = self.people.pick(&mut rng, audience);
                self.benign(&mut rng, person, at, polarity, false)
            };
            mention.id = MentionId::new(format!("{}/c{k}", g.post.id)).expect("non-empty");
            mention.platform = g.post.platform.clone();
            mention.kind = MentionKind::Comment;
            mention.in_reply_to = Some(g.post.id.clone());
            out.push((mention, truth));
        }
    }

    fn hour_mentions(&self, hour: u32, out: &mut Vec<(Mention, MentionTruth)>) {
        let c = &self.config;
        let mut rng = rng(c.seed, Stream::Mentions, u64::from(hour), 0);
        let start = self.period.start() + TimeDelta::hours(i64::from(hour));
        let middle = start + TimeDelta::minutes(30);
        let surge = self.crisis.as_ref().map_or(1.0, |s| s.multiplier(middle));
        let mean = c.mentions_per_hour * audience_activity(&self.union, middle) * surge;
        for k in 0..poisson(&mut rng, mean) {
            let at = start + TimeDelta::seconds(rng.random_range(0..3600));
            let crisis = rng.random_bool((surge - 1.0) / surge);
            let account = weighted(&mut rng, self.account_weights.iter().copied());
            let press = rng.random_bool(if crisis { 0.1 } else { 0.005 });
            let person = if press {
                u32::MAX - rng.random_range(0..PRESS as u32)
            } else {
                self.people.pick(&mut rng, &self.union)
            };
            let polarity = if crisis {
                let negative = self.truth.crisis.as_ref().map_or(1.0, |t| t.negative_share);
                if rng.random_bool(negative) {
                    Polarity::Negative
                } else {
                    Polarity::Neutral
                }
            } else {
                weighted(
                    &mut rng,
                    [
                        (Polarity::Positive, 0.4),
                        (Polarity::Neutral, 0.4),
                        (Polarity::Negative, 0.2),
                    ],
                )
            };
            let (mut mention, truth) = self.benign(&mut rng, person, at, polarity, crisis);
            mention.id = MentionId::new(format!("m{hour}-{k}")).expect("non-empty");
            mention.platform = c.accounts[account].platform.clone();
            mention.text = format!("{} {}", self.accounts[account].profile.handle, mention.text);
            out.push((mention, truth));
        }
    }

    /// The spam wave planted in `week`, if one is.
    fn spam_wave(&self, week: u32) -> Option<SpamWaveTruth> {
        let every = self.config.spam_wave_every_weeks;
        if every == 0 || self.config.spam_wave_size == 0 || !(week + 1).is_multiple_of(every) {
            return None;
        }
        let mut rng = rng(self.config.seed, Stream::Waves, u64::from(week), 0);
        Some(SpamWaveTruth {
            wave: (week + 1) / every - 1,
            start: self.week_start(week)
                + TimeDelta::minutes(rng.random_range(0..(WEEK_SECONDS - 3600) / 60)),
            size: self.config.spam_wave_size,
        })
    }

    fn wave_comments(
        &self,
        week: u32,
        wave: &SpamWaveTruth,
        posts: &[Generated],
        out: &mut Vec<(Mention, MentionTruth)>,
    ) {
        let mut rng = rng(self.config.seed, Stream::Waves, u64::from(week), 1);
        let target = posts.iter().rev().find(|g| g.post.created_at < wave.start);
        let lang = if rng.random_bool(0.5) {
            Language::es()
        } else {
            Language::en()
        };
        let text = text::spam_text(&mut rng, &lang);
        for s in 0..wave.size {
            let author = spam_account(
                &format!("deals{}x{s}", wave.wave),
                wave.start - TimeDelta::hours(rng.random_range(24..240)),
                rng.random_range(0..30),
            );
            let at = wave.start + TimeDelta::seconds(rng.random_range(0..900));
            let (mut mention, mut truth) = self.spam(&mut rng, author, at, Some(wave.wave));
            mention.text.clone_from(&text);
            mention.language = Some(lang.clone());
            truth.language = lang.clone();
            mention.id = MentionId::new(format!("s{}-{s}", wave.wave)).expect("non-empty");
            match target {
                Some(g) => {
                    mention.platform = g.post.platform.clone();
                    mention.kind = MentionKind::Comment;
                    mention.in_reply_to = Some(g.post.id.clone());
                }
                None => mention.platform = self.accounts[0].platform.clone(),
            }
            out.push((mention, truth));
        }
    }

    /// A benign (or crisis) item by `person`, with its response if any.
    fn benign(
        &self,
        rng: &mut Xoshiro256PlusPlus,
        person: u32,
        at: DateTime<Utc>,
        polarity: Polarity,
        crisis: bool,
    ) -> (Mention, MentionTruth) {
        let (author, lang) = self.person(person);
        let brand = &self.config.brand;
        let text = if crisis {
            text::crisis_text(rng, polarity, &lang, brand)
        } else {
            text::benign_text(rng, polarity, &lang, brand)
        };
        let mut answer = self.config.response_share;
        if polarity == Polarity::Positive {
            answer /= 3.0;
        }
        // In a crisis the team is overwhelmed: fewer answers, later.
        let (answer, mean_wait) = if crisis {
            (answer * 0.3, 4.0 * 3600.0)
        } else {
            (answer, 50.0 * 60.0)
        };
        let responded_at = rng
            .random_bool(answer)
            .then(|| self.business_time(at) + seconds(rng, mean_wait, TimeDelta::days(7)))
            .filter(|t| *t <= self.truth.observed_at);
        let mention = Mention {
            responded_at,
            ..self.mention(author, at, text, &lang)
        };
        let truth = MentionTruth {
            label: Label::Benign,
            polarity,
            language: lang,
            term: None,
            evasion: None,
            crisis,
            spam_wave: None,
        };
        (mention, truth)
    }

    fn abusive(
        &self,
        rng: &mut Xoshiro256PlusPlus,
        at: DateTime<Utc>,
        audience: &Audience,
    ) -> (Mention, MentionTruth) {
        let (author, lang) = self.person(self.people.pick(rng, audience));
        let evasion = rng
            .random_bool(self.config.evasive_share)
            .then(|| Evasion::ALL[rng.random_range(0..Evasion::ALL.len())]);
        let (text, term) = text::abusive_text(rng, &lang, evasion);
        let truth = MentionTruth {
            label: Label::Abusive,
            polarity: Polarity::Negative,
            language: lang.clone(),
            term: Some(term),
            evasion,
            crisis: false,
            spam_wave: None,
        };
        (self.mention(author, at, text, &lang), truth)
    }

    fn spam(
        &self,
        rng: &mut Xoshiro256PlusPlus,
        author: Author,
        at: DateTime<Utc>,
        wave: Option<u32>,
    ) -> (Mention, MentionTruth) {
        let lang = if rng.random_bool(0.5) {
            Language::es()
        } else {
            Language::en()
        };
        let text = text::spam_text(rng, &lang);
        let truth = MentionTruth {
            label: Label::Spam,
            polarity: Polarity::Neutral,
            language: lang.clone(),
            term: None,
            evasion: None,
            crisis: false,
            spam_wave: wave,
        };
        (self.mention(author, at, text, &lang), truth)
    }

    fn mention(&self, author: Author, at: DateTime<Utc>, text: String, lang: &Language) -> Mention {
        Mention::new(
            MentionId::new("pending").expect("non-empty"),
            self.accounts[0].platform.clone(),
            author,
            at,
            text,
        )
        .with_language(lang.clone())
    }

    /// Person `index` of the community, or a journalist or influencer for
    /// the indexes at the very top of the range.
    fn person(&self, index: u32) -> (Author, Language) {
        let mut rng = rng(self.config.seed, Stream::People, u64::from(index), 0);
        let press = index > u32::MAX - PRESS as u32;
        let zone = if press {
            self.union.shares()[0].zone
        } else {
            self.people.zone_of(index)
        };
        let lang = text::language_of(zone);
        let (first, last) = text::person_name(&mut rng, &lang);
        let spread = LogNormal::new(180f64.ln(), 1.3).expect("a valid spread");
        let mut followers = spread.sample(&mut rng).min(5e6);
        let influencer = press || rng.random_bool(0.005);
        if influencer {
            followers = followers * 150.0 + 100_000.0;
        }
        let followers = followers.round() as u64;
        let (handle, name) = if press {
            let n = u32::MAX - index;
            (format!("newsdesk{n}"), format!("News desk {n}"))
        } else {
            (
                format!("{first}.{last}{index}"),
                format!(
                    "{}{} {}{}",
                    first[..1].to_uppercase(),
                    &first[1..],
                    last[..1].to_uppercase(),
                    &last[1..]
                ),
            )
        };
        let author = Author {
            id: AccountId::new(format!("person-{index}")).expect("non-empty"),
            handle: Handle::new(handle).expect("ASCII handle"),
            display_name: Some(name),
            followers: Some(followers),
            created_at: Some(self.period.start() - TimeDelta::days(rng.random_range(30..4_000))),
            reputation: Some(rng.random_range(-50..20_000)),
            flags: AuthorFlags {
                verified: influencer && rng.random_bool(0.6),
                moderator: !press && rng.random_bool(0.002),
                member: rng.random_bool(0.3),
                bot: false,
            },
        };
        (author, lang)
    }

    /// The first business moment (09:00 to 18:00, Monday to Friday, in the
    /// main account's zone) at or after `at`.
    fn business_time(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        let zone = self.accounts[0].time_zone;
        let mut local = zone.from_utc_datetime(&at.naive_utc()).naive_local();
        loop {
            let weekend = matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
            let nine = local.date().and_hms_opt(9, 0, 0).expect("09:00 exists");
            if weekend || local.hour() >= 18 {
                local = nine + TimeDelta::days(1);
            } else if local.hour() < 9 {
                return local_instant(zone, nine);
            } else {
                return local_instant(zone, local).max(at);
            }
        }
    }
}

/// Which metrics a platform reports, as the real platforms do.
struct Reports {
    /// Reach, impressions, engaged users and video counts.
    audience: bool,
    clicks: bool,
    saves: bool,
}

impl Reports {
    fn of(platform: &Platform) -> Reports {
        match platform {
            Platform::Bluesky | Platform::Mastodon => Reports {
                audience: false,
                clicks: false,
                saves: false,
            },
            Platform::Instagram => Reports {
                audience: true,
                clicks: false,
                saves: true,
            },
            _ => Reports {
                audience: true,
                clicks: true,
                saves: false,
            },
        }
    }
}

/// A new account made to spam.
fn spam_account(handle: &str, created_at: DateTime<Utc>, followers: u64) -> Author {
    Author {
        id: AccountId::new(format!("spam-{handle}")).expect("non-empty"),
        handle: Handle::new(handle).expect("ASCII handle"),
        display_name: None,
        followers: Some(followers),
        created_at: Some(created_at),
        reputation: Some(0),
        flags: AuthorFlags::default(),
    }
}

/// The comments and mentions of a [`Simulation`] with their truth, in time
/// order; see [`Simulation::labelled_mentions`].
pub struct Mentions<'a> {
    sim: &'a Simulation,
    next_week: u32,
    /// Generated but not yet final: a later week may add earlier items.
    pending: Vec<(Mention, MentionTruth)>,
    ready: std::vec::IntoIter<(Mention, MentionTruth)>,
}

impl Iterator for Mentions<'_> {
    type Item = (Mention, MentionTruth);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.ready.next() {
                return Some(item);
            }
            let sim = self.sim;
            if self.next_week >= sim.config.weeks {
                if self.pending.is_empty() {
                    return None;
                }
                self.ready = std::mem::take(&mut self.pending).into_iter();
                continue;
            }
            let week = self.next_week;
            self.next_week += 1;
            let posts = sim.week_posts(week);
            self.pending.extend(sim.week_mentions(week, &posts));
            self.pending
                .sort_by(|(x, _), (y, _)| (x.created_at, &x.id).cmp(&(y.created_at, &y.id)));
            // Everything before the next week is final: later weeks only add
            // posts, comments and mentions from their own start onwards.
            let cut = sim.week_start(week + 1);
            let done = self.pending.partition_point(|(m, _)| m.created_at < cut);
            self.ready = self.pending.drain(..done).collect::<Vec<_>>().into_iter();
        }
    }
}
