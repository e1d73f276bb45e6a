//! A series as it comes (irregular timestamps, gaps, repeated or
//! out-of-order rows) put on the detector's regular grid of buckets, and
//! the detector's answers put back on the rows.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// A series on a regular grid of buckets of one width, from the earliest
/// row's instant. The rule, stated: a row belongs to the bucket its instant
/// falls in; the rows of one bucket are merged by their mean (repeated
/// timestamps are repeated readings, not more of the thing counted); a
/// bucket no row falls in is missing, never zero.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tertulia_crisis::Grid;
///
/// let at = |m: i64| Utc.with_ymd_and_hms(2015, 3, 1, 0, 0, 0).unwrap() + chrono::TimeDelta::minutes(m);
/// // 00:00, 00:05 twice, then a gap, and 00:12 out of its place.
/// let rows = [(at(0), 1.0), (at(5), 2.0), (at(5), 4.0), (at(20), 8.0), (at(12), 5.0)];
/// let grid = Grid::new(&rows, 300).unwrap();
/// assert_eq!(grid.values, [Some(1.0), Some(3.0), Some(5.0), None, Some(8.0)]);
/// assert_eq!(grid.bucket_of_row, [0, 1, 1, 4, 2]);
/// assert_eq!((grid.merged, grid.missing, grid.out_of_order), (1, 1, 1));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    /// The first bucket's start: the earliest row's instant.
    pub start: DateTime<Utc>,
    /// The bucket width in seconds.
    pub width_seconds: i64,
    /// Each bucket's value, in time order; `None` where no row fell.
    pub values: Vec<Option<f64>>,
    /// The bucket of each row, in input order.
    pub bucket_of_row: Vec<usize>,
    /// Rows merged into a bucket another row was in already.
    pub merged: usize,
    /// Buckets no row fell in.
    pub missing: usize,
    /// Rows earlier than the row before them.
    pub out_of_order: usize,
}

impl Grid {
    /// `rows` on buckets `width_seconds` wide; `None` without rows, with a
    /// width below one second, or with a value that is not finite.
    pub fn new(rows: &[(DateTime<Utc>, f64)], width_seconds: i64) -> Option<Grid> {
        if width_seconds < 1 || rows.iter().any(|r| !r.1.is_finite()) {
            return None;
        }
        let start = rows.iter().map(|r| r.0).min()?;
        let width = TimeDelta::seconds(width_seconds);
        let bucket_of_row: Vec<usize> = rows
            .iter()
            .map(|(at, _)| ((*at - start).num_milliseconds() / width.num_milliseconds()) as usize)
            .collect();
        let buckets = bucket_of_row.iter().max().map_or(0, |b| b + 1);
        let mut sums = vec![(0.0, 0usize); buckets];
        for (&b, (_, v)) in bucket_of_row.iter().zip(rows) {
            sums[b].0 += v;
            sums[b].1 += 1;
        }
        let values: Vec<Option<f64>> = sums
            .iter()
            .map(|&(s, n)| (n > 0).then(|| s / n as f64))
            .collect();
        let filled = values.iter().filter(|v| v.is_some()).count();
        Some(Grid {
            start,
            width_seconds,
            merged: rows.len() - filled,
            missing: buckets - filled,
            out_of_order: rows.windows(2).filter(|w| w[1].0 < w[0].0).count(),
            values,
            bucket_of_row,
        })
    }

    /// The instant bucket `i` starts at.
    pub fn instant(&self, i: usize) -> DateTime<Utc> {
        self.start + TimeDelta::seconds(self.width_seconds * i as i64)
    }

    /// Whether every value is a count: a whole number, 0 or more.
    pub fn is_counts(&self) -> bool {
        self.values
            .iter()
            .flatten()
            .all(|v| *v >= 0.0 && v.fract() == 0.0)
    }

    /// Per-bucket answers put back on the rows, in input order. A bucket's
    /// `first` answer goes to the first of its rows (in input order) and its
    /// `rest` answer to the others, so a detection is one row, not every row
    /// merged into its bucket.
    pub fn per_row<T: Clone>(&self, first: &[T], rest: &[T]) -> Vec<T> {
        let mut seen = vec![false; self.values.len()];
        self.bucket_of_row
            .iter()
            .map(|&b| {
                if std::mem::replace(&mut seen[b], true) {
                    rest[b].clone()
                } else {
                    first[b].clone()
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2015, 3, 1, 0, 0, 0).unwrap() + TimeDelta::seconds(s)
    }

    #[test]
    fn refuses_what_it_cannot_place() {
        assert!(Grid::new(&[], 300).is_none());
        assert!(Grid::new(&[(at(0), 1.0)], 0).is_none());
        assert!(Grid::new(&[(at(0), f64::NAN)], 300).is_none());
        let one = Grid::new(&[(at(7), -2.5)], 300).unwrap();
        assert_eq!(one.values, [Some(-2.5)]);
        assert!(!one.is_counts());
    }

    #[test]
    fn a_detection_is_one_row_of_a_merged_bucket() {
        let grid = Grid::new(&[(at(0), 1.0), (at(10), 3.0), (at(400), 2.0)], 300).unwrap();
        assert_eq!(grid.per_row(&[1.0, 0.2], &[0.4, 0.1]), [1.0, 0.4, 0.2]);
    }

    proptest! {
        #[test]
        fn every_row_has_one_bucket_that_holds_its_instant(
            offsets in proptest::collection::vec(0i64..100_000, 1..200),
            width in 1i64..4_000,
        ) {
            let rows: Vec<(DateTime<Utc>, f64)> = offsets.iter().map(|&o| (at(o), o as f64)).collect();
            let grid = Grid::new(&rows, width).unwrap();
            prop_assert_eq!(grid.bucket_of_row.len(), rows.len());
            for (&b, (t, _)) in grid.bucket_of_row.iter().zip(&rows) {
                prop_assert!(grid.instant(b) <= *t && *t < grid.instant(b + 1));
                prop_assert!(grid.values[b].is_some());
            }
            let filled = grid.values.iter().filter(|v| v.is_some()).count();
            prop_assert_eq!(filled + grid.merged, rows.len());
            prop_assert_eq!(filled + grid.missing, grid.values.len());
        }
    }
}
