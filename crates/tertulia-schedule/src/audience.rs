//! Several audiences in several time zones: slots per audience, and one
//! combined set that reaches them all.

use chrono::{Datelike, Days, NaiveDate, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};
use tertulia_core::{Audience, local_instant};

use crate::error::{Error, Result};
use crate::model::BestTimes;
use crate::slot::Slot;

/// How many people of an audience are online at each local hour, relative
/// (only the shape matters).
///
/// The default is an assumption, not a measurement: low at night, rising
/// from 07:00, a lunch peak at 13:00 and the highest evening peak from 19:00
/// to 22:00. Give your own from your platform's audience insights.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Activity(pub [f64; 24]);

impl Default for Activity {
    fn default() -> Self {
        Activity([
            0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.55, 0.7, 0.7, 0.7, 0.75, 0.85, 0.9, 0.8, 0.7,
            0.7, 0.75, 0.85, 1.0, 1.0, 1.0, 0.85, 0.5,
        ])
    }
}

/// One slot as it serves an audience.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudienceSlot {
    /// The slot, in the account's local time.
    pub slot: Slot,
    /// When that is for the audience, in its local time ("Wed 14:00").
    pub local: String,
    /// The slot's estimate weighted by how much of the audience is online.
    pub score: f64,
}

/// The best slots for one audience.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudienceSlots {
    /// The audience's zone.
    pub zone: String,
    /// Its share of the followers.
    pub share: f64,
    /// Its best slots, best first.
    pub slots: Vec<AudienceSlot>,
}

/// Slots per audience and a combined set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudiencePlan {
    /// Each audience's best slots.
    pub audiences: Vec<AudienceSlots>,
    /// The combined set, in the order chosen: each pick adds the most
    /// share-weighted reach, counting each audience at its best chosen slot,
    /// so the set spreads across zones instead of piling onto one.
    pub combined: Vec<Slot>,
}

/// Recommends slots for each zone of `audience` and a combined set of
/// `count` slots. A slot's score for an audience is the model's estimate
/// times how much of that audience is online then; times are converted in
/// the week starting `week_of` (DST as in that week).
///
/// ```
/// use chrono::NaiveDate;
/// use tertulia_core::{chrono_tz::{America::Mexico_City, Europe::Madrid}, Audience};
/// use tertulia_schedule::{plan_for_audiences, Activity, FitOptions, Observation, SlotStats, SlotWidth};
///
/// # let mut stats = SlotStats::new(Madrid)?;
/// # let at = chrono::Utc::now();
/// # for slot in 0..168 { stats.add(Observation { at, slot, kind: Default::default(), value: 0.02 }); }
/// let model = stats.fit(&FitOptions::default())?;
/// let audience = Audience::new([(Madrid, 0.6), (Mexico_City, 0.4)]).unwrap();
/// let week = NaiveDate::from_ymd_opt(2026, 5, 4).unwrap();
/// let plan = plan_for_audiences(&model, &audience, &Activity::default(), week, 3)?;
/// // With every slot alike, the evening in Madrid and the evening in Mexico City win.
/// assert_eq!(plan.audiences[0].slots[0].local[4..6].parse::<u32>().unwrap() >= 19, true);
/// assert_eq!(plan.combined.len(), 3);
/// # Ok::<(), tertulia_schedule::Error>(())
/// ```
pub fn plan_for_audiences(
    model: &BestTimes,
    audience: &Audience,
    activity: &Activity,
    week_of: NaiveDate,
    count: usize,
) -> Result<AudiencePlan> {
    if count == 0 || activity.0.iter().any(|a| !a.is_finite() || *a < 0.0) {
        return Err(Error::Setting {
            field: "audience plan",
            value: format!("{count} slots"),
            expected: "ask for at least one slot, with a non-negative activity curve",
        });
    }
    let monday = week_of - Days::new(u64::from(week_of.weekday().num_days_from_monday()));
    let estimates = model.by_index();
    // scores[zone][slot] and the audience-local label of each slot.
    let zones = audience.shares();
    let mut scores = vec![vec![0.0; estimates.len()]; zones.len()];
    let mut labels = vec![vec![String::new(); estimates.len()]; zones.len()];
    for (i, est) in estimates.iter().enumerate() {
        let slot = est.slot;
        let day = monday + Days::new(u64::from(slot.weekday.num_days_from_monday()));
        let time =
            NaiveTime::from_hms_opt(u32::from(slot.minute / 60), u32::from(slot.minute % 60), 0)
                .expect("a time of day");
        let at = local_instant(model.zone, day.and_time(time));
        for (z, share) in zones.iter().enumerate() {
            let local = at.with_timezone(&share.zone);
            scores[z][i] = est.estimate.max(0.0) * activity.0[local.hour() as usize];
            labels[z][i] = local.format("%a %H:%M").to_string();
        }
    }
    let per_zone = count.min(estimates.len());
    let audiences = zones
        .iter()
        .enumerate()
        .map(|(z, share)| {
            let mut order: Vec<usize> = (0..estimates.len()).collect();
            order.sort_by(|&a, &b| scores[z][b].total_cmp(&scores[z][a]).then(a.cmp(&b)));
            AudienceSlots {
                zone: share.zone.to_string(),
                share: share.share,
                slots: order[..per_zone]
                    .iter()
                    .map(|&i| AudienceSlot {
                        slot: estimates[i].slot,
                        local: labels[z][i].clone(),
                        score: scores[z][i],
                    })
                    .collect(),
            }
        })
        .collect();

    // Greedy: each pick maximises Σ share × (best score reached so far).
    let mut reached = vec![0.0f64; zones.len()];
    let mut combined: Vec<usize> = Vec::new();
    for _ in 0..per_zone {
        let gain = |i: usize| -> f64 {
            zones
                .iter()
                .enumerate()
                .map(|(z, s)| s.share * (scores[z][i] - reached[z]).max(0.0))
                .sum()
        };
        let Some(pick) = (0..estimates.len())
            .filter(|i| !combined.contains(i))
            .max_by(|&a, &b| gain(a).total_cmp(&gain(b)).then(b.cmp(&a)))
        else {
            break;
        };
        for (z, r) in reached.iter_mut().enumerate() {
            *r = r.max(scores[z][pick]);
        }
        combined.push(pick);
    }
    Ok(AudiencePlan {
        audiences,
        combined: combined.iter().map(|&i| estimates[i].slot).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FitOptions, Observation, SlotStats};
    use chrono::{TimeZone, Utc};
    use chrono_tz::Asia::Tokyo;
    use chrono_tz::Europe::Madrid;

    #[test]
    fn the_combined_set_reaches_each_audience_in_its_evening() {
        let mut stats = SlotStats::new(Madrid).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
        for slot in 0..168 {
            stats.add(Observation {
                at,
                slot,
                kind: Default::default(),
                value: 0.02,
            });
        }
        let model = stats.fit(&FitOptions::default()).unwrap();
        let audience = Audience::new([(Madrid, 0.5), (Tokyo, 0.5)]).unwrap();
        let week = NaiveDate::from_ymd_opt(2026, 5, 4).unwrap();
        let plan = plan_for_audiences(&model, &audience, &Activity::default(), week, 2).unwrap();
        let evening = |label: &str| label[4..6].parse::<u32>().unwrap() >= 19;
        assert!(evening(&plan.audiences[0].slots[0].local));
        assert!(evening(&plan.audiences[1].slots[0].local));
        // One pick serves Madrid's evening, the other Tokyo's.
        let hours: Vec<u8> = plan.combined.iter().map(|s| s.hour()).collect();
        assert!(hours.iter().any(|h| *h >= 19), "{hours:?}");
        assert!(hours.iter().any(|h| *h < 19), "{hours:?}");
        assert!(plan_for_audiences(&model, &audience, &Activity::default(), week, 0).is_err());
    }
}
