//! When people are online, and the weekly engagement profile planted in each
//! account.

use chrono::{DateTime, Datelike, Offset, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tertulia_core::Audience;

/// How active people are at each local hour, from the night trough to the
/// evening peak (a shape common to published social-media activity studies).
pub(crate) const HOUR_ACTIVITY: [f64; 24] = [
    0.16, 0.09, 0.05, 0.04, 0.04, 0.07, 0.17, 0.36, 0.55, 0.62, 0.6, 0.63, 0.78, 0.8, 0.68, 0.6,
    0.62, 0.72, 0.86, 0.97, 1.0, 0.9, 0.62, 0.32,
];

/// How active people are on each local weekday, Monday first.
pub(crate) const WEEKDAY_ACTIVITY: [f64; 7] = [0.95, 1.0, 1.06, 1.02, 0.92, 0.78, 0.84];

/// How much more a planted sweet spot engages than the best slot around it.
pub const SWEET_SPOT_BOOST: f64 = 1.35;

/// Activity of people living in `zone` at instant `at`.
pub(crate) fn activity_at(zone: Tz, at: DateTime<Utc>) -> f64 {
    let local = zone.from_utc_datetime(&at.naive_utc());
    HOUR_ACTIVITY[local.hour() as usize]
        * WEEKDAY_ACTIVITY[local.weekday().num_days_from_monday() as usize]
}

/// Activity of an audience at instant `at`: its zones' activities weighted by share.
pub(crate) fn audience_activity(audience: &Audience, at: DateTime<Utc>) -> f64 {
    audience
        .shares()
        .iter()
        .map(|s| s.share * activity_at(s.zone, at))
        .sum()
}

/// One weekly slot (a weekday and an hour, local time) and its value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SlotValue {
    /// The local weekday.
    pub weekday: Weekday,
    /// The local hour, 0 to 23.
    pub hour: u8,
    /// The profile value there.
    pub value: f64,
}

/// A value for each hour of the week in one time zone's local time, Monday
/// 00:00 first.
///
/// In the simulation it multiplies an account's engagement rate: a post
/// published in local slot (weekday, hour) expects `value` times the
/// account's base rate (before the effect of its kind).
///
/// ```
/// use chrono::Weekday;
/// use tertulia_sim::{SimConfig, Simulation};
///
/// let sim = Simulation::new(SimConfig::default())?;
/// let profile = &sim.truth().accounts[0].profile;
/// let best = profile.ranked()[0];
/// assert_eq!(profile.get(best.weekday, best.hour), best.value);
/// # Ok::<(), tertulia_sim::SimError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeeklyProfile {
    /// `values[weekday from Monday][hour]`.
    pub values: [[f64; 24]; 7],
}

impl WeeklyProfile {
    /// The value of local slot (`weekday`, `hour`); `hour` is taken modulo 24.
    pub fn get(&self, weekday: Weekday, hour: u8) -> f64 {
        self.values[weekday.num_days_from_monday() as usize][usize::from(hour % 24)]
    }

    /// Every slot, best first; ties keep week order.
    pub fn ranked(&self) -> Vec<SlotValue> {
        let mut slots: Vec<SlotValue> = (0..7u8)
            .flat_map(|d| {
                (0..24u8).map(move |h| SlotValue {
                    weekday: Weekday::try_from(d).expect("0..7 is a weekday"),
                    hour: h,
                    value: self.values[usize::from(d)][usize::from(h)],
                })
            })
            .collect();
        slots.sort_by(|a, b| b.value.total_cmp(&a.value));
        slots
    }

    /// The profile an audience gives an account run from `home`, with
    /// weekday effects scaled by `weekday_scale`, normalised so its best slot
    /// is 1, and then that slot boosted by [`SWEET_SPOT_BOOST`].
    ///
    /// Zone offsets are those at `reference`: the profile is planted in the
    /// account's wall-clock time and stays there across DST changes.
    pub(crate) fn planted(
        home: Tz,
        audience: &Audience,
        weekday_scale: [f64; 7],
        reference: DateTime<Utc>,
    ) -> WeeklyProfile {
        let offset = |zone: Tz| {
            i64::from(
                zone.offset_from_utc_datetime(&reference.naive_utc())
                    .fix()
                    .local_minus_utc(),
            ) / 60
        };
        let home_offset = offset(home);
        let mut values = [[0.0; 24]; 7];
        for (d, day) in values.iter_mut().enumerate() {
            for (h, value) in day.iter_mut().enumerate() {
                // The middle of the home slot, in minutes from Monday 00:00.
                let minute = (d as i64 * 24 + h as i64) * 60 + 30;
                *value = audience
                    .shares()
                    .iter()
                    .map(|s| {
                        let m = (minute + offset(s.zone) - home_offset).rem_euclid(7 * 24 * 60);
                        let (zd, zh) = ((m / 1440) as usize, ((m / 60) % 24) as usize);
                        s.share * HOUR_ACTIVITY[zh] * WEEKDAY_ACTIVITY[zd] * weekday_scale[zd]
                    })
                    .sum();
            }
        }
        let mut profile = WeeklyProfile { values };
        let best = profile.ranked()[0];
        let max = best.value;
        for v in profile.values.iter_mut().flatten() {
            *v /= max;
        }
        profile.values[best.weekday.num_days_from_monday() as usize][usize::from(best.hour)] *=
            SWEET_SPOT_BOOST;
        profile
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Europe};

    #[test]
    fn planted_profile_has_one_clear_best_slot() {
        let audience = Audience::new([(Europe::Madrid, 0.6), (America::Mexico_City, 0.4)]).unwrap();
        let reference = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
        let p = WeeklyProfile::planted(Europe::Madrid, &audience, [1.0; 7], reference);
        let ranked = p.ranked();
        assert_eq!(ranked[0].value, SWEET_SPOT_BOOST);
        assert!(ranked[1].value <= 1.0);
        // In January Madrid is 7 hours ahead of Mexico City: Tuesday 04:00 in
        // Madrid is Monday 21:00 there, and Tuesday 12:00 is Tuesday 05:00.
        let (h, w) = (HOUR_ACTIVITY, WEEKDAY_ACTIVITY);
        let night = 0.6 * h[4] * w[1] + 0.4 * h[21] * w[0];
        let noon = 0.6 * h[12] * w[1] + 0.4 * h[5] * w[1];
        let ratio = p.get(Weekday::Tue, 4) / p.get(Weekday::Tue, 12);
        assert!(
            (ratio - night / noon).abs() < 1e-12,
            "{ratio} vs {}",
            night / noon
        );
    }

    #[test]
    fn a_single_zone_audience_follows_its_local_activity() {
        let reference = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
        let p = WeeklyProfile::planted(
            America::New_York,
            &Audience::single(America::New_York),
            [1.0; 7],
            reference,
        );
        let best = p.ranked()[0];
        assert_eq!((best.weekday, best.hour), (Weekday::Wed, 20));
    }
}
