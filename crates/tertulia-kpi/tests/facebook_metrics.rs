//! KPIs of the UCI "Facebook metrics" data set (Moro, Rita & Vala, 2016,
//! CC BY 4.0), checked against figures computed independently from the CSV.
//!
//! The file is read from `$TERTULIA_DATA/facebook-metrics/` (default
//! `../shared/data` next to the repository); the tests skip with a printed
//! reason when it is absent.

use std::fs::File;
use std::path::PathBuf;

use tertulia_core::chrono_tz::UTC;
use tertulia_kpi::import::{self, Format, ImportOptions};
use tertulia_kpi::{
    Breakdown, Engagement, GroupKey, Grouping, Kpi, KpiOptions, Kpis, MissingCounts, PostTotals,
};

fn data_file() -> Option<PathBuf> {
    let root = std::env::var_os("TERTULIA_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = root.join("facebook-metrics/dataset_Facebook.csv");
    if path.is_file() {
        Some(path)
    } else {
        println!(
            "skipped: {} is absent (set TERTULIA_DATA to the shared data folder)",
            path.display()
        );
        None
    }
}

fn import() -> Option<import::Import> {
    let file = File::open(data_file()?).expect("the data file opens");
    Some(
        import::read(file, Format::FacebookInsights, &ImportOptions::default())
            .expect("the UCI file imports"),
    )
}

fn close(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "got {got}, want {want} ± {tol}");
}

#[test]
fn every_row_imports_and_empty_cells_stay_missing() {
    let Some(import) = import() else { return };
    assert_eq!(import.records.len(), 500);
    let missing =
        |f: fn(&tertulia_kpi::PostRecord) -> bool| import.records.iter().filter(|r| f(r)).count();
    assert_eq!(missing(|r| r.metrics.likes.is_none()), 1);
    assert_eq!(missing(|r| r.metrics.shares.is_none()), 4);
    assert_eq!(missing(|r| r.paid.is_none()), 1);
    assert_eq!(missing(|r| r.metrics.comments.is_none()), 0);
    // Columns tertulia has no field for are listed, not silently dropped.
    assert_eq!(
        import.ignored_columns,
        [
            "Category",
            "Lifetime Post Consumers",
            "Lifetime Post Impressions by people who have liked your Page",
            "Lifetime Post reach by people who like your Page",
            "Lifetime People who have liked your Page and engaged with your post",
            "Total Interactions",
        ]
    );
}

#[test]
fn engagement_by_reach_both_ways_with_missing_left_out() {
    let Some(import) = import() else { return };
    let mut totals = PostTotals::default();
    for r in &import.records {
        totals.add(&r.metrics, r.followers, r.kind);
    }
    let report = totals.report(Default::default());
    let rate = report.rate(Kpi::EngagementByReach);
    // Four rows lack a like or a share count: left out and counted.
    assert_eq!((rate.posts, rate.used, rate.missing), (500, 496, 4));
    assert_eq!(report.engagement_missing, 4);
    close(100.0 * rate.ratio_of_sums.unwrap().value, 1.52607, 5e-5);
    close(100.0 * rate.mean_of_rates.unwrap().value, 2.42026, 5e-5);
    let pooled = rate.ratio_of_sums.unwrap().interval.unwrap();
    assert!(pooled.low < 0.01526 && 0.01526 < pooled.high && pooled.high - pooled.low < 0.0002);

    let engaged = report.rate(Kpi::EngagedUsersByReach);
    assert_eq!(engaged.used, 500);
    close(100.0 * engaged.ratio_of_sums.unwrap().value, 6.61958, 5e-5);
    close(100.0 * engaged.mean_of_rates.unwrap().value, 12.43395, 5e-5);
    // Wilson 95% on 460,172 engaged of 6,951,680 reached.
    let w = engaged.ratio_of_sums.unwrap().interval.unwrap();
    close(w.low, 0.0660112, 1e-7);
    close(w.high, 0.0663809, 1e-7);

    // Post Consumptions are clicks anywhere on the post.
    close(
        report.rate(Kpi::ClickThrough).ratio_of_sums.unwrap().value,
        0.0478312,
        1e-7,
    );
}

#[test]
fn counting_missing_as_zero_reproduces_the_usual_figures() {
    let Some(import) = import() else { return };
    // What tools that read empty cells as 0 report: 2.41% instead of 2.42%,
    // and the 212.12 mean "Total Interactions" of the data set's README.
    let mut totals = PostTotals::new(Engagement::default().with_missing(MissingCounts::AsZero));
    for r in &import.records {
        totals.add(&r.metrics, r.followers, r.kind);
    }
    let report = totals.report(Default::default());
    let rate = report.rate(Kpi::EngagementByReach);
    assert_eq!(rate.used, 500);
    assert_eq!(
        report.engagement_missing, 4,
        "still counted as having missing counts"
    );
    close(100.0 * rate.ratio_of_sums.unwrap().value, 1.52567, 5e-5);
    close(100.0 * rate.mean_of_rates.unwrap().value, 2.40705, 5e-5);
    close(
        report
            .rate(Kpi::EngagementPerPost)
            .ratio_of_sums
            .unwrap()
            .value,
        212.12,
        1e-9,
    );
}

#[test]
fn by_kind_month_and_day_number() {
    let Some(import) = import() else { return };
    let mut by_kind = Breakdown::new(Grouping::Kind, UTC, Engagement::default());
    for r in &import.records {
        by_kind.add(r);
    }
    let ratio = |key: GroupKey| {
        let t = by_kind.group(&key).unwrap().totals(Kpi::EngagementByReach);
        (t.posts, t.used(), 100.0 * t.ratio_of_sums().unwrap())
    };
    use tertulia_core::PostKind::*;
    let (posts, used, photo) = ratio(GroupKey::Kind(Photo));
    assert_eq!((posts, used), (426, 422));
    close(photo, 1.649095, 1e-5);
    close(ratio(GroupKey::Kind(Text)).2, 1.659502, 1e-5);
    close(ratio(GroupKey::Kind(Link)).2, 0.480169, 1e-5);
    close(ratio(GroupKey::Kind(Video)).2, 0.577781, 1e-5);
    // Photos engage more of the people they reach than links do: pooled
    // over millions reached, overwhelmingly; per post (22 links, 422
    // photos), still significant.
    let compare = |a: GroupKey, b: GroupKey| {
        by_kind
            .compare(Kpi::EngagementByReach, &a, &b, Default::default())
            .unwrap()
    };
    let d = compare(GroupKey::Kind(Link), GroupKey::Kind(Photo));
    let pooled = d.ratio_of_sums.unwrap();
    assert!(pooled.significant && pooled.p_value < 1e-10, "{pooled:?}");
    assert!(d.mean_of_rates.unwrap().significant, "{d:?}");
    // Video (7 posts) against link (22): the pooled test is sure, the
    // per-post test is not.
    let d = compare(GroupKey::Kind(Link), GroupKey::Kind(Video));
    assert!(d.ratio_of_sums.unwrap().significant);
    assert!(!d.mean_of_rates.unwrap().significant, "{d:?}");

    // No year, no day: months without a year, weekdays by the file's number.
    let options = KpiOptions {
        grouping: Some(Grouping::Month),
        ..KpiOptions::from(UTC)
    };
    let mut kpis = Kpis::new(options);
    for r in &import.records {
        kpis.add_post(r);
    }
    let report = kpis.report();
    assert_eq!(report.groups.len(), 12);
    assert_eq!(report.groups[0].label, "month 1");
    assert_eq!(report.unplaced, 0);
    // Eleven months have a previous one; January does not.
    assert_eq!(report.changes.len(), 3 * 11);
    assert_eq!(report.daily_engagement.posts, 0, "no dates: no daily rate");
    let mut by_day = Breakdown::new(Grouping::Weekday, UTC, Engagement::default());
    for r in &import.records {
        by_day.add(r);
    }
    let keys: Vec<String> = by_day.groups().map(|(k, _)| k.to_string()).collect();
    assert_eq!(
        keys,
        [
            "day 1", "day 2", "day 3", "day 4", "day 5", "day 6", "day 7"
        ]
    );
}
