//! The simulator is deterministic, and its items agree with its planted truth.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, TimeDelta, TimeZone, Timelike, Utc, Weekday};
use proptest::prelude::*;
use tertulia_core::{MentionKind, Metric, Platform, Polarity, Post};
use tertulia_sim::{Evasion, Label, SimConfig, SimError, Simulation};

fn sim(config: SimConfig) -> Simulation {
    Simulation::new(config).expect("valid configuration")
}

fn json_lines<T: serde::Serialize>(items: impl Iterator<Item = T>) -> Vec<String> {
    items.map(|i| serde_json::to_string(&i).unwrap()).collect()
}

#[test]
fn same_seed_same_community_other_seed_other_community() {
    let config = SimConfig::default().with_seed(11).with_weeks(3);
    let (a, b) = (sim(config.clone()), sim(config.clone()));
    assert_eq!(
        json_lines(a.labelled_posts()),
        json_lines(b.labelled_posts())
    );
    assert_eq!(
        json_lines(a.labelled_mentions()),
        json_lines(b.labelled_mentions())
    );
    assert_eq!(a.truth(), b.truth());

    let c = sim(config.with_seed(12));
    assert_ne!(json_lines(a.posts()), json_lines(c.posts()));
    assert_ne!(json_lines(a.mentions()), json_lines(c.mentions()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// A shorter simulation is a prefix of a longer one, and weeks generated
    /// in shards are the weeks generated in one go.
    #[test]
    fn prefixes_and_shards_agree(seed in any::<u64>(), short in 1u32..4, extra in 1u32..3, cut in 0u32..6) {
        let long = sim(SimConfig::default().with_seed(seed).with_weeks(short + extra).with_posts_per_week(5));
        let short_sim = sim(SimConfig::default().with_seed(seed).with_weeks(short).with_posts_per_week(5));
        let all = json_lines(long.labelled_posts());
        let head = json_lines(short_sim.labelled_posts());
        prop_assert_eq!(&all[..head.len()], &head[..]);

        let cut = cut.min(short + extra);
        let sharded = json_lines(
            long.labelled_posts_in_weeks(0..cut).chain(long.labelled_posts_in_weeks(cut..short + extra)),
        );
        prop_assert_eq!(sharded, all);
    }
}

#[test]
fn items_come_in_time_order_with_unique_ids_inside_their_windows() {
    let s = sim(SimConfig::default().with_seed(5).with_weeks(4));
    let period = s.period();
    let posts: Vec<Post> = s.posts().collect();
    assert_eq!(posts.len() as u64, s.truth().posts);
    assert!(
        posts
            .windows(2)
            .all(|w| (w[0].created_at, &w[0].id) < (w[1].created_at, &w[1].id))
    );
    assert!(posts.iter().all(|p| period.contains(p.created_at)));

    let mentions: Vec<_> = s.mentions().collect();
    assert!(
        mentions
            .windows(2)
            .all(|w| (w[0].created_at, &w[0].id) < (w[1].created_at, &w[1].id))
    );
    let ids: BTreeSet<_> = mentions.iter().map(|m| m.id.clone()).collect();
    assert_eq!(ids.len(), mentions.len(), "mention ids are unique");
    let observed = s.truth().observed_at;
    assert!(
        mentions
            .iter()
            .all(|m| m.created_at >= period.start() && m.created_at < observed)
    );
}

#[test]
fn comments_under_each_post_are_its_comment_count() {
    let s = sim(SimConfig::default().with_seed(9).with_weeks(4));
    let posts: HashMap<_, _> = s
        .labelled_posts()
        .map(|(p, t)| (p.id.clone(), (p, t)))
        .collect();
    let mut under: HashMap<_, u64> = HashMap::new();
    for (m, truth) in s.labelled_mentions() {
        if m.kind == MentionKind::Comment && truth.spam_wave.is_none() {
            let (post, _) = &posts[m.in_reply_to.as_ref().unwrap()];
            assert_eq!(m.platform, post.platform);
            let delay = m.created_at - post.created_at;
            assert!(
                delay >= TimeDelta::zero() && delay <= TimeDelta::hours(72),
                "{delay}"
            );
            *under.entry(post.id.clone()).or_default() += 1;
        }
    }
    let mut hidden = 0;
    for (id, (post, truth)) in &posts {
        assert_eq!(under.get(id).copied().unwrap_or(0), truth.comments, "{id}");
        match truth.hidden {
            Some(m) => {
                hidden += 1;
                assert_eq!(post.metrics.get(m), None);
            }
            None => assert_eq!(post.metrics.comments, Some(truth.comments)),
        }
    }
    assert!(hidden > 0, "some metrics are planted as missing");
}

#[test]
fn platforms_report_what_they_really_report() {
    let s = sim(SimConfig::default().with_seed(3).with_weeks(2));
    for post in s.posts() {
        let m = post.metrics;
        match post.platform {
            Platform::Bluesky => {
                assert_eq!(
                    (m.reach, m.impressions, m.clicks, m.saves),
                    (None, None, None, None)
                );
                assert_eq!(post.paid, None);
            }
            Platform::Instagram => assert_eq!(m.clicks, None),
            Platform::Facebook => {
                assert_eq!(m.saves, None);
                assert!(post.paid.is_some());
            }
            _ => unreachable!("the default community has three platforms"),
        }
        if let (Some(reach), Some(impressions)) = (m.reach, m.impressions) {
            assert!(impressions >= reach);
            assert!(m.engaged_users.unwrap_or(0) <= reach);
        }
        if m.video_views.is_some() {
            assert!(post.kind.is_video(), "only videos have views: {}", post.id);
            assert!(m.video_completions <= m.video_views);
        }
    }
}

/// Undoes the disguises the simulator applies, the way a moderator reads them.
fn reveal(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = match c {
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | ' ' | '.' | ',' => continue,
            'а' | 'А' => 'a',
            'с' | 'С' => 'c',
            'е' | 'Е' => 'e',
            'о' | 'О' => 'o',
            'р' | 'Р' => 'p',
            'х' => 'x',
            'у' => 'y',
            'і' | 'І' => 'i',
            'ѕ' | 'Ѕ' => 's',
            '4' => 'a',
            '3' => 'e',
            '1' => 'i',
            '0' => 'o',
            '5' => 's',
            '7' => 't',
            'á' | 'à' | 'Á' => 'a',
            'é' | 'è' | 'É' => 'e',
            'í' | 'ì' | 'Í' => 'i',
            'ó' | 'ò' | 'Ó' => 'o',
            'ú' | 'ù' | 'ü' | 'Ü' => 'u',
            c if ('\u{FF01}'..='\u{FF5E}').contains(&c) => {
                char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap()
            }
            c => c,
        };
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

#[test]
fn disguised_insults_hide_the_word_and_a_reader_still_sees_it() {
    let s = sim(SimConfig::default().with_seed(21).with_weeks(8));
    let mut seen: BTreeMap<Evasion, usize> = BTreeMap::new();
    let mut plain = 0;
    for (m, t) in s
        .labelled_mentions()
        .filter(|(_, t)| t.label == Label::Abusive)
    {
        let term = t.term.as_deref().unwrap();
        assert_eq!(t.polarity, Polarity::Negative);
        assert!(
            reveal(&m.text).contains(&reveal(term)),
            "{:?} hides {term}",
            m.text
        );
        match t.evasion {
            Some(e) => {
                assert!(!m.text.to_lowercase().contains(term), "{e}: {:?}", m.text);
                *seen.entry(e).or_default() += 1;
            }
            None => {
                assert!(m.text.to_lowercase().contains(term));
                plain += 1;
            }
        }
    }
    assert!(plain > 0);
    assert_eq!(
        seen.len(),
        Evasion::ALL.len(),
        "every disguise is planted: {seen:?}"
    );
}

#[test]
fn the_crisis_is_a_burst_of_negative_mentions_at_the_planted_time() {
    let s = sim(SimConfig::default().with_seed(4).with_weeks(6));
    let crisis = s.truth().crisis.clone().unwrap();
    let window =
        |m: &DateTime<Utc>, from: DateTime<Utc>| *m >= from && *m < from + TimeDelta::hours(12);
    let week_before = crisis.start - TimeDelta::weeks(1);
    let (mut during, mut before, mut negative, mut flagged) = (0, 0, 0, 0);
    for (m, t) in s
        .labelled_mentions()
        .filter(|(m, _)| m.kind == MentionKind::Mention)
    {
        if t.crisis {
            flagged += 1;
            assert!(m.created_at >= crisis.start && m.created_at < crisis.end);
            assert!(
                crisis
                    .keywords
                    .iter()
                    .any(|k| m.text.to_lowercase().contains(k)),
                "{}",
                m.text
            );
        }
        if window(&m.created_at, crisis.start) {
            during += 1;
            negative += usize::from(t.polarity == Polarity::Negative);
        }
        if window(&m.created_at, week_before) {
            before += 1;
        }
    }
    assert!(flagged > 0);
    assert!(
        during > 3 * before,
        "{during} mentions in the first 12 hours vs {before} a week before"
    );
    assert!(
        negative * 10 > during * 6,
        "{negative} of {during} negative"
    );
}

#[test]
fn spam_waves_are_one_text_from_many_new_accounts_within_minutes() {
    let s = sim(SimConfig::default().with_seed(8).with_weeks(6));
    let waves = &s.truth().spam_waves;
    assert_eq!(waves.len(), 3);
    for wave in waves {
        let items: Vec<_> = s
            .labelled_mentions()
            .filter(|(_, t)| t.spam_wave == Some(wave.wave))
            .collect();
        assert_eq!(items.len() as u32, wave.size);
        let texts: BTreeSet<_> = items.iter().map(|(m, _)| m.text.clone()).collect();
        let authors: BTreeSet<_> = items.iter().map(|(m, _)| m.author.id.clone()).collect();
        assert_eq!(texts.len(), 1);
        assert_eq!(authors.len(), items.len());
        for (m, t) in &items {
            assert_eq!(t.label, Label::Spam);
            assert!(
                m.created_at >= wave.start && m.created_at < wave.start + TimeDelta::minutes(15)
            );
            let age = m.author.account_age(m.created_at).unwrap();
            assert!(age <= TimeDelta::days(10) + TimeDelta::minutes(15), "{age}");
        }
    }
}

#[test]
fn the_brand_answers_in_business_hours_and_never_answers_abuse() {
    let s = sim(SimConfig::default()
        .with_seed(2)
        .with_weeks(3)
        .without_crisis());
    let zone = s.accounts()[0].time_zone;
    let (mut answered, mut asked, mut in_office) = (0, 0, 0);
    for (m, t) in s.labelled_mentions() {
        if t.label != Label::Benign {
            assert_eq!(m.responded_at, None);
            continue;
        }
        asked += 1;
        if let Some(at) = m.responded_at {
            answered += 1;
            m.check().unwrap();
            assert!(at <= s.truth().observed_at);
            let local = zone.from_utc_datetime(&at.naive_utc());
            let weekday = !matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
            // Answers start in office hours; a long wait may run a little past 18:00.
            in_office += usize::from(weekday && (9..20).contains(&local.hour()));
        }
    }
    let rate = f64::from(answered) / f64::from(asked);
    assert!((0.2..0.6).contains(&rate), "answered {rate}");
    assert!(
        in_office as f64 >= 0.97 * f64::from(answered),
        "{in_office} of {answered}"
    );
}

#[test]
fn the_first_answer_waits_for_the_office_to_open() {
    // A crisis-free community in Madrid: answers to mentions made on a
    // Saturday come on Monday 09:00 Madrid time or later.
    let s = sim(SimConfig::default()
        .with_seed(13)
        .with_weeks(2)
        .without_crisis());
    let zone = s.accounts()[0].time_zone;
    let mut checked = 0;
    for m in s.mentions() {
        let made = zone.from_utc_datetime(&m.created_at.naive_utc());
        if let (Weekday::Sat, Some(at)) = (made.weekday(), m.responded_at) {
            let answered = zone.from_utc_datetime(&at.naive_utc());
            assert_eq!(answered.weekday(), Weekday::Mon, "{made} -> {answered}");
            assert!(answered.hour() >= 9);
            checked += 1;
        }
    }
    assert!(checked > 10);
}

#[test]
fn bad_settings_name_the_setting() {
    let bad = |c: SimConfig| match Simulation::new(c) {
        Err(SimError::Setting { field, .. }) => field,
        other => panic!("expected a setting error, got {:?}", other.map(|_| ())),
    };
    assert_eq!(bad(SimConfig::default().with_weeks(0)), "weeks");
    assert_eq!(bad(SimConfig::default().with_weeks(5_000)), "weeks");
    let c = SimConfig {
        abusive_share: f64::NAN,
        ..SimConfig::default()
    };
    assert_eq!(bad(c), "abusive_share");
    let mut c = SimConfig::default();
    c.accounts[1].engagement_rate = 0.0;
    assert_eq!(bad(c), "accounts[1].engagement_rate");
    let mut c = SimConfig::default();
    c.crisis.as_mut().unwrap().start = Some(Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap());
    assert_eq!(bad(c), "crisis.start");
    let mut c = SimConfig::default();
    c.accounts.clear();
    assert_eq!(bad(c), "accounts");
    let message = Simulation::new(SimConfig::default().with_weeks(0))
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        message,
        "simulation setting weeks is 0: a whole number of weeks from 1 to 1040"
    );
}

#[test]
fn missing_metrics_are_planted_at_the_configured_share() {
    let mut config = SimConfig::default().with_seed(17).with_weeks(10);
    config.missing_share = 0.2;
    let s = sim(config);
    let (mut hidden, mut total) = (0u32, 0u32);
    for (post, truth) in s.labelled_posts() {
        total += 1;
        if let Some(metric) = truth.hidden {
            hidden += 1;
            assert_eq!(post.metrics.get(metric), None);
            assert!(metric != Metric::Saves || post.platform == Platform::Instagram);
        }
    }
    let share = f64::from(hidden) / f64::from(total);
    assert!((0.15..0.25).contains(&share), "{share}");
}
