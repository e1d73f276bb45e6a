//! The planner: DST, constraints, evergreen content, explanations, errors.

use chrono::{DateTime, NaiveTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use tertulia_core::chrono_tz::America::{Mexico_City, New_York};
use tertulia_core::chrono_tz::Europe::Madrid;
use tertulia_core::{Platform, TimeRange};
use tertulia_schedule::{
    Channel, Constraints, DatedBlackout, Draft, Error, Evergreen, FitOptions, Observation, Planner,
    QuietHours, Recurring, SlotStats, SlotWidth, Unplaced, WeeklyWindow,
};

fn channel(id: &str, zone: Tz, constraints: Constraints) -> Channel {
    Channel {
        id: id.into(),
        platform: Platform::Mastodon,
        account: "aurora".into(),
        zone,
        constraints,
    }
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn draft(id: &str, earliest: DateTime<Utc>, latest: DateTime<Utc>) -> Draft {
    Draft {
        id: id.into(),
        platform: Platform::Mastodon,
        channel: None,
        priority: 0,
        earliest,
        latest,
        evergreen: None,
        text: None,
    }
}

fn weekly(channel: &str, weekday: Weekday, time: NaiveTime) -> Recurring {
    Recurring {
        id: "weekly".into(),
        channel: channel.into(),
        weekday,
        time,
        text: None,
    }
}

#[test]
fn recurring_posts_keep_their_wall_clock_time_across_dst() {
    let start = Utc.with_ymd_and_hms(2026, 3, 16, 0, 0, 0).unwrap();
    let planner = Planner::new(
        vec![channel("es", Madrid, Constraints::default())],
        start,
        28,
    )
    .unwrap();
    let plan = planner
        .plan(&[], &[weekly("es", Weekday::Mon, t(9, 0))])
        .unwrap();
    let utc: Vec<String> = plan
        .assignments
        .iter()
        .map(|a| a.at.format("%m-%d %H:%M").to_string())
        .collect();
    // 09:00 in Madrid is 08:00 UTC before 29 March and 07:00 UTC after.
    assert_eq!(
        utc,
        ["03-16 08:00", "03-23 08:00", "03-30 07:00", "04-06 07:00"]
    );
    assert!(
        plan.assignments
            .iter()
            .all(|a| a.local.contains(" 09:00 Europe/Madrid"))
    );
}

#[test]
fn a_time_in_the_spring_gap_goes_out_when_clocks_resume() {
    let start = Utc.with_ymd_and_hms(2026, 3, 28, 0, 0, 0).unwrap();
    let planner = Planner::new(
        vec![channel("es", Madrid, Constraints::default())],
        start,
        2,
    )
    .unwrap();
    let plan = planner
        .plan(&[], &[weekly("es", Weekday::Sun, t(2, 30))])
        .unwrap();
    let a = &plan.assignments[0];
    assert_eq!(a.local, "Sun 2026-03-29 03:00 Europe/Madrid");
    assert_eq!(a.at, Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0).unwrap());
    assert!(a.why.contains("does not exist"), "{}", a.why);
}

#[test]
fn a_time_in_the_autumn_overlap_goes_out_once_at_the_first() {
    let start = Utc.with_ymd_and_hms(2026, 10, 31, 0, 0, 0).unwrap();
    let planner = Planner::new(
        vec![channel("us", New_York, Constraints::default())],
        start,
        2,
    )
    .unwrap();
    let plan = planner
        .plan(&[], &[weekly("us", Weekday::Sun, t(1, 30))])
        .unwrap();
    assert_eq!(plan.assignments.len(), 1);
    // 01:30 EDT, not 01:30 EST an hour later.
    assert_eq!(
        plan.assignments[0].at,
        Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).unwrap()
    );
}

#[test]
fn mexico_city_has_no_dst_since_2022() {
    for (y, m, d) in [(2026, 1, 5), (2026, 7, 6)] {
        let start = Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
        let planner = Planner::new(
            vec![channel("mx", Mexico_City, Constraints::default())],
            start,
            7,
        )
        .unwrap();
        let plan = planner
            .plan(&[], &[weekly("mx", Weekday::Mon, t(9, 0))])
            .unwrap();
        assert_eq!(
            plan.assignments[0].at.format("%H:%M").to_string(),
            "15:00",
            "{y}-{m}"
        );
    }
}

#[test]
fn candidate_times_skip_the_missing_hour_and_never_repeat() {
    // One post per distinct instant of the Madrid spring-forward day: it has
    // 23 hours, so the 24th draft cannot be placed.
    let day = Madrid
        .with_ymd_and_hms(2026, 3, 29, 0, 0, 0)
        .unwrap()
        .to_utc();
    let planner =
        Planner::new(vec![channel("es", Madrid, Constraints::default())], day, 1).unwrap();
    let end = day + TimeDelta::hours(23) - TimeDelta::seconds(1);
    let drafts: Vec<Draft> = (0..23)
        .map(|i| draft(&format!("d{i:02}"), day, end))
        .collect();
    let plan = planner.plan(&drafts, &[]).unwrap();
    assert!(plan.assignments.iter().all(|a| !a.local.contains(" 02:")));
    let mut more = drafts.clone();
    more.push(draft("d23", day, end));
    let plan = planner.plan(&more, &[]).unwrap();
    assert_eq!(plan.assignments.len(), 23);
    let [unplaced] = &plan.unplaced[..] else {
        panic!("{:?}", plan.unplaced)
    };
    assert!(
        unplaced.reason().contains("another post at the same time"),
        "{unplaced}"
    );
}

#[test]
fn constraints_are_respected_and_named_when_they_cannot_be_met() {
    let start = Madrid
        .with_ymd_and_hms(2026, 5, 4, 0, 0, 0)
        .unwrap()
        .to_utc(); // a Monday
    let constraints = Constraints {
        max_per_day: Some(2),
        min_gap_minutes: Some(180),
        weekly_blackouts: vec![WeeklyWindow {
            weekday: Weekday::Mon,
            start: t(0, 0),
            end: t(12, 0),
            label: "Monday stand-up".into(),
        }],
        blackouts: vec![DatedBlackout {
            range: TimeRange::new(start + TimeDelta::days(1), start + TimeDelta::days(2)).unwrap(),
            label: "product recall".into(),
        }],
        quiet_hours: Some(QuietHours {
            start: t(22, 0),
            end: t(8, 0),
        }),
    };
    let planner = Planner::new(vec![channel("es", Madrid, constraints)], start, 7).unwrap();
    let drafts: Vec<Draft> = (0..8)
        .map(|i| draft(&format!("d{i}"), start, start + TimeDelta::days(7)))
        .collect();
    let plan = planner.plan(&drafts, &[]).unwrap();
    let mut per_day = std::collections::BTreeMap::new();
    for a in &plan.assignments {
        let local = a.at.with_timezone(&Madrid);
        let hour = local.format("%H").to_string().parse::<u32>().unwrap();
        assert!((8..22).contains(&hour), "quiet hours: {}", a.local);
        assert!(
            !(a.local.starts_with("Mon") && hour < 12),
            "stand-up: {}",
            a.local
        );
        assert!(!a.local.contains("2026-05-05"), "recall: {}", a.local);
        *per_day.entry(local.date_naive()).or_insert(0) += 1;
    }
    assert!(per_day.values().all(|&n| n <= 2));
    for pair in plan.assignments.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= TimeDelta::minutes(180),
            "{} {}",
            pair[0].local,
            pair[1].local
        );
    }

    // A window inside the quiet hours cannot be met: the draft is listed
    // with why, and the others are placed all the same.
    let night = Madrid
        .with_ymd_and_hms(2026, 5, 6, 23, 0, 0)
        .unwrap()
        .to_utc();
    let far = draft(
        "far",
        night + TimeDelta::days(30),
        night + TimeDelta::days(31),
    );
    let plan = planner
        .plan(
            &[
                draft("late", night, night + TimeDelta::hours(2)),
                far,
                draft("fine", start, start + TimeDelta::days(7)),
            ],
            &[],
        )
        .unwrap();
    assert_eq!(plan.assignments.len(), 1);
    assert_eq!(plan.assignments[0].draft, "fine");
    let unplaced: Vec<&Unplaced> = plan.unplaced_drafts().collect();
    assert_eq!(unplaced.len(), 2, "{unplaced:?}");
    let late = unplaced.iter().find(|u| u.draft() == "late").unwrap();
    assert!(late.reason().contains("quiet hours 22:00-08:00"), "{late}");
    // A window outside the horizon says so.
    let far = unplaced.iter().find(|u| u.draft() == "far").unwrap();
    assert!(
        far.reason().contains("widen the window or the horizon"),
        "{far}"
    );
}

#[test]
fn recurring_posts_keep_out_of_blackouts_and_quiet_hours() {
    // Mondays 2026-05-04 to 2026-05-25; a recall on 11 May; quiet from 22:00.
    let start = Utc.with_ymd_and_hms(2026, 5, 4, 0, 0, 0).unwrap();
    let recall = Madrid
        .with_ymd_and_hms(2026, 5, 11, 0, 0, 0)
        .unwrap()
        .to_utc();
    let constraints = Constraints {
        blackouts: vec![DatedBlackout {
            range: TimeRange::new(recall, recall + TimeDelta::days(1)).unwrap(),
            label: "recall".into(),
        }],
        quiet_hours: Some(QuietHours {
            start: t(22, 0),
            end: t(8, 0),
        }),
        max_per_day: Some(1),
        ..Constraints::default()
    };
    let planner = Planner::new(vec![channel("es", Madrid, constraints)], start, 28).unwrap();
    let mut tips = weekly("es", Weekday::Mon, t(9, 0));
    tips.text = Some("Monday tips".into());
    let mut late = weekly("es", Weekday::Tue, t(23, 30));
    late.id = "late".into();
    let mut second = weekly("es", Weekday::Mon, t(18, 0));
    second.id = "second".into();
    let plan = planner.plan(&[], &[tips, late, second]).unwrap();
    let placed: Vec<&str> = plan.assignments.iter().map(|a| a.local.as_str()).collect();
    assert_eq!(
        placed,
        [
            "Mon 2026-05-04 09:00 Europe/Madrid",
            "Mon 2026-05-18 09:00 Europe/Madrid",
            "Mon 2026-05-25 09:00 Europe/Madrid",
        ]
    );
    assert!(
        plan.assignments
            .iter()
            .all(|a| a.text.as_deref() == Some("Monday tips"))
    );
    let why: Vec<String> = plan.unplaced.iter().map(ToString::to_string).collect();
    assert!(
        why.iter().any(|w| w.contains("weekly")
            && w.contains("2026-05-11")
            && w.contains("blackout \"recall\"")),
        "{why:#?}"
    );
    assert_eq!(
        why.iter()
            .filter(|w| w.contains("late") && w.contains("quiet hours 22:00-08:00"))
            .count(),
        4,
        "{why:#?}"
    );
    assert!(
        why.iter()
            .any(|w| w.contains("second") && w.contains("maximum of 1 posts")),
        "{why:#?}"
    );
    assert_eq!(plan.unplaced_drafts().count(), 0, "only weeks are left out");
}

#[test]
fn the_model_picks_the_best_slot_and_says_so() {
    let start = Utc.with_ymd_and_hms(2026, 5, 4, 0, 0, 0).unwrap();
    let mut stats = SlotStats::new(Madrid).unwrap();
    let best = SlotWidth::Hour.index(Weekday::Wed, 20 * 60);
    for day in 0..300 {
        for slot in (0..168).step_by(5) {
            let y = 0.02 + ((day * 7 + slot as i64) % 5) as f64 / 1000.0;
            stats.add(Observation {
                at: start - TimeDelta::days(day),
                slot,
                kind: tertulia_core::PostKind::Photo,
                value: y,
            });
        }
        stats.add(Observation {
            at: start - TimeDelta::days(day),
            slot: best,
            kind: tertulia_core::PostKind::Photo,
            value: 0.05,
        });
    }
    let model = stats.fit(&FitOptions::default()).unwrap();
    let planner = Planner::new(
        vec![channel("es", Madrid, Constraints::default())],
        start,
        7,
    )
    .unwrap()
    .with_model("es", model)
    .unwrap();
    let plan = planner
        .plan(&[draft("launch", start, start + TimeDelta::days(7))], &[])
        .unwrap();
    assert_eq!(
        plan.assignments[0].local,
        "Wed 2026-05-06 20:00 Europe/Madrid"
    );
    let why = &plan.assignments[0].why;
    assert!(
        why.starts_with("the best free time in its window: estimate 4.99"),
        "{why}"
    );
    // A higher-priority draft takes the best slot first.
    let mut urgent = draft("urgent", start, start + TimeDelta::days(7));
    urgent.priority = 5;
    let plan = planner
        .plan(
            &[draft("launch", start, start + TimeDelta::days(7)), urgent],
            &[],
        )
        .unwrap();
    let urgent = plan
        .assignments
        .iter()
        .find(|a| a.draft == "urgent")
        .unwrap();
    assert_eq!(urgent.local, "Wed 2026-05-06 20:00 Europe/Madrid");
    let launch = plan
        .assignments
        .iter()
        .find(|a| a.draft == "launch")
        .unwrap();
    assert!(
        launch.why.contains("1 better times were ruled out"),
        "{}",
        launch.why
    );
}

#[test]
fn evergreen_posts_come_back_after_their_cooldown() {
    let start = Utc.with_ymd_and_hms(2026, 5, 4, 0, 0, 0).unwrap();
    let planner = Planner::new(
        vec![channel("es", Madrid, Constraints::default())],
        start,
        30,
    )
    .unwrap();
    let mut d = draft("guide", start, start + TimeDelta::days(2));
    d.evergreen = Some(Evergreen {
        cooldown_days: 10,
        max_reposts: 5,
    });
    let plan = planner.plan(&[d], &[]).unwrap();
    let times: Vec<DateTime<Utc>> = plan.assignments.iter().map(|a| a.at).collect();
    assert_eq!(
        times.len(),
        3,
        "the first post and two reposts fit in 30 days"
    );
    assert!(times.windows(2).all(|w| w[1] - w[0] >= TimeDelta::days(10)));
    assert_eq!(plan.assignments[2].repost, 2);
    assert_eq!(
        plan.unplaced,
        [Unplaced::Repost {
            draft: "guide".into(),
            repost: 3,
            reason: "the cooldown ends after the horizon".into(),
        }]
    );
}

#[test]
fn plans_are_deterministic_and_bad_input_is_refused() {
    let start = Utc.with_ymd_and_hms(2026, 5, 4, 0, 0, 0).unwrap();
    let planner = Planner::new(
        vec![channel(
            "a",
            Madrid,
            Constraints {
                max_per_day: Some(3),
                ..Constraints::default()
            },
        )],
        start,
        14,
    )
    .unwrap();
    let drafts: Vec<Draft> = (0..30)
        .rev()
        .map(|i| draft(&format!("d{i}"), start, start + TimeDelta::days(14)))
        .collect();
    let a = planner.plan(&drafts, &[]).unwrap();
    let mut shuffled = drafts.clone();
    shuffled.reverse();
    assert_eq!(a, planner.plan(&shuffled, &[]).unwrap());

    let mut lost = draft("x", start, start + TimeDelta::days(1));
    lost.channel = Some("nowhere".into());
    let plan = planner.plan(&[lost], &[]).unwrap();
    assert!(
        plan.unplaced[0].reason().contains("\"nowhere\""),
        "{:?}",
        plan.unplaced
    );
    assert!(matches!(
        planner.plan(&[], &[weekly("nowhere", Weekday::Mon, t(9, 0))]),
        Err(Error::UnknownChannel { .. })
    ));
    // A misspelt key in a file a person writes is refused, with its name.
    let err = serde_json::from_str::<Channel>(
        r#"{"id":"a","platform":"mastodon","account":"x","zone":"UTC","constraints":{"max_per_dya":2}}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("max_per_dya"), "{err}");
    assert!(Planner::new(vec![], start, 0).is_err());
    let twice = vec![
        channel("a", Madrid, Constraints::default()),
        channel("a", Madrid, Constraints::default()),
    ];
    assert!(Planner::new(twice, start, 7).is_err());
}
