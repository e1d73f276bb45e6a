//! Business hours: the clock a response time runs on.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use tertulia_core::local_instant;

use crate::error::{Error, Result};

/// Opening hours in a named time zone, with holidays, to measure response
/// times in business time: a comment at 17:55 on Friday answered at 09:05 on
/// Monday took ten business minutes, not three days.
///
/// Days are local days in the zone, and DST is respected: on the day clocks
/// go forward, 09:00 to 17:00 lasts seven hours if the jump falls inside it.
///
/// ```
/// use chrono::{NaiveTime, TimeDelta, TimeZone};
/// use tertulia_core::chrono_tz::Europe::Madrid;
/// use tertulia_kpi::BusinessHours;
///
/// let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
/// let five = NaiveTime::from_hms_opt(17, 0, 0).unwrap();
/// let hours = BusinessHours::weekdays(Madrid, nine, five)?;
///
/// let friday = Madrid.with_ymd_and_hms(2026, 3, 6, 16, 55, 0).unwrap().to_utc();
/// let monday = Madrid.with_ymd_and_hms(2026, 3, 9, 9, 5, 0).unwrap().to_utc();
/// assert_eq!(hours.elapsed(friday, monday), TimeDelta::minutes(10));
/// # Ok::<(), tertulia_kpi::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessHours {
    zone: Tz,
    /// Opening and closing time per weekday, Monday first.
    week: [Option<(NaiveTime, NaiveTime)>; 7],
    holidays: BTreeSet<NaiveDate>,
}

impl BusinessHours {
    /// No opening hours yet, in `zone`: add days with [`BusinessHours::with_day`].
    pub fn closed(zone: Tz) -> Self {
        BusinessHours {
            zone,
            week: [None; 7],
            holidays: BTreeSet::new(),
        }
    }

    /// Open Monday to Friday from `open` to `close`.
    pub fn weekdays(zone: Tz, open: NaiveTime, close: NaiveTime) -> Result<Self> {
        use Weekday::*;
        [Mon, Tue, Wed, Thu, Fri]
            .into_iter()
            .try_fold(BusinessHours::closed(zone), |h, day| {
                h.with_day(day, open, close)
            })
    }

    /// These hours, open on `day` from `open` to `close` (which must be
    /// later: split a night shift into two days).
    pub fn with_day(mut self, day: Weekday, open: NaiveTime, close: NaiveTime) -> Result<Self> {
        if open >= close {
            return Err(Error::Setting {
                field: "business hours",
                value: format!("{day} {open}-{close}"),
                expected: "the closing time must come after the opening time on the same day",
            });
        }
        self.week[day.num_days_from_monday() as usize] = Some((open, close));
        Ok(self)
    }

    /// These hours, closed all day on `date`.
    #[must_use]
    pub fn with_holiday(mut self, date: NaiveDate) -> Self {
        self.holidays.insert(date);
        self
    }

    /// The time zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The open time between `from` and `to` (zero if `to` is not later).
    pub fn elapsed(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> TimeDelta {
        let mut total = TimeDelta::zero();
        if to <= from {
            return total;
        }
        let mut day = from.with_timezone(&self.zone).date_naive();
        let last = to.with_timezone(&self.zone).date_naive();
        while day <= last {
            if let Some((open, close)) = self.week[day.weekday().num_days_from_monday() as usize]
                && !self.holidays.contains(&day)
            {
                let (open, close) = (
                    local_instant(self.zone, day.and_time(open)),
                    local_instant(self.zone, day.and_time(close)),
                );
                let (start, end) = (open.max(from), close.min(to));
                if end > start {
                    total += end - start;
                }
            }
            day = match day.checked_add_days(Days::new(1)) {
                Some(next) => next,
                None => break,
            };
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Madrid;

    fn t(h: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, 0, 0).unwrap()
    }

    #[test]
    fn dst_days_are_shorter_or_longer_and_holidays_closed() {
        // Open 01:00-04:00 every day; Madrid jumps 02:00 -> 03:00 on 2026-03-29.
        let mut hours = BusinessHours::closed(Madrid);
        for d in [Weekday::Sat, Weekday::Sun] {
            hours = hours.with_day(d, t(1), t(4)).unwrap();
        }
        let sat = Madrid
            .with_ymd_and_hms(2026, 3, 28, 0, 0, 0)
            .unwrap()
            .to_utc();
        let mon = Madrid
            .with_ymd_and_hms(2026, 3, 30, 0, 0, 0)
            .unwrap()
            .to_utc();
        assert_eq!(hours.elapsed(sat, mon), TimeDelta::hours(3 + 2));
        // 2026-10-25: 03:00 -> 02:00, the day has 4 open hours.
        let sat = Madrid
            .with_ymd_and_hms(2026, 10, 24, 0, 0, 0)
            .unwrap()
            .to_utc();
        let mon = Madrid
            .with_ymd_and_hms(2026, 10, 26, 0, 0, 0)
            .unwrap()
            .to_utc();
        assert_eq!(hours.elapsed(sat, mon), TimeDelta::hours(3 + 4));
        let closed = hours.with_holiday(NaiveDate::from_ymd_opt(2026, 10, 25).unwrap());
        assert_eq!(closed.elapsed(sat, mon), TimeDelta::hours(3));
        assert_eq!(closed.elapsed(mon, sat), TimeDelta::zero());
    }

    #[test]
    fn bad_hours_are_refused() {
        let err = BusinessHours::weekdays(Madrid, t(17), t(9)).unwrap_err();
        assert!(err.to_string().contains("closing time"), "{err}");
    }
}
