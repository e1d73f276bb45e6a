//! The whole watch: mentions in, buckets, detector assessments and alerts
//! out. Two detectors read each bucket (all mentions, negative mentions);
//! trigger words raise one more alert, whatever the volume.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tertulia_core::Mention;

use crate::detect::{AlertEvent, Assessment, CrisisDetector, DetectorConfig, Severity};
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
    /// The detector on negative mentions.
    pub negative: Assessment,
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
    negative: CrisisDetector,
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
        Ok(Watch {
            signals: Signals::new(config.signals.clone())?,
            volume: CrisisDetector::new(config.detector)?,
            negative: CrisisDetector::new(config.detector)?,
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
        let negative = self.negative.push(bucket.start, bucket.negative as f64)?;
        let mut details = BTreeMap::from([
            ("mentions".to_owned(), bucket.mentions.to_string()),
            ("negative".to_owned(), bucket.negative.to_string()),
            ("influential".to_owned(), bucket.influential.to_string()),
            ("backlog".to_owned(), bucket.backlog.to_string()),
        ]);
        if let Some(share) = bucket.negative_share() {
            details.insert("negative_share".to_owned(), format!("{share:.2}"));
        }
        let (mut alerts, mut updates) = (Vec::new(), Vec::new());
        for (what, a) in [("volume", &volume), ("negative", &negative)] {
            if a.event.is_none() && !a.alerting {
                continue;
            }
            let expected = a.expected.as_ref().map_or(0.0, |e| e.count());
            let mut details = details.clone();
            details.insert("expected".to_owned(), format!("{expected:.1}"));
            details.insert("score".to_owned(), format!("{:.2}", a.score));
            let alert = Alert {
                key: format!("{}:{what}", self.config.name),
                at: bucket.start,
                severity: a.severity.unwrap_or(Severity::Info),
                summary: format!(
                    "{}: {} in {} min, {}",
                    self.config.name,
                    mentions(a.count, what),
                    self.config.signals.bucket_seconds / 60,
                    expected_words(expected)
                ),
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
            negative,
            alerts,
            updates,
        })
    }
}

/// "1 mention", "18 mentions", "9 negative mentions".
fn mentions(count: f64, what: &str) -> String {
    let kind = if what == "negative" { "negative " } else { "" };
    let plural = if count == 1.0 { "" } else { "s" };
    format!("{count} {kind}mention{plural}")
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
        assert_eq!(mentions(1.0, "volume"), "1 mention");
        assert_eq!(mentions(18.0, "volume"), "18 mentions");
        assert_eq!(mentions(9.0, "negative"), "9 negative mentions");
        assert_eq!(expected_words(0.2), "fewer than 1 expected");
        assert_eq!(expected_words(2.4), "about 2 expected");
    }
}
