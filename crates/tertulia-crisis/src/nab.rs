//! The Numenta Anomaly Benchmark's scorer, so a detector can be judged the
//! way NAB judges the published ones.
//!
//! NAB rewards a detection inside a labelled anomaly window by how early in
//! the window it comes (the full weight at the left edge, nearly nothing at
//! the right), charges a missed window, and charges a detection outside every
//! window, less when it comes soon after a window (the anomaly's tail) than
//! when it comes from nowhere. Rows in the probationary period at the start
//! of a file (where a detector is still learning) count for nothing.
//!
//! # Example: one window, one early detection and one false alarm
//!
//! ```
//! use tertulia_crisis::nab::{CostProfile, Window, normalized_score, score_file};
//!
//! // 2,000 rows: the probation is the first 300 (15%).
//! let mut detections = vec![false; 2_000];
//! detections[1_000] = true; // the window's first row: full credit
//! detections[400] = true; // before any window: a full false positive
//! let windows = [Window { first: 1_000, last: 1_099 }];
//! let profile = CostProfile::STANDARD;
//! let file = score_file(&detections, &windows, profile);
//! assert_eq!((file.true_positives, file.false_positives, file.false_negatives), (1, 1, 0));
//! assert!((file.raw - (1.0 - 0.11)).abs() < 1e-9);
//! let score = normalized_score(file.raw, 1, profile);
//! assert!((score - 100.0 * (0.89 + 1.0) / 2.0).abs() < 1e-9);
//! ```

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::detect::{AlertEvent, BaselineConfig, CrisisDetector, DetectorConfig, Values};
use crate::{Error, Grid, Result};

/// What NAB charges and rewards: the weights of one scoring profile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CostProfile {
    /// The reward of a detection at a window's left edge.
    #[serde(rename = "tpWeight")]
    pub tp_weight: f64,
    /// The charge for a window with no detection.
    #[serde(rename = "fnWeight")]
    pub fn_weight: f64,
    /// The largest charge for a detection outside every window.
    #[serde(rename = "fpWeight")]
    pub fp_weight: f64,
}

impl CostProfile {
    /// NAB's `standard` profile.
    pub const STANDARD: Self = Self {
        tp_weight: 1.0,
        fn_weight: 1.0,
        fp_weight: 0.11,
    };
    /// NAB's `reward_low_FP_rate` profile: false alarms cost twice as much.
    pub const REWARD_LOW_FP: Self = Self {
        tp_weight: 1.0,
        fn_weight: 1.0,
        fp_weight: 0.22,
    };
    /// NAB's `reward_low_FN_rate` profile: a missed window costs twice as much.
    pub const REWARD_LOW_FN: Self = Self {
        tp_weight: 1.0,
        fn_weight: 2.0,
        fp_weight: 0.11,
    };
    /// The three profiles with NAB's names, in NAB's order.
    pub const ALL: [(&'static str, Self); 3] = [
        ("standard", Self::STANDARD),
        ("reward_low_FP_rate", Self::REWARD_LOW_FP),
        ("reward_low_FN_rate", Self::REWARD_LOW_FN),
    ];
}

/// A labelled anomaly window, as row indexes of its file (both inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// The first row inside the window.
    pub first: usize,
    /// The last row inside the window.
    pub last: usize,
}

impl Window {
    /// The window's rows, given its start and end instants and the rows'
    /// instants in file order: from the first row at or after `start` to the
    /// last row at or before `end`. `None` when no row falls inside.
    pub fn from_times<T: PartialOrd>(rows: &[T], start: &T, end: &T) -> Option<Self> {
        let first = rows.iter().position(|t| t >= start)?;
        let last = rows.iter().rposition(|t| t <= end)?;
        (first <= last).then_some(Self { first, last })
    }

    fn width(&self) -> usize {
        self.last - self.first + 1
    }
}

/// How one file scored.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct FileScore {
    /// The file's raw score: rewards minus charges.
    pub raw: f64,
    /// Windows with a detection.
    pub true_positives: usize,
    /// Windows without one.
    pub false_negatives: usize,
    /// Detections outside every window, after the probation.
    pub false_positives: usize,
}

/// NAB's scaled sigmoid: 1 far before a window's right edge, -1 far after.
pub fn scaled_sigmoid(x: f64) -> f64 {
    if x > 3.0 {
        -1.0
    } else {
        2.0 / (1.0 + (5.0 * x).exp()) - 1.0
    }
}

/// The probationary period of a file of `rows` rows: the first
/// min(floor(15% of rows), 750) rows, whose detections NAB ignores.
pub fn probation(rows: usize) -> usize {
    (rows * 15 / 100).min(750)
}

/// Scores one file: `detections[i]` says whether row `i` is a detection (its
/// anomaly score reached the threshold); `windows` are the file's labelled
/// windows in row order, not overlapping.
pub fn score_file(detections: &[bool], windows: &[Window], profile: CostProfile) -> FileScore {
    let start = probation(detections.len());
    let mut score = FileScore::default();
    let mut earliest: Vec<Option<usize>> = vec![None; windows.len()];
    // The window a row is in, or the last one that ended before it.
    let mut w = 0;
    for (i, _) in detections
        .iter()
        .enumerate()
        .skip(start)
        .filter(|(_, d)| **d)
    {
        while w < windows.len() && windows[w].last < i {
            w += 1;
        }
        if w < windows.len() && windows[w].first <= i {
            earliest[w].get_or_insert(i);
            continue;
        }
        score.false_positives += 1;
        score.raw += match w.checked_sub(1).map(|p| windows[p]) {
            Some(prev) => {
                let distance = (i - prev.last) as f64 / (prev.width() as f64 - 1.0).max(1.0);
                profile.fp_weight * scaled_sigmoid(distance)
            }
            None => -profile.fp_weight,
        };
    }
    for (window, hit) in windows.iter().zip(&earliest) {
        match hit {
            Some(i) => {
                score.true_positives += 1;
                let x = -((window.last - i + 1) as f64) / window.width() as f64;
                score.raw += profile.tp_weight * scaled_sigmoid(x) / scaled_sigmoid(-1.0);
            }
            None => {
                score.false_negatives += 1;
                score.raw -= profile.fn_weight;
            }
        }
    }
    score
}

/// NAB's reported score from the raw scores summed over a corpus with
/// `windows` windows in all: 0 for a detector that detects nothing, 100 for
/// one that detects every window at its left edge and nothing else.
pub fn normalized_score(raw: f64, windows: usize, profile: CostProfile) -> f64 {
    let null = -profile.fn_weight * windows as f64;
    let perfect = profile.tp_weight * windows as f64;
    100.0 * (raw - null) / (perfect - null)
}

/// The anomaly score NAB reads for each row of a `timestamp,value` file: 1
/// where an alert opens (a detection at NAB's threshold of 0.5), and half the
/// crisis score, capped at 0.49, elsewhere. One burst is one detection, as a
/// person on call would see it.
///
/// Rows may come at any instants, in any order: they are put on the
/// detector's grid of buckets ([`Grid`]: the rows of one bucket merged by
/// their mean, buckets with no row missing), and every row gets one score,
/// in input order (an opening alert on the first row of its bucket only).
pub fn anomaly_scores(rows: &[(DateTime<Utc>, f64)], config: DetectorConfig) -> Result<Vec<f64>> {
    let grid = Grid::new(rows, config.baseline.bucket_seconds).ok_or_else(|| {
        Error::Config("the series needs at least one row, each with a finite value".into())
    })?;
    let mut detector = CrisisDetector::new(config)?;
    let (mut first, mut rest) = (vec![0.0; grid.values.len()], vec![0.0; grid.values.len()]);
    for (i, value) in grid.values.iter().enumerate() {
        let Some(value) = value else { continue };
        let a = detector.push(grid.instant(i), *value)?;
        rest[i] = (a.score / 2.0).min(0.49);
        first[i] = if a.event == Some(AlertEvent::Opened) {
            1.0
        } else {
            rest[i]
        };
    }
    Ok(grid.per_row(&first, &rest))
}

/// The most common interval between consecutive rows, in seconds: the
/// bucket width of a file that does not say it. `None` with fewer than two
/// rows or no positive interval.
pub fn typical_interval(times: &[DateTime<Utc>]) -> Option<i64> {
    let mut gaps: Vec<i64> = times
        .windows(2)
        .map(|w| (w[1] - w[0]).num_seconds())
        .filter(|g| *g > 0)
        .collect();
    gaps.sort_unstable();
    gaps.chunk_by(|a, b| a == b)
        .max_by_key(|run| (run.len(), std::cmp::Reverse(run[0])))
        .map(|run| run[0])
}

/// One row of a NAB data file: its instant and value.
pub type Row = (DateTime<Utc>, f64);

/// An instant as NAB writes it: `2015-03-03 04:37:53`, with optional
/// fractional seconds (`.000000` in NAB's window files), in UTC.
pub fn parse_instant(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

/// Reads the text of a NAB data file: a `timestamp,value` header, then one
/// row per line. An error names the line (1 is the header) and what is wrong.
pub fn parse_data(text: &str) -> Result<Vec<Row>> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let bad = |line, problem: String| Error::Data { line, problem };
    match lines.next() {
        Some((_, header)) if header.trim().starts_with("timestamp,value") => {}
        _ => return Err(bad(1, "the header must be `timestamp,value`".into())),
    }
    lines
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(line, l)| {
            let (t, v) = l
                .split_once(',')
                .ok_or_else(|| bad(line, format!("{l:?} is not `timestamp,value`")))?;
            let at = parse_instant(t).ok_or_else(|| {
                bad(
                    line,
                    format!("{t:?} is not a `YYYY-MM-DD hh:mm:ss` instant"),
                )
            })?;
            let value = v
                .trim()
                .parse()
                .map_err(|e| bad(line, format!("value {v:?}: {e}")))?;
            Ok((at, value))
        })
        .collect()
}

/// A NAB data file with its labelled windows.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledFile {
    /// The rows in file order.
    pub rows: Vec<Row>,
    /// The windows, as row indexes.
    pub windows: Vec<Window>,
}

impl LabelledFile {
    /// A file's rows and its windows as NAB's `windows.json` gives them
    /// (start and end instants). A window that holds no row is an error.
    pub fn new(rows: Vec<Row>, windows: &[[String; 2]]) -> Result<Self> {
        let times: Vec<DateTime<Utc>> = rows.iter().map(|r| r.0).collect();
        let windows = windows
            .iter()
            .map(|[a, b]| {
                let (start, end) = parse_instant(a).zip(parse_instant(b)).ok_or_else(|| {
                    Error::Config(format!("window {a:?} .. {b:?}: not two instants"))
                })?;
                Window::from_times(&times, &start, &end)
                    .ok_or_else(|| Error::Config(format!("window {a} .. {b} holds no row")))
            })
            .collect::<Result<_>>()?;
        Ok(Self { rows, windows })
    }
}

/// `config` fitted to what `rows` are, read off them: the bucket width is
/// their most common interval, and the values are [`Values::Counts`] when
/// every value is a whole number, 0 or more, [`Values::Real`] otherwise.
pub fn fitted(config: DetectorConfig, rows: &[Row]) -> Result<DetectorConfig> {
    let times: Vec<DateTime<Utc>> = rows.iter().map(|r| r.0).collect();
    let bucket_seconds = typical_interval(&times)
        .ok_or_else(|| Error::Config("a file needs two rows to show its bucket width".into()))?;
    let counts = rows.iter().all(|r| r.1 >= 0.0 && r.1.fract() == 0.0);
    Ok(DetectorConfig {
        baseline: BaselineConfig {
            bucket_seconds,
            ..config.baseline
        },
        values: if counts { Values::Counts } else { Values::Real },
        ..config
    })
}

/// How a corpus scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorpusScore {
    /// The reported score under each profile of [`CostProfile::ALL`], in
    /// its order.
    pub scores: [f64; 3],
    /// Each file's score under the standard profile.
    pub files: Vec<FileScore>,
}

/// Runs the detector set by `config` over each file ([`fitted`] to the
/// file) and scores the detections as NAB does.
pub fn score_corpus(files: &[LabelledFile], config: DetectorConfig) -> Result<CorpusScore> {
    let (mut raw, mut windows, mut per_file) = ([0.0; 3], 0, vec![]);
    for file in files {
        let scores = score_labelled(file, config)?;
        windows += file.windows.len();
        for (k, s) in scores.iter().enumerate() {
            raw[k] += s.raw;
        }
        per_file.push(scores[0]);
    }
    let mut scores = [0.0; 3];
    for (k, (_, profile)) in CostProfile::ALL.iter().enumerate() {
        scores[k] = normalized_score(raw[k], windows, *profile);
    }
    Ok(CorpusScore {
        scores,
        files: per_file,
    })
}

/// Runs the detector set by `config` over one file ([`fitted`] to it) and
/// scores its detections under each profile of [`CostProfile::ALL`], in
/// its order.
pub fn score_labelled(file: &LabelledFile, config: DetectorConfig) -> Result<[FileScore; 3]> {
    let detections: Vec<bool> = anomaly_scores(&file.rows, fitted(config, &file.rows)?)?
        .iter()
        .map(|s| *s >= 0.5)
        .collect();
    Ok(CostProfile::ALL.map(|(_, profile)| score_file(&detections, &file.windows, profile)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn irregular_repeated_and_out_of_order_rows_each_get_one_score_in_input_order() {
        let t0 = parse_instant("2015-03-01 00:00:00").unwrap();
        let mut rows: Vec<Row> = (0..3_000)
            .map(|i| {
                (
                    t0 + chrono::TimeDelta::minutes(5 * i),
                    10.0 + (i % 7) as f64,
                )
            })
            .collect();
        // A burst, a repeated timestamp, a row out of its place and a gap.
        for r in &mut rows[2_500..2_520] {
            r.1 = 400.0;
        }
        rows.insert(1_000, rows[999]);
        rows.swap(1_500, 1_501);
        rows.drain(2_000..2_050);
        let config = fitted(DetectorConfig::default(), &rows).unwrap();
        let scores = anomaly_scores(&rows, config).unwrap();
        assert_eq!(scores.len(), rows.len());
        let detections: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] >= 0.5).collect();
        let burst = rows.iter().position(|r| r.1 == 400.0).unwrap();
        assert_eq!(detections.first(), Some(&burst), "{detections:?}");
        assert!(
            scores[1_000] < 0.5,
            "a repeated row is not a second detection"
        );
    }

    const W: Window = Window {
        first: 1_000,
        last: 1_099,
    };

    fn at(rows: usize, hits: &[usize]) -> Vec<bool> {
        let mut d = vec![false; rows];
        for &h in hits {
            d[h] = true;
        }
        d
    }

    #[test]
    fn the_sigmoid_is_nabs() {
        assert!((scaled_sigmoid(0.0) - 0.0).abs() < 1e-12);
        // 2 / (1 + e^-5) - 1
        assert!((scaled_sigmoid(-1.0) - 0.986_614_298_151_430_3).abs() < 1e-12);
        assert!((scaled_sigmoid(1.0) + 0.986_614_298_151_430_3).abs() < 1e-12);
        assert_eq!(scaled_sigmoid(3.5), -1.0);
    }

    #[test]
    fn a_detection_is_worth_less_the_later_it_comes_in_its_window() {
        let p = CostProfile::STANDARD;
        // The left edge: full credit.
        let left = score_file(&at(2_000, &[1_000]), &[W], p);
        assert!((left.raw - 1.0).abs() < 1e-12);
        // The middle, by hand: x = -(1099 - 1050 + 1) / 100 = -0.5;
        // S(-0.5) = 2 / (1 + e^-2.5) - 1 = 0.848_283_639_957_512_6.
        let middle = score_file(&at(2_000, &[1_050, 1_060]), &[W], p);
        let expected = 0.848_283_639_957_512_6 / 0.986_614_298_151_430_3;
        assert!((middle.raw - expected).abs() < 1e-12, "{}", middle.raw);
        assert_eq!(middle.true_positives, 1);
        assert_eq!(middle.false_positives, 0, "later hits in a window are free");
        // The last row: x = -1/100, S = 2 / (1 + e^-0.05) - 1.
        let right = score_file(&at(2_000, &[1_099]), &[W], p);
        let s = 2.0 / (1.0 + (-0.05f64).exp()) - 1.0;
        assert!((right.raw - s / 0.986_614_298_151_430_3).abs() < 1e-12);
    }

    #[test]
    fn false_alarms_cost_less_just_after_a_window() {
        let p = CostProfile::REWARD_LOW_FP;
        // 10 rows after the window's end: x = 10 / 99.
        let near = score_file(&at(2_000, &[1_000, 1_109]), &[W], p);
        let s = 2.0 / (1.0 + (5.0 * 10.0 / 99.0f64).exp()) - 1.0;
        assert!((near.raw - (1.0 + 0.22 * s)).abs() < 1e-12, "{}", near.raw);
        // Far after (x > 3) and before every window: the full charge.
        let far = score_file(&at(2_000, &[1_000, 1_500, 500]), &[W], p);
        assert!((far.raw - (1.0 - 0.22 - 0.22)).abs() < 1e-12);
        assert_eq!(far.false_positives, 2);
    }

    #[test]
    fn probation_rows_count_for_nothing_and_misses_cost_the_fn_weight() {
        // 2,000 rows: probation 300; 10,000 rows: capped at 750.
        assert_eq!(probation(2_000), 300);
        assert_eq!(probation(10_000), 750);
        let p = CostProfile::REWARD_LOW_FN;
        let s = score_file(&at(2_000, &[10, 299]), &[W], p);
        assert_eq!(s.false_positives, 0);
        assert_eq!(s.false_negatives, 1);
        assert!((s.raw + 2.0).abs() < 1e-12);
        assert!((normalized_score(s.raw, 1, p)).abs() < 1e-12);
        assert!((normalized_score(1.0, 1, p) - 100.0).abs() < 1e-12);
    }

    #[test]
    fn data_files_are_read_and_bad_lines_named() {
        let rows =
            parse_data("timestamp,value\n2015-02-26 21:42:53,104\n2015-02-26 21:47:53,3.5\n")
                .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].1, 3.5);
        assert_eq!(Some(rows[0].0), parse_instant("2015-02-26 21:42:53.000000"));
        let err =
            parse_data("timestamp,value\n2015-02-26 21:42:53,104\n2015-02-26,x\n").unwrap_err();
        assert!(matches!(err, Error::Data { line: 3, .. }), "{err}");
        assert!(matches!(
            parse_data("t,v\n"),
            Err(Error::Data { line: 1, .. })
        ));
    }

    #[test]
    fn windows_come_from_instants() {
        let rows = [10, 20, 30, 40, 50];
        assert_eq!(
            Window::from_times(&rows, &15, &40),
            Some(Window { first: 1, last: 3 })
        );
        assert_eq!(Window::from_times(&rows, &41, &49), None);
    }
}
