//! Posts that go out again and again at the same local time.

use chrono::{DateTime, Datelike, Days, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tertulia_core::local_instant;

/// A rule for a post that repeats at a wall-clock time in a named zone:
/// every day, or on some weekdays. It is kept as wall-clock time and zone,
/// never as a UTC instant, so it does not drift an hour when DST starts or
/// ends. On the night clocks skip its time it goes out at the first time
/// that exists after it; on the night that time happens twice, at the
/// first.
///
/// ```
/// use chrono::{NaiveTime, TimeZone, Utc, Weekday};
/// use tertulia_schedule::Recurrence;
///
/// let monday_nine = Recurrence::weekly(chrono_tz::Europe::Madrid, [Weekday::Mon], NaiveTime::from_hms_opt(9, 0, 0).unwrap());
/// let from = Utc.with_ymd_and_hms(2027, 3, 20, 0, 0, 0).unwrap();
/// let to = Utc.with_ymd_and_hms(2027, 4, 3, 0, 0, 0).unwrap();
/// let times: Vec<String> = monday_nine.between(from, to).iter().map(|t| t.to_rfc3339()).collect();
/// // 09:00 in Madrid is 08:00 UTC before DST starts on 28 March, 07:00 after.
/// assert_eq!(times, ["2027-03-22T08:00:00+00:00", "2027-03-29T07:00:00+00:00"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recurrence {
    /// The zone the time is read in.
    pub zone: Tz,
    /// The local time.
    pub time: NaiveTime,
    /// The local weekdays it goes out on; empty: every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weekdays: Vec<Weekday>,
}

/// How a local time a person gave maps to an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTime {
    /// It exists once.
    Exact(DateTime<Utc>),
    /// Clocks skip it (DST starts): it is read as the first time after it
    /// that exists.
    Skipped {
        /// The instant it goes out at.
        at: DateTime<Utc>,
    },
    /// It happens twice (DST ends): it is read as the first.
    Twice {
        /// The first.
        first: DateTime<Utc>,
        /// The second.
        second: DateTime<Utc>,
    },
}

impl LocalTime {
    /// The wall-clock time `local` in `zone`, and how it was read.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use tertulia_schedule::LocalTime;
    ///
    /// let t = NaiveDate::from_ymd_opt(2027, 3, 28).unwrap().and_hms_opt(2, 30, 0).unwrap();
    /// let LocalTime::Skipped { at } = LocalTime::of(chrono_tz::Europe::Madrid, t) else { panic!() };
    /// assert_eq!(at.to_rfc3339(), "2027-03-28T01:00:00+00:00"); // 03:00 CEST
    /// ```
    pub fn of(zone: Tz, local: NaiveDateTime) -> LocalTime {
        match zone.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => LocalTime::Exact(t.to_utc()),
            chrono::LocalResult::Ambiguous(a, b) => LocalTime::Twice {
                first: a.to_utc().min(b.to_utc()),
                second: a.to_utc().max(b.to_utc()),
            },
            chrono::LocalResult::None => LocalTime::Skipped {
                at: local_instant(zone, local),
            },
        }
    }

    /// The instant it goes out at.
    pub fn at(self) -> DateTime<Utc> {
        match self {
            LocalTime::Exact(at) | LocalTime::Skipped { at } => at,
            LocalTime::Twice { first, .. } => first,
        }
    }
}

impl Recurrence {
    /// Every day at `time` in `zone`.
    pub fn daily(zone: Tz, time: NaiveTime) -> Recurrence {
        Recurrence {
            zone,
            time,
            weekdays: Vec::new(),
        }
    }

    /// At `time` in `zone` on each of `weekdays`.
    pub fn weekly(
        zone: Tz,
        weekdays: impl IntoIterator<Item = Weekday>,
        time: NaiveTime,
    ) -> Recurrence {
        let mut weekdays: Vec<Weekday> = weekdays.into_iter().collect();
        weekdays.sort_by_key(|d| d.num_days_from_monday());
        weekdays.dedup();
        Recurrence {
            zone,
            time,
            weekdays,
        }
    }

    /// Whether it goes out on `day`.
    pub fn on(&self, day: Weekday) -> bool {
        self.weekdays.is_empty() || self.weekdays.contains(&day)
    }

    /// Its occurrences after `after` and up to `through`, in order.
    pub fn between(&self, after: DateTime<Utc>, through: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        if through <= after {
            return out;
        }
        // A day early: an occurrence on the local day before `after`'s
        // can still fall after it (zones east of UTC).
        let mut day = after.with_timezone(&self.zone).date_naive() - Days::new(1);
        let last = through.with_timezone(&self.zone).date_naive();
        while day <= last {
            if self.on(day.weekday()) {
                let at = local_instant(self.zone, day.and_time(self.time));
                if at > after && at <= through && out.last() != Some(&at) {
                    out.push(at);
                }
            }
            day = match day.checked_add_days(Days::new(1)) {
                Some(d) => d,
                None => break,
            };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, Timelike};
    use chrono_tz::America::{Mexico_City, New_York};
    use chrono_tz::Europe::Madrid;

    fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn monday_nine_in_madrid_keeps_its_local_time_across_both_changes_of_2027() {
        let r = Recurrence::weekly(
            Madrid,
            [Weekday::Mon],
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        );
        let all = r.between(utc(2027, 1, 1), utc(2028, 1, 1));
        assert_eq!(all.len(), 52);
        for t in &all {
            let local = t.with_timezone(&Madrid);
            assert_eq!(
                (local.weekday(), local.hour(), local.minute()),
                (Weekday::Mon, 9, 0),
                "{t}"
            );
        }
        // The UTC hour moves with DST (last Sunday of March, of October).
        let hours: Vec<u32> = all.iter().map(|t| t.hour()).collect();
        assert_eq!(
            hours.iter().filter(|h| **h == 7).count(),
            31,
            "summer Mondays"
        );
        assert_eq!(
            hours.iter().filter(|h| **h == 8).count(),
            21,
            "winter Mondays"
        );
    }

    #[test]
    fn half_past_two_in_new_york_on_the_nights_it_is_skipped_and_repeated() {
        let r = Recurrence::daily(New_York, NaiveTime::from_hms_opt(2, 30, 0).unwrap());
        // 14 March 2027: clocks go from 02:00 to 03:00, 02:30 does not exist.
        let spring = r.between(utc(2027, 3, 13), utc(2027, 3, 16));
        let local: Vec<String> = spring
            .iter()
            .map(|t| t.with_timezone(&New_York).format("%d %H:%M %Z").to_string())
            .collect();
        assert_eq!(local, ["13 02:30 EST", "14 03:00 EDT", "15 02:30 EDT"]);
        // 7 November 2027: 01:00-02:00 happens twice; 02:30 happens once.
        let autumn = r.between(utc(2027, 11, 6), utc(2027, 11, 9));
        let local: Vec<String> = autumn
            .iter()
            .map(|t| t.with_timezone(&New_York).format("%d %H:%M %Z").to_string())
            .collect();
        assert_eq!(local, ["06 02:30 EDT", "07 02:30 EST", "08 02:30 EST"]);
        // Every day of the year, once.
        assert_eq!(r.between(utc(2027, 1, 1), utc(2028, 1, 1)).len(), 365);
    }

    #[test]
    fn a_time_that_happens_twice_goes_out_at_the_first() {
        let r = Recurrence::daily(New_York, NaiveTime::from_hms_opt(1, 30, 0).unwrap());
        let t = r.between(utc(2027, 11, 7), utc(2027, 11, 8));
        assert_eq!(t.len(), 1);
        assert_eq!(
            t[0].with_timezone(&New_York).format("%H:%M %Z").to_string(),
            "01:30 EDT"
        );
        let twice = LocalTime::of(
            New_York,
            NaiveDate::from_ymd_opt(2027, 11, 7)
                .unwrap()
                .and_hms_opt(1, 30, 0)
                .unwrap(),
        );
        let LocalTime::Twice { first, second } = twice else {
            panic!("{twice:?}")
        };
        assert_eq!(second - first, chrono::TimeDelta::hours(1));
        assert_eq!(twice.at(), first);
    }

    #[test]
    fn mexico_city_has_no_dst_so_the_utc_time_never_moves() {
        let r = Recurrence::weekly(
            Mexico_City,
            [Weekday::Mon, Weekday::Thu],
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        );
        let all = r.between(utc(2027, 1, 1), utc(2028, 1, 1));
        assert_eq!(all.len(), 104);
        assert!(
            all.iter().all(|t| t.hour() == 15),
            "09:00 CST is 15:00 UTC all year"
        );
    }

    #[test]
    fn bounds_are_after_and_through() {
        let r = Recurrence::daily(chrono_tz::UTC, NaiveTime::from_hms_opt(12, 0, 0).unwrap());
        let noon = Utc.with_ymd_and_hms(2027, 5, 1, 12, 0, 0).unwrap();
        assert!(r.between(noon, noon).is_empty());
        assert_eq!(
            r.between(noon - chrono::TimeDelta::seconds(1), noon),
            [noon]
        );
        assert!(
            r.between(noon, noon + chrono::TimeDelta::hours(23))
                .is_empty()
        );
    }
}
