//! From mentions to signals: per time bucket, how many, how negative, which
//! trigger words, which influential authors, how many still unanswered.

use std::collections::BTreeMap;

use aho_corasick::{AhoCorasick, MatchKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tertulia_core::{Mention, Polarity};

use crate::error::{Error, Result};

/// What to count, and how long to wait for late mentions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignalConfig {
    /// The bucket width in seconds; must divide a day.
    pub bucket_seconds: i64,
    /// Words that matter whatever the volume ("boicot", "lawsuit"), matched
    /// anywhere in the text, ignoring ASCII case.
    pub keywords: Vec<String>,
    /// Followers from which an author counts as influential.
    pub influential_followers: u64,
    /// How long after a bucket ends its mentions may still arrive: a bucket
    /// is complete once a mention this much later has been seen.
    pub lateness_seconds: i64,
}

impl Default for SignalConfig {
    fn default() -> Self {
        SignalConfig {
            bucket_seconds: 300,
            keywords: [
                "boicot",
                "boycott",
                "demanda",
                "lawsuit",
                "recall",
                "retirada",
                "intoxicación",
                "poisoning",
                "estafa",
                "scam",
                "fraude",
                "fraud",
                "denuncia",
            ]
            .map(str::to_owned)
            .to_vec(),
            influential_followers: 50_000,
            lateness_seconds: 120,
        }
    }
}

/// One bucket of mentions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Its start.
    pub start: DateTime<Utc>,
    /// Mentions in it.
    pub mentions: u64,
    /// Mentions with a sentiment score.
    pub scored: u64,
    /// Mentions whose sentiment is negative.
    pub negative: u64,
    /// The sum of the sentiment scores (see [`Bucket::mean_sentiment`]).
    pub sentiment_sum: f64,
    /// The sum of the squared sentiment scores: with the sum, their spread.
    #[serde(default)]
    pub sentiment_squares: f64,
    /// How many mentions named each keyword.
    pub keywords: BTreeMap<String, u64>,
    /// Mentions by authors with at least the influential follower count.
    pub influential: u64,
    /// Mentions of this bucket that arrived after it was complete, counted
    /// here rather than lost (they are in no bucket's `mentions`).
    pub late: u64,
    /// Mentions made before the bucket's end and not answered by then.
    pub backlog: u64,
}

impl Bucket {
    /// The negative share of the scored mentions; `None` when none is scored.
    pub fn negative_share(&self) -> Option<f64> {
        (self.scored > 0).then(|| self.negative as f64 / self.scored as f64)
    }

    /// The mean sentiment of the scored mentions; `None` when none is scored.
    pub fn mean_sentiment(&self) -> Option<f64> {
        (self.scored > 0).then(|| self.sentiment_sum / self.scored as f64)
    }

    /// Adds another shard's counts for the same bucket (the backlog is a
    /// level, not a flow: the shards' backlogs add up too).
    pub fn merge(&mut self, other: &Bucket) {
        self.mentions += other.mentions;
        self.scored += other.scored;
        self.negative += other.negative;
        self.sentiment_sum += other.sentiment_sum;
        self.sentiment_squares += other.sentiment_squares;
        for (k, n) in &other.keywords {
            *self.keywords.entry(k.clone()).or_default() += n;
        }
        self.influential += other.influential;
        self.late += other.late;
        self.backlog += other.backlog;
    }
}

/// Turns a stream of mentions into complete buckets, in time order, gaps
/// filled with empty buckets.
///
/// Mentions may come a little out of order: a bucket stays open until a
/// mention [`SignalConfig::lateness_seconds`] past its end arrives (or
/// [`Signals::flush`]). A mention for a bucket already given out is counted
/// in the next bucket's `late`.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use tertulia_core::{AccountId, Author, Handle, Mention, MentionId, Platform, Sentiment};
/// use tertulia_crisis::signals::{SignalConfig, Signals};
///
/// let mut signals = Signals::new(SignalConfig::default())?;
/// let t0 = Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap();
/// let who = Author::new(AccountId::new("1")?, Handle::new("ana")?);
/// let mut m = Mention::new(MentionId::new("m1")?, Platform::Bluesky, who, t0, "Convocamos un boicot");
/// m.sentiment = Some(Sentiment::new(-0.6)?);
/// assert!(signals.push(&m)?.is_empty(), "the bucket is still open");
/// let done = signals.flush();
/// assert_eq!(done[0].mentions, 1);
/// assert_eq!(done[0].negative_share(), Some(1.0));
/// assert_eq!(done[0].keywords["boicot"], 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Signals {
    config: SignalConfig,
    #[serde(skip)]
    matcher: Option<AhoCorasick>,
    /// Open buckets by number.
    open: BTreeMap<i64, Bucket>,
    /// The next bucket to give out; `None` before the first mention.
    next: Option<i64>,
    /// The latest mention time seen, in seconds.
    watermark: i64,
    /// Unanswered mentions of buckets given out, by the bucket in which they
    /// are answered (`i64::MAX`: not yet).
    unanswered: BTreeMap<i64, u64>,
    /// The same for open buckets, moved to `unanswered` as each closes.
    pending: BTreeMap<i64, BTreeMap<i64, u64>>,
    /// Late mentions not yet reported.
    late: u64,
    /// Which keywords the current mention named: scratch, rebuilt with the
    /// matcher after a restore.
    #[serde(skip)]
    keyword_hits: Vec<bool>,
}

impl Signals {
    /// Checks the configuration. Errors say which setting cannot work.
    pub fn new(config: SignalConfig) -> Result<Self> {
        if config.bucket_seconds <= 0 || 86_400 % config.bucket_seconds != 0 {
            return Err(Error::Config(format!(
                "bucket_seconds is {}: it must divide a day (60, 300, 900, 3600 ...)",
                config.bucket_seconds
            )));
        }
        if config.lateness_seconds < 0 {
            return Err(Error::Config(
                "lateness_seconds must be 0 or more".to_owned(),
            ));
        }
        if config.keywords.iter().any(|k| k.trim().is_empty()) {
            return Err(Error::Config("a keyword is empty".to_owned()));
        }
        let matcher = Self::matcher(&config)?;
        Ok(Signals {
            keyword_hits: vec![false; config.keywords.len()],
            config,
            matcher: Some(matcher),
            open: BTreeMap::new(),
            next: None,
            watermark: i64::MIN,
            unanswered: BTreeMap::new(),
            pending: BTreeMap::new(),
            late: 0,
        })
    }

    fn matcher(config: &SignalConfig) -> Result<AhoCorasick> {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&config.keywords)
            .map_err(|e| Error::Config(format!("keywords: {e}")))
    }

    /// The configuration.
    pub fn config(&self) -> &SignalConfig {
        &self.config
    }

    /// The start of bucket `n`.
    fn start(&self, n: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(n * self.config.bucket_seconds, 0).unwrap_or_default()
    }

    fn bucket_of(&self, at: DateTime<Utc>) -> i64 {
        at.timestamp().div_euclid(self.config.bucket_seconds)
    }

    /// Counts one mention; returns the buckets it completed, in order.
    pub fn push(&mut self, mention: &Mention) -> Result<Vec<Bucket>> {
        if self.matcher.is_none() {
            self.matcher = Some(Self::matcher(&self.config)?);
            self.keyword_hits = vec![false; self.config.keywords.len()];
        }
        let n = self.bucket_of(mention.created_at);
        let next = *self.next.get_or_insert(n);
        if n < next {
            self.late += 1;
        } else {
            // The bucket by whose end it is answered.
            let answered = mention.responded_at.map_or(i64::MAX, |r| self.bucket_of(r));
            let start = self.start(n);
            let bucket = self.open.entry(n).or_insert_with(|| Bucket {
                start,
                ..Bucket::default()
            });
            bucket.mentions += 1;
            if let Some(s) = mention.sentiment {
                bucket.scored += 1;
                bucket.sentiment_sum += s.score();
                bucket.sentiment_squares += s.score() * s.score();
                bucket.negative += u64::from(s.polarity() == Polarity::Negative);
            }
            if mention
                .author
                .followers
                .is_some_and(|f| f >= self.config.influential_followers)
            {
                bucket.influential += 1;
            }
            if let Some(matcher) = &self.matcher {
                self.keyword_hits.fill(false);
                for m in matcher.find_overlapping_iter(&mention.text) {
                    self.keyword_hits[m.pattern().as_usize()] = true;
                }
                for (k, _) in self
                    .keyword_hits
                    .iter()
                    .enumerate()
                    .filter(|(_, hit)| **hit)
                {
                    *bucket
                        .keywords
                        .entry(self.config.keywords[k].clone())
                        .or_default() += 1;
                }
            }
            // A mention answered within its own bucket never joins a backlog.
            if answered > n {
                *self
                    .pending
                    .entry(n)
                    .or_default()
                    .entry(answered)
                    .or_default() += 1;
            }
        }
        self.watermark = self.watermark.max(mention.created_at.timestamp());
        let complete =
            (self.watermark - self.config.lateness_seconds).div_euclid(self.config.bucket_seconds);
        Ok(self.close_before(complete))
    }

    /// Gives out every bucket up to the latest one seen, complete or not
    /// (at the end of a stream, or on a timer when mentions stop).
    pub fn flush(&mut self) -> Vec<Bucket> {
        let last = self.open.keys().next_back().copied().unwrap_or(i64::MIN);
        self.close_before(last.saturating_add(1))
    }

    /// Gives out the buckets before `end`, empty ones included.
    fn close_before(&mut self, end: i64) -> Vec<Bucket> {
        let mut out = Vec::new();
        let Some(mut n) = self.next else {
            return out;
        };
        while n < end {
            let mut bucket = self.open.remove(&n).unwrap_or_else(|| Bucket {
                start: self.start(n),
                ..Bucket::default()
            });
            if let Some(pending) = self.pending.remove(&n) {
                for (answered, count) in pending {
                    *self.unanswered.entry(answered).or_default() += count;
                }
            }
            // Answered by the end of this bucket: out of the backlog.
            self.unanswered = self.unanswered.split_off(&(n + 1));
            bucket.backlog = self.unanswered.values().sum();
            bucket.late = std::mem::take(&mut self.late);
            out.push(bucket);
            n += 1;
        }
        self.next = Some(n);
        out
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone};
    use tertulia_core::{AccountId, Author, Handle, MentionId, Platform, Sentiment};

    use super::*;

    fn mention(id: usize, at: DateTime<Utc>, text: &str, sentiment: f64) -> Mention {
        let mut author = Author::new(AccountId::new("a").unwrap(), Handle::new("a").unwrap());
        author.followers = Some(if id.is_multiple_of(2) { 100 } else { 80_000 });
        let mut m = Mention::new(
            MentionId::new(format!("m{id}")).unwrap(),
            Platform::Bluesky,
            author,
            at,
            text,
        );
        m.sentiment = Some(Sentiment::new(sentiment).unwrap());
        m
    }

    fn t(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap() + TimeDelta::minutes(minute)
    }

    #[test]
    fn buckets_count_fill_gaps_and_take_late_mentions() {
        let mut s = Signals::new(SignalConfig::default()).unwrap();
        let mut out = Vec::new();
        out.extend(s.push(&mention(0, t(0), "hola", 0.5)).unwrap());
        out.extend(s.push(&mention(1, t(1), "LAWSUIT now", -0.7)).unwrap());
        out.extend(
            s.push(&mention(2, t(4), "recall and lawsuit", -0.2))
                .unwrap(),
        );
        assert!(out.is_empty());
        // 17 minutes: buckets 0..3 complete (lateness 2 minutes).
        out.extend(s.push(&mention(3, t(17), "ok", 0.0)).unwrap());
        assert_eq!(out.len(), 3);
        assert_eq!(
            (out[0].mentions, out[0].negative, out[0].influential),
            (3, 2, 1)
        );
        assert_eq!(out[0].keywords["lawsuit"], 2);
        assert_eq!(out[0].keywords["recall"], 1);
        assert!((out[0].mean_sentiment().unwrap() - (-0.4 / 3.0)).abs() < 1e-12);
        assert_eq!(
            (out[1].mentions, out[2].mentions),
            (0, 0),
            "gaps are empty buckets"
        );
        // A mention for bucket 0, now given out: late, counted, not lost.
        assert!(s.push(&mention(4, t(2), "late", 0.0)).unwrap().is_empty());
        let rest = s.flush();
        assert_eq!(rest.len(), 1);
        assert_eq!((rest[0].mentions, rest[0].late), (1, 1));
    }

    #[test]
    fn the_backlog_is_what_is_unanswered_at_each_bucket_end() {
        let mut s = Signals::new(SignalConfig {
            lateness_seconds: 0,
            ..SignalConfig::default()
        })
        .unwrap();
        let answered_soon = mention(0, t(0), "a", 0.0).with_response(t(7)).unwrap();
        let answered_in_bucket = mention(1, t(1), "b", 0.0).with_response(t(3)).unwrap();
        let never = mention(2, t(2), "c", 0.0);
        for m in [answered_soon, answered_in_bucket, never] {
            assert!(s.push(&m).unwrap().is_empty());
        }
        let out = s.push(&mention(3, t(15), "d", 0.0)).unwrap();
        let backlog: Vec<u64> = out.iter().map(|b| b.backlog).collect();
        assert_eq!(backlog, [2, 1, 1]);
    }

    #[test]
    fn state_round_trips_and_buckets_merge() {
        let mut s = Signals::new(SignalConfig::default()).unwrap();
        s.push(&mention(0, t(0), "boicot", -0.5)).unwrap();
        let mut back: Signals = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        back.push(&mention(1, t(1), "boicot", -0.5)).unwrap();
        let mut a = back.flush().remove(0);
        assert_eq!((a.mentions, a.keywords["boicot"]), (2, 2));
        let b = a.clone();
        a.merge(&b);
        assert_eq!((a.mentions, a.negative, a.keywords["boicot"]), (4, 4, 4));
        assert!(
            Signals::new(SignalConfig {
                bucket_seconds: 7,
                ..SignalConfig::default()
            })
            .is_err()
        );
    }
}
