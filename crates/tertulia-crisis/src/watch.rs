//! The whole watch: mentions in, buckets, detector assessments and alerts
//! out. Three detectors, one method ([`CrisisDetector`]: each surprise read
//! against the series' own history, with the settings chosen by
//! cross-validation on NAB), read each bucket: its volume of mentions
//! (counts, rising), and the tone of the latest mentions against the days
//! before: the share that is negative (a binomial tail, rising) and their
//! mean sentiment (falling). A crisis that is more anger than noise shows
//! in the last two before the first; a surge that is not more negative than
//! usual is no crisis and raises nothing. Trigger words raise one more
//! alert, whatever the volume.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};
use tertulia_core::Mention;

use statrs::distribution::{Binomial, DiscreteCDF};

use crate::detect::{
    AlertEvent, Assessment, CrisisDetector, DAY, DetectorConfig, Direction, Expected, Severity,
    Values, real_tail_probability,
};
use crate::error::{Error, Result};
use crate::incident::Alert;
use crate::signals::{Bucket, SignalConfig, Signals};

/// What to watch and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WatchConfig {
    /// The brand: the prefix of every alert key ("acme:volume").
    pub name: String,
    /// Buckets, keywords, influential authors, lateness.
    pub signals: SignalConfig,
    /// The detectors' settings (their bucket width is the signals').
    pub detector: DetectorConfig,
    /// Mentions in one bucket naming a keyword that raise an alert.
    pub keyword_alert_at: u64,
    /// The fewest scored mentions the negative share and mean sentiment are
    /// read over: the tone is judged over the latest buckets holding at
    /// least this many, twice as many, four times, ... up to a day, and
    /// the most surprising counts. A share read over 30 mentions is within
    /// about ±0.07 of the true one (one standard error at a fifth
    /// negative); over the 2 of a quiet quarter hour, within ±0.3, which is
    /// noise, not tone.
    pub tone_mentions: u64,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            name: "brand".to_owned(),
            signals: SignalConfig::default(),
            detector: DetectorConfig::default(),
            keyword_alert_at: 3,
            tone_mentions: 30,
        }
    }
}

/// One bucket judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The bucket's signals.
    pub bucket: Bucket,
    /// The volume detector on all mentions.
    pub volume: Assessment,
    /// The detector on the share of the latest scored mentions that is
    /// negative (see [`WatchConfig::tone_mentions`]); `None` for a bucket
    /// with no scored mention.
    pub negative_share: Option<Assessment>,
    /// The detector on the mean sentiment of the latest scored mentions;
    /// `None` for a bucket with no scored mention.
    pub sentiment: Option<Assessment>,
    /// The alerts this bucket raised or cleared.
    pub alerts: Vec<Alert>,
    /// The current figures of the alerts that stay open through this
    /// bucket, for [`Desk::refresh`](crate::incident::Desk::refresh): an
    /// escalation hours later then says what is happening now.
    #[serde(default)]
    pub updates: Vec<Alert>,
}

/// Signals and detectors together; the state serializes whole.
///
/// ```
/// use tertulia_crisis::watch::{Watch, WatchConfig};
///
/// let watch = Watch::new(WatchConfig::default())?;
/// let saved = serde_json::to_string(&watch).expect("serializes");
/// # Ok::<(), tertulia_crisis::Error>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Watch {
    config: WatchConfig,
    signals: Signals,
    volume: CrisisDetector,
    tone: ToneWatch,
    /// Whether the open volume alert is a surge kept quiet (a rise that is
    /// not more negative than usual).
    #[serde(default)]
    surge: bool,
}

impl Watch {
    /// Checks the configuration and starts with no history.
    pub fn new(mut config: WatchConfig) -> Result<Self> {
        if config.name.trim().is_empty() {
            return Err(Error::Config(
                "name is empty: it prefixes every alert key".to_owned(),
            ));
        }
        if config.keyword_alert_at == 0 {
            return Err(Error::Config(
                "keyword_alert_at must be 1 or more".to_owned(),
            ));
        }
        if config.tone_mentions == 0 {
            return Err(Error::Config(
                "tone_mentions must be 1 or more: the tone is read over at least one mention"
                    .to_owned(),
            ));
        }
        config.detector.baseline.bucket_seconds = config.signals.bucket_seconds;
        let real = |direction| DetectorConfig {
            values: Values::Real,
            direction,
            ..config.detector
        };
        Ok(Watch {
            signals: Signals::new(config.signals.clone())?,
            volume: CrisisDetector::new(DetectorConfig {
                values: Values::Counts,
                direction: Direction::Rise,
                ..config.detector
            })?,
            tone: ToneWatch::new(
                CrisisDetector::new(real(Direction::Rise))?,
                CrisisDetector::new(real(Direction::Fall))?,
                &config,
            ),
            surge: false,
            config,
        })
    }

    /// Reads one mention; returns the buckets it completed, judged.
    pub fn push(&mut self, mention: &Mention) -> Result<Vec<Step>> {
        let buckets = self.signals.push(mention)?;
        buckets.into_iter().map(|b| self.judge(b)).collect()
    }

    /// Judges every open bucket (end of stream).
    pub fn flush(&mut self) -> Result<Vec<Step>> {
        let buckets = self.signals.flush();
        buckets.into_iter().map(|b| self.judge(b)).collect()
    }

    fn judge(&mut self, bucket: Bucket) -> Result<Step> {
        let volume = self.volume.push(bucket.start, bucket.mentions as f64)?;
        // A bucket with no scored mention is missing for the other two,
        // not zero.
        let tone = self.tone.push(&bucket);
        let negative_share = tone.as_ref().map(|t| t.negative_share);
        let sentiment = tone.as_ref().map(|t| t.sentiment);
        let (share_of, mean_of) = tone.as_ref().map_or((0, 0), |t| (t.share_of, t.mean_of));
        let mut details = BTreeMap::from([
            ("mentions".to_owned(), bucket.mentions.to_string()),
            ("negative".to_owned(), bucket.negative.to_string()),
            ("influential".to_owned(), bucket.influential.to_string()),
            ("backlog".to_owned(), bucket.backlog.to_string()),
        ]);
        if let Some(share) = bucket.negative_share() {
            details.insert("negative_share".to_owned(), format!("{share:.2}"));
        }
        if let Some(mean) = bucket.mean_sentiment() {
            details.insert("mean_sentiment".to_owned(), format!("{mean:.2}"));
        }
        if tone.is_some() {
            details.insert("share_of".to_owned(), share_of.to_string());
            details.insert("mean_of".to_owned(), mean_of.to_string());
        }
        let volume_alert = self.crisis_volume(&volume, tone.and_then(|t| t.angrier));
        let (mut alerts, mut updates) = (Vec::new(), Vec::new());
        let judged = [
            ("volume", volume_alert.as_ref()),
            ("negative", negative_share.as_ref()),
            ("sentiment", sentiment.as_ref()),
        ];
        for (what, a) in judged {
            let Some(a) = a.filter(|a| a.event.is_some() || a.alerting) else {
                continue;
            };
            let expected = a.expected.as_ref().map_or(0.0, |e| e.value());
            let mut details = details.clone();
            details.insert("expected".to_owned(), format!("{expected:.2}"));
            details.insert("score".to_owned(), format!("{:.2}", a.score));
            let minutes = self.config.signals.bucket_seconds / 60;
            let said = match what {
                "volume" => format!(
                    "{} in {minutes} min, {}",
                    mentions(a.count),
                    expected_words(expected)
                ),
                "negative" => format!(
                    "{:.0}% of the last {share_of} mentions negative, {:.0}% expected",
                    100.0 * a.count,
                    100.0 * expected
                ),
                _ => format!(
                    "mean sentiment {:+.2} over the last {mean_of} mentions, {expected:+.2} expected",
                    a.count
                ),
            };
            let alert = Alert {
                key: format!("{}:{what}", self.config.name),
                at: bucket.start,
                severity: a.severity.unwrap_or(Severity::Info),
                summary: format!("{}: {said}", self.config.name),
                details,
                clear: a.event == Some(AlertEvent::Closed),
            };
            match a.event {
                Some(_) => alerts.push(alert),
                None => updates.push(alert),
            }
        }
        // One alert for every trigger word: one crisis, one incident.
        let said: Vec<String> = bucket
            .keywords
            .iter()
            .filter(|&(_, &n)| n >= self.config.keyword_alert_at)
            .map(|(word, n)| format!("{word:?} ×{n}"))
            .collect();
        if !said.is_empty() {
            alerts.push(Alert {
                key: format!("{}:keywords", self.config.name),
                at: bucket.start,
                severity: Severity::Warning,
                summary: format!("{}: mentions say {}", self.config.name, said.join(", ")),
                details: details.clone(),
                clear: false,
            });
        }
        Ok(Step {
            bucket,
            volume,
            negative_share,
            sentiment,
            alerts,
            updates,
        })
    }
}

impl Watch {
    /// The volume alert as a crisis alert: a rise in volume whose mentions
    /// are not more negative than usual when it opens is a surge (a post
    /// that took off, a launch), not a crisis, and raises nothing while it
    /// lasts (should it turn, the negativity detectors say so); the volume
    /// detector's own alert stays as it is in [`Step::volume`].
    /// `angrier` says whether the latest mentions are more negative than
    /// the days before, when that can be told.
    fn crisis_volume(&mut self, volume: &Assessment, angrier: Option<bool>) -> Option<Assessment> {
        let calm = angrier == Some(false);
        match volume.event {
            Some(AlertEvent::Opened) if calm => {
                self.surge = true;
                None
            }
            Some(AlertEvent::Closed) if self.surge => {
                self.surge = false;
                None
            }
            _ if self.surge => None,
            _ => Some(*volume),
        }
    }
}

/// The tone of the latest mentions against that of the days before: the
/// negative share read as what it is, so many negative of so many scored
/// (by the binomial tail of that many negatives), and the mean sentiment by
/// the tail of a mean of that many scores (Student-t, on the reference's
/// spread of single scores). The latest mentions are those of the latest
/// buckets holding at least [`WatchConfig::tone_mentions`], twice as many,
/// and so on within a day, each against the [`BaselineConfig::days`]
/// before it; the most surprising window is the bucket's. Each detector
/// reads that surprise against the series' own history like any other; a
/// window already sums a stretch of buckets, so the CUSUM adds nothing
/// again.
///
/// [`BaselineConfig::days`]: crate::detect::BaselineConfig::days
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ToneWatch {
    negative_share: CrisisDetector,
    sentiment: CrisisDetector,
    /// Each bucket's tone, newest last, over the reference days and the
    /// longest window.
    buckets: VecDeque<Tone>,
    /// The sum over `buckets`.
    total: Tone,
    /// Buckets in a day, and the fewest scored mentions of a window.
    day: usize,
    least: u64,
    /// Buckets the reference spans at most, and at least.
    span: usize,
    min_span: usize,
}

/// Scored mentions, the negative among them, and their scores' sum and sum
/// of squares.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Tone {
    scored: u64,
    negative: u64,
    sum: f64,
    squares: f64,
}

impl Tone {
    fn add(&mut self, o: &Tone) {
        self.scored += o.scored;
        self.negative += o.negative;
        self.sum += o.sum;
        self.squares += o.squares;
    }

    fn less(&self, o: &Tone) -> Tone {
        Tone {
            scored: self.scored - o.scored,
            negative: self.negative - o.negative,
            sum: self.sum - o.sum,
            squares: self.squares - o.squares,
        }
    }

    fn mean(&self) -> f64 {
        self.sum / self.scored as f64
    }

    /// The spread of single scores (at least the lexicons' resolution).
    fn deviation(&self) -> f64 {
        let n = self.scored as f64;
        let var = (self.squares - self.sum * self.sum / n) / (n - 1.0).max(1.0);
        var.max(0.0).sqrt().max(0.01)
    }
}

/// The two tone assessments of one bucket, how many mentions their windows
/// held, and whether the latest mentions are more negative than the days
/// before (`None` before there are days before to tell).
struct Judged {
    negative_share: Assessment,
    sentiment: Assessment,
    share_of: u64,
    mean_of: u64,
    angrier: Option<bool>,
}

impl ToneWatch {
    fn new(share: CrisisDetector, sentiment: CrisisDetector, config: &WatchConfig) -> Self {
        let day = (DAY / config.signals.bucket_seconds).max(1) as usize;
        let baseline = share.config().baseline;
        ToneWatch {
            negative_share: share,
            sentiment,
            buckets: VecDeque::new(),
            total: Tone::default(),
            day,
            least: config.tone_mentions,
            span: day * baseline.days.max(1),
            min_span: day * baseline.min_days.max(1),
        }
    }

    /// Judges one bucket; `None` when it holds no scored mention.
    fn push(&mut self, bucket: &Bucket) -> Option<Judged> {
        let tone = Tone {
            scored: bucket.scored,
            negative: bucket.negative,
            sum: bucket.sentiment_sum,
            squares: bucket.sentiment_squares,
        };
        self.buckets.push_back(tone);
        self.total.add(&tone);
        if self.buckets.len() > self.span + self.day
            && let Some(old) = self.buckets.pop_front()
        {
            self.total = self.total.less(&old);
        }
        if bucket.scored == 0 {
            return None;
        }
        // The windows: the latest buckets holding the fewest mentions, twice
        // as many, four times, ... within a day; each against the days
        // before it. A sharp crisis shows in the shortest, a slow one only
        // in a longer one; the most surprising of them is the bucket's.
        let min_change = self.negative_share.config().min_change;
        let (mut w, mut held) = (Tone::default(), 0);
        let mut next = self.least;
        let mut share: Option<Window> = None;
        let mut mean: Option<Window> = None;
        let len = self.buckets.len().min(self.day);
        for t in self.buckets.iter().rev().take(len) {
            w.add(t);
            held += 1;
            let last = held == len;
            if w.scored < next && !last {
                continue;
            }
            while next <= w.scored {
                next = next.saturating_mul(2);
            }
            let reference = self.total.less(&w);
            if self.buckets.len() - held < self.min_span || reference.scored < self.least {
                break;
            }
            let s = Window::share(w, reference, min_change);
            if share.is_none_or(|b| s.surprise > b.surprise) {
                share = Some(s);
            }
            let m = Window::mean(w, reference, min_change);
            if mean.is_none_or(|b| m.surprise > b.surprise) {
                mean = Some(m);
            }
        }
        // Before the days before are long enough: the bucket's own value,
        // with nothing to judge it against yet.
        let fallback = |value: f64| Window {
            value,
            mentions: bucket.scored,
            expected: None,
            surprise: 0.0,
            changed: false,
        };
        let share =
            share.unwrap_or_else(|| fallback(bucket.negative as f64 / bucket.scored as f64));
        let mean = mean.unwrap_or_else(|| fallback(bucket.sentiment_sum / bucket.scored as f64));
        let at = bucket.start;
        Some(Judged {
            negative_share: self.negative_share.assess(
                at,
                share.value,
                share.expected,
                [share.expected.map(|_| share.surprise), None],
                share.changed,
                false,
            ),
            sentiment: self.sentiment.assess(
                at,
                mean.value,
                mean.expected,
                [None, mean.expected.map(|_| mean.surprise)],
                mean.changed,
                false,
            ),
            share_of: share.mentions,
            mean_of: mean.mentions,
            // More negative than usual: a share above the days before's by
            // at least `min_change` of it, with a binomial tail chance of a
            // tenth or less (whether or not the calibration is ready yet).
            angrier: share
                .expected
                .map(|_| share.changed && share.surprise >= 1.0),
        })
    }
}

/// One window of the latest mentions judged against the days before it.
#[derive(Debug, Clone, Copy)]
struct Window {
    value: f64,
    mentions: u64,
    expected: Option<Expected>,
    surprise: f64,
    changed: bool,
}

impl Window {
    /// The negative share: half a mention each way in the reference, so
    /// one with no negative mention still expects a few.
    fn share(w: Tone, reference: Tone, min_change: f64) -> Window {
        let n = w.scored as f64;
        let value = w.negative as f64 / n;
        let p = (reference.negative as f64 + 0.5) / (reference.scored as f64 + 1.0);
        Window {
            value,
            mentions: w.scored,
            expected: Some(Expected {
                median: p,
                spread: (p * (1.0 - p) / n).sqrt(),
                values: Values::Real,
            }),
            surprise: binomial_surprise(w.negative, w.scored, p),
            changed: value - p >= min_change * p,
        }
    }

    /// The mean sentiment: its fall in standard errors of a mean of that
    /// many scores. A change is measured against the scale's reach, not
    /// the mean (which may be near 0): `min_change` of the reference's
    /// spread of single scores.
    fn mean(w: Tone, reference: Tone, min_change: f64) -> Window {
        let value = w.mean();
        let e = Expected {
            median: reference.mean(),
            spread: reference.deviation() / (w.scored as f64).sqrt(),
            values: Values::Real,
        };
        let z = -e.z(value);
        Window {
            value,
            mentions: w.scored,
            expected: Some(e),
            surprise: if z <= 1.0 {
                0.0
            } else {
                -real_tail_probability(z).max(f64::MIN_POSITIVE).log10()
            },
            changed: e.median - value >= min_change * reference.deviation(),
        }
    }
}

/// −log10 of the chance of at least `k` negative of `n` when each is with
/// chance `p`; 0 when `k` is no more than expected.
fn binomial_surprise(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 || (k as f64) <= p * n as f64 {
        return 0.0;
    }
    let tail = Binomial::new(p, n).map_or(1.0, |b| b.sf(k - 1));
    -tail.max(f64::MIN_POSITIVE).log10()
}

/// "1 mention", "18 mentions".
fn mentions(count: f64) -> String {
    let plural = if count == 1.0 { "" } else { "s" };
    format!("{count} mention{plural}")
}

/// How many were expected, for people: "fewer than 1 expected" rather than
/// "about 0 expected".
fn expected_words(expected: f64) -> String {
    if expected < 0.95 {
        "fewer than 1 expected".to_owned()
    } else {
        format!("about {expected:.0} expected")
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeDelta, TimeZone, Utc};
    use tertulia_core::{AccountId, Author, Handle, MentionId, Platform, Sentiment};

    use super::*;

    fn mention(n: usize, at: DateTime<Utc>, sentiment: f64) -> Mention {
        let author = Author::new(AccountId::new("a").unwrap(), Handle::new("a").unwrap());
        let mut m = Mention::new(
            MentionId::new(format!("m{n}")).unwrap(),
            Platform::Bluesky,
            author,
            at,
            "about the brand",
        );
        m.sentiment = Some(Sentiment::new(sentiment).unwrap());
        m
    }

    #[test]
    fn a_share_is_judged_by_how_many_mentions_it_is_of() {
        assert_eq!(binomial_surprise(2, 20, 0.1), 0.0, "as many as expected");
        assert!((binomial_surprise(1, 1, 0.1) - 1.0).abs() < 1e-9);
        assert!((binomial_surprise(3, 3, 0.1) - 3.0).abs() < 1e-9);
        // The same share of more mentions is far less likely.
        assert!(binomial_surprise(30, 30, 0.1) > 29.0);
    }

    /// The alert keys raised (not cleared) in the four hours from `from`.
    fn raised(steps: &[Step], from: DateTime<Utc>) -> Vec<String> {
        steps
            .iter()
            .flat_map(|s| &s.alerts)
            .filter(|a| !a.clear && a.at >= from && a.at < from + TimeDelta::hours(4))
            .map(|a| a.key.clone())
            .collect()
    }

    #[test]
    fn a_surge_as_happy_as_usual_is_no_crisis_and_an_angry_one_is() {
        let mut config = WatchConfig::default();
        config.signals.bucket_seconds = 900;
        let mut watch = Watch::new(config).unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
        let quarter = |q: i64| t0 + TimeDelta::minutes(15 * q);
        let mut steps = Vec::new();
        let mut n = 0;
        let mut say = |watch: &mut Watch, at: DateTime<Utc>, sentiment: f64| {
            n += 1;
            watch.push(&mention(n, at, sentiment)).unwrap()
        };
        let (happy, angry) = (21 * 96, 23 * 96);
        for q in 0..26 * 96 {
            // Four mentions a quarter hour, one of them negative; then a
            // post that takes off, and two days later one that angers.
            let burst = match q {
                q if q == happy => Some(0.6),
                q if q == angry => Some(-0.6),
                _ => None,
            };
            for (i, s) in [0.5, 0.1, 0.3, -0.4].into_iter().enumerate() {
                steps.extend(say(
                    &mut watch,
                    quarter(q) + TimeDelta::minutes(3 * i as i64),
                    s,
                ));
            }
            if let Some(s) = burst {
                for i in 0..40 {
                    steps.extend(say(&mut watch, quarter(q) + TimeDelta::seconds(20 * i), s));
                }
            }
        }
        let volume_opened = |q: i64| {
            steps
                .iter()
                .any(|s| s.bucket.start == quarter(q) && s.volume.event == Some(AlertEvent::Opened))
        };
        assert!(volume_opened(happy), "the volume detector sees both");
        assert!(volume_opened(angry));
        assert_eq!(raised(&steps, quarter(happy)), Vec::<String>::new());
        let angry_keys = raised(&steps, quarter(angry));
        assert!(
            angry_keys.contains(&"brand:volume".to_owned()),
            "{angry_keys:?}"
        );
        assert!(
            angry_keys.contains(&"brand:negative".to_owned()),
            "{angry_keys:?}"
        );
        assert!(
            angry_keys.contains(&"brand:sentiment".to_owned()),
            "{angry_keys:?}"
        );
        // Nothing before either.
        assert_eq!(
            steps
                .iter()
                .flat_map(|s| &s.alerts)
                .filter(|a| a.at < quarter(happy))
                .count(),
            0
        );
    }

    #[test]
    fn summaries_read_as_people_write() {
        assert_eq!(mentions(1.0), "1 mention");
        assert_eq!(mentions(18.0), "18 mentions");
        assert_eq!(expected_words(0.2), "fewer than 1 expected");
        assert_eq!(expected_words(2.4), "about 2 expected");
    }
}
