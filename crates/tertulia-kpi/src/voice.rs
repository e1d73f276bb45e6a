//! Share of voice against named competitors.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rate::Estimate;
use crate::stats::{self, Confidence};

/// One brand's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voice {
    /// Mentions of the brand.
    pub mentions: u64,
    /// Engagement on the brand's posts.
    pub engagement: u128,
}

/// Share of voice: each brand's share of all mentions and of all engagement
/// among the brands named, ours first. A mergeable, serializable accumulator.
///
/// ```
/// use tertulia_kpi::ShareOfVoice;
///
/// let mut sov = ShareOfVoice::new("aurora", ["borealis", "cenit"])?;
/// sov.add_mentions("aurora", 300)?;
/// sov.add_mentions("borealis", 500)?;
/// sov.add_mentions("cenit", 200)?;
/// sov.add_engagement("aurora", 9_000)?;
/// sov.add_engagement("borealis", 3_000)?;
/// assert!(sov.add_mentions("unknown", 1).is_err());
///
/// let shares = sov.report(Default::default());
/// assert_eq!(shares[0].brand, "aurora");
/// assert_eq!(shares[0].by_mentions.unwrap().value, 0.3);
/// assert_eq!(shares[0].by_engagement.unwrap().value, 0.75);
/// # Ok::<(), tertulia_kpi::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareOfVoice {
    ours: String,
    brands: BTreeMap<String, Voice>,
}

impl ShareOfVoice {
    /// Our brand against `competitors`; names must be distinct and not empty.
    pub fn new<'a>(ours: &'a str, competitors: impl IntoIterator<Item = &'a str>) -> Result<Self> {
        let mut brands = BTreeMap::new();
        for name in std::iter::once(ours).chain(competitors) {
            let name = name.trim();
            if name.is_empty() || brands.insert(name.to_owned(), Voice::default()).is_some() {
                return Err(Error::Setting {
                    field: "share of voice brand",
                    value: format!("{name:?}"),
                    expected: "name each brand once, with a non-empty name",
                });
            }
        }
        Ok(ShareOfVoice {
            ours: ours.trim().to_owned(),
            brands,
        })
    }

    fn voice(&mut self, brand: &str) -> Result<&mut Voice> {
        self.brands
            .get_mut(brand.trim())
            .ok_or_else(|| Error::Setting {
                field: "share of voice brand",
                value: format!("{brand:?}"),
                expected: "count only brands named when the share of voice was created",
            })
    }

    /// Counts `n` more mentions of `brand`.
    pub fn add_mentions(&mut self, brand: &str, n: u64) -> Result<()> {
        self.voice(brand)?.mentions += n;
        Ok(())
    }

    /// Counts `n` more engagement on `brand`'s posts.
    pub fn add_engagement(&mut self, brand: &str, n: u64) -> Result<()> {
        self.voice(brand)?.engagement += u128::from(n);
        Ok(())
    }

    /// Adds another shard; it must name the same brands.
    pub fn merge(&mut self, other: &ShareOfVoice) -> Result<()> {
        let names = |s: &ShareOfVoice| s.brands.keys().cloned().collect::<Vec<_>>().join(", ");
        if self.ours != other.ours || !self.brands.keys().eq(other.brands.keys()) {
            return Err(Error::Mismatch {
                setting: "brands",
                ours: names(self),
                theirs: names(other),
            });
        }
        for (name, v) in &other.brands {
            let mine = self.brands.get_mut(name).expect("same brands");
            mine.mentions += v.mentions;
            mine.engagement += v.engagement;
        }
        Ok(())
    }

    /// Each brand's shares, ours first, then competitors by name. Shares are
    /// `None` when no brand has any; intervals are Wilson's.
    pub fn report(&self, confidence: Confidence) -> Vec<BrandShare> {
        let total_mentions: u128 = self.brands.values().map(|v| u128::from(v.mentions)).sum();
        let total_engagement: u128 = self.brands.values().map(|v| v.engagement).sum();
        let share = |part: u128, all: u128| {
            (all > 0).then(|| Estimate {
                value: part as f64 / all as f64,
                interval: stats::wilson(part, all, confidence),
            })
        };
        let mut out: Vec<BrandShare> = self
            .brands
            .iter()
            .map(|(brand, v)| BrandShare {
                brand: brand.clone(),
                ours: *brand == self.ours,
                voice: *v,
                by_mentions: share(u128::from(v.mentions), total_mentions),
                by_engagement: share(v.engagement, total_engagement),
            })
            .collect();
        out.sort_by_key(|b| !b.ours);
        out
    }
}

/// One brand's share of voice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrandShare {
    /// The brand.
    pub brand: String,
    /// Whether it is ours.
    pub ours: bool,
    /// Its counts.
    pub voice: Voice,
    /// Its share of all mentions.
    pub by_mentions: Option<Estimate>,
    /// Its share of all engagement.
    pub by_engagement: Option<Estimate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_shards_must_match() {
        assert!(ShareOfVoice::new("a", ["a"]).is_err());
        assert!(ShareOfVoice::new(" ", ["b"]).is_err());
        let mut a = ShareOfVoice::new("a", ["b"]).unwrap();
        let b = ShareOfVoice::new("a", ["c"]).unwrap();
        assert!(a.merge(&b).is_err());
        let empty = a.report(Confidence::default());
        assert!(empty.iter().all(|s| s.by_mentions.is_none()));
        let mut other = ShareOfVoice::new("a", ["b"]).unwrap();
        other.add_mentions("b", 4).unwrap();
        a.add_mentions("a", 4).unwrap();
        a.merge(&other).unwrap();
        assert_eq!(
            a.report(Confidence::default())[1]
                .by_mentions
                .unwrap()
                .value,
            0.5
        );
    }
}
