//! The whole watch: mentions in, buckets, detector assessments and alerts
//! out. Three detectors, one method ([`CrisisDetector`] with the settings
//! chosen by cross-validation on NAB), read each bucket: its volume of
//! mentions (counts, rising), the share of them that is negative (real
//! values, rising) and their mean sentiment (real values, falling). A crisis
//! that is more anger than noise shows in the last two before the first.
//! Trigger words raise one more alert, whatever the volume.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tertulia_core::Mention;

use crate::detect::{
    AlertEvent, Assessment, CrisisDetector, DetectorConfig, Direction, Severity, Values,
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
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            name: "brand".to_owned(),
            signals: SignalConfig::default(),
            detector: DetectorConfig::default(),
            keyword_alert_at: 3,
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
    /// The detector on the share of scored mentions that is negative;
    /// `None` for a bucket with no scored mention.
    pub negative_share: Option<Assessment>,
    /// The detector on the mean sentiment of the scored mentions; `None`
    /// for a bucket with no scored mention.
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
    negative_share: CrisisDetector,
    sentiment: CrisisDetector,
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
            negative_share: CrisisDetector::new(real(Direction::Rise))?,
            sentiment: CrisisDetector::new(real(Direction::Fall))?,
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
        let negative_share = bucket
            .negative_share()
            .map(|share| self.negative_share.push(bucket.start, share))
            .transpose()?;
        let sentiment = bucket
            .mean_sentiment()
            .map(|mean| self.sentiment.push(bucket.start, mean))
            .transpose()?;
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
        let (mut alerts, mut updates) = (Vec::new(), Vec::new());
        let judged = [
            ("volume", Some(&volume)),
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
                    "{:.0}% of mentions negative in {minutes} min, {:.0}% expected",
                    100.0 * a.count,
                    100.0 * expected
                ),
                _ => format!(
                    "mean sentiment {:+.2} in {minutes} min, {expected:+.2} expected",
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
    use super::*;

    #[test]
    fn summaries_read_as_people_write() {
        assert_eq!(mentions(1.0), "1 mention");
        assert_eq!(mentions(18.0), "18 mentions");
        assert_eq!(expected_words(0.2), "fewer than 1 expected");
        assert_eq!(expected_words(2.4), "about 2 expected");
    }
}
