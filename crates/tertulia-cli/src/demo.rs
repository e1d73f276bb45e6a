//! `tertulia demo`: a simulated community and what tertulia can say about it.
//!
//! Each tertulia crate adds its own section to the report as it lands.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveTime;
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use clap::Args;
use serde::Serialize;
use tertulia_core::{Audience, Handle, MentionKind, Metric, Platform, PostKind, TimeRange};
use tertulia_kpi::{
    Breakdown, BusinessHours, GroupKey, GroupReport, Grouping, Kpi, KpiOptions, KpiReport, Kpis,
};
use tertulia_moderation::{Action, Decision, Engine, Item, parse_rules};
use tertulia_schedule::{
    BestTimes, Channel, Constraints, Draft, FitOptions, Outcome, Planner, QuietHours, SlotEstimate,
    SlotStats, SlotWidth,
};
use tertulia_sentiment::ByLanguage;
use tertulia_sim::{Evasion, Label, Simulation, Truth};

use crate::CliError;
use crate::community::CommunityArgs;
use crate::output::{Progress, count, percent, plural, print_json, print_text, sparkline, table};

/// Options of `tertulia demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    #[command(flatten)]
    community: CommunityArgs,
    /// Print JSON with every figure instead of tables.
    #[arg(long)]
    json: bool,
}

/// Everything the demo says, as printed with `--json`.
#[derive(Debug, Serialize)]
struct DemoReport {
    seed: u64,
    weeks: u32,
    period: TimeRange,
    brand: String,
    accounts: Vec<AccountReport>,
    mentions: MentionReport,
    /// The KPIs, by account, with mention KPIs in the main account's business hours.
    kpis: KpiReport,
    /// The per-post KPIs by post kind, to hold against the planted kind effects.
    kpis_by_kind: Vec<GroupReport>,
    /// The best times each account's history shows, to hold against the planted ones.
    best_times: Vec<RecoveredSlots>,
    /// What the demo's house rules did to the comments, against the planted labels.
    moderation: ModerationReport,
    /// What the crisis watch saw and how its incidents escalated.
    crisis: crate::crisis::WatchReport,
    /// The week after, planned on the learnt best times and published.
    publishing: PublishingReport,
    planted: Truth,
}

#[derive(Debug, Serialize)]
struct AccountReport {
    platform: Platform,
    handle: Handle,
    home: Tz,
    audience: Audience,
    followers_start: u64,
    followers_end: u64,
    posts: u64,
    posts_by_kind: BTreeMap<PostKind, u64>,
    /// Metrics the platform reported on at least one post.
    reported: Vec<Metric>,
    /// Posts whose report lacks a metric, by metric.
    missing: BTreeMap<Metric, u64>,
}

#[derive(Debug, Serialize)]
struct RecoveredSlots {
    handle: Handle,
    /// The KPI optimised: engagement by reach, or by followers where the platform reports no reach.
    outcome: &'static str,
    /// The five best slots found, with intervals and verdicts.
    top: Vec<SlotEstimate>,
    /// Where the planted best slot ranks among the 168 found.
    planted_best_rank: usize,
}

/// Items acted on (hidden, removed, held or reported) out of all, per group.
#[derive(Debug, Default, Serialize)]
struct Caught {
    items: u64,
    acted_on: u64,
}

impl Caught {
    fn add(&mut self, acted: bool) {
        self.items += 1;
        self.acted_on += u64::from(acted);
    }
}

#[derive(Debug, Default, Serialize)]
struct ModerationReport {
    /// The house rules, as YAML.
    rules: &'static str,
    by_label: BTreeMap<Label, Caught>,
    /// Disguised insults, by disguise.
    by_evasion: BTreeMap<Evasion, Caught>,
    by_action: BTreeMap<Action, u64>,
    /// A few decisions, as an audit log keeps them.
    examples: Vec<Decision>,
}

/// The demo community's house rules.
const HOUSE_RULES: &str = include_str!("demo_rules.yaml");

#[derive(Debug, Default, Serialize)]
struct MentionReport {
    total: u64,
    comments: u64,
    mentions: u64,
    by_language: BTreeMap<String, u64>,
    by_label: BTreeMap<Label, u64>,
    disguised: BTreeMap<Evasion, u64>,
    spam_wave_items: u64,
    crisis_caused: u64,
    answered: u64,
    /// Mentions per hour from a day before the planted crisis to two days after it starts.
    around_crisis: Option<Hourly>,
}

#[derive(Debug, Serialize)]
struct Hourly {
    from: DateTime<Utc>,
    counts: Vec<u64>,
}

pub(crate) fn run(args: &DemoArgs) -> Result<(), CliError> {
    let sim = args.community.simulation()?;
    let report = build(&sim, args.json)?;
    if args.json {
        print_json(&report)
    } else {
        print_text(&render(&report))
    }
}

fn build(sim: &Simulation, json: bool) -> Result<DemoReport, CliError> {
    let truth = sim.truth().clone();
    let progress = Progress::new(sim.period().start(), sim.config().weeks, json);
    progress.phase("simulating posts");

    let mut accounts: Vec<AccountReport> = sim
        .accounts()
        .iter()
        .zip(&truth.accounts)
        .map(|(a, t)| AccountReport {
            platform: a.platform.clone(),
            handle: a.profile.handle.clone(),
            home: a.time_zone,
            audience: a.audience.clone(),
            followers_start: t.followers_start,
            followers_end: t.followers_end,
            posts: 0,
            posts_by_kind: BTreeMap::new(),
            reported: Vec::new(),
            missing: BTreeMap::new(),
        })
        .collect();
    let main_zone = sim.accounts()[0].time_zone;
    let (nine, six) = (
        NaiveTime::from_hms_opt(9, 0, 0),
        NaiveTime::from_hms_opt(18, 0, 0),
    );
    let hours = BusinessHours::weekdays(main_zone, nine.expect("09:00"), six.expect("18:00"))
        .expect("09:00 comes before 18:00");
    let options = KpiOptions {
        grouping: Some(Grouping::Account),
        business_hours: Some(hours),
        ..KpiOptions::from(main_zone)
    };
    let mut by_kind = Breakdown::new(Grouping::Kind, main_zone, options.engagement);
    // Bluesky reports no reach: its best times are learnt on engagement by followers.
    let outcomes: Vec<Outcome> = sim
        .accounts()
        .iter()
        .map(|a| Outcome::for_platform(&a.platform))
        .collect();
    let mut slot_stats: Vec<SlotStats> = sim
        .accounts()
        .iter()
        .map(|a| SlotStats::new(a.time_zone).expect("no half-life to check"))
        .collect();
    let mut kpis = Kpis::new(options);
    for (post, planted) in sim.labelled_posts() {
        progress.reached(post.created_at);
        kpis.add_post(&post);
        by_kind.add(&post);
        slot_stats[planted.account].add_post(&post, &outcomes[planted.account]);
        let a = &mut accounts[planted.account];
        a.posts += 1;
        *a.posts_by_kind.entry(post.kind).or_default() += 1;
        for (metric, _) in post.metrics.reported() {
            if !a.reported.contains(&metric) {
                a.reported.push(metric);
            }
        }
        if let Some(metric) = planted.hidden {
            *a.missing.entry(metric).or_default() += 1;
        }
    }
    for a in &mut accounts {
        a.reported.sort();
    }

    progress.phase("simulating comments and mentions");
    let mut m = MentionReport::default();
    let crisis_from = truth
        .crisis
        .as_ref()
        .map(|c| c.start - TimeDelta::hours(24));
    let mut hourly = vec![0u64; 72];
    let mut engine = Engine::new(parse_rules(HOUSE_RULES).expect("the house rules parse"))
        .expect("the house rules compile");
    let mut moderation = ModerationReport {
        rules: HOUSE_RULES,
        ..ModerationReport::default()
    };
    let sentiment = ByLanguage::english_and_spanish();
    let mut watch = crate::crisis::Watcher::demo(&sim.config().brand);
    let mut crisis_steps = Vec::new();
    for (mut mention, planted) in sim.labelled_mentions() {
        progress.reached(mention.created_at);
        sentiment.annotate(std::slice::from_mut(&mut mention));
        crisis_steps.extend(watch.push(&mention));
        kpis.add_mention(&mention);
        let decision = engine.decide(&Item::from(&mention));
        let acted = decision.action != Action::None;
        moderation
            .by_label
            .entry(planted.label)
            .or_default()
            .add(acted);
        if let Some(e) = planted.evasion {
            moderation.by_evasion.entry(e).or_default().add(acted);
        }
        *moderation.by_action.entry(decision.action).or_default() += 1;
        let wanted = match planted.label {
            Label::Abusive => planted.evasion.is_some(),
            Label::Spam => planted.spam_wave.is_some(),
            Label::Benign => false,
        };
        if acted && wanted && moderation.examples.len() < 3 {
            moderation.examples.push(decision);
        }
        m.total += 1;
        match mention.kind {
            MentionKind::Comment => m.comments += 1,
            _ => m.mentions += 1,
        }
        *m.by_language
            .entry(planted.language.to_string())
            .or_default() += 1;
        *m.by_label.entry(planted.label).or_default() += 1;
        if let Some(e) = planted.evasion {
            *m.disguised.entry(e).or_default() += 1;
        }
        m.spam_wave_items += u64::from(planted.spam_wave.is_some());
        m.crisis_caused += u64::from(planted.crisis);
        m.answered += u64::from(mention.responded_at.is_some());
        if let Some(from) = crisis_from {
            let hour = (mention.created_at - from).num_hours();
            if mention.created_at >= from && hour < 72 {
                hourly[hour as usize] += 1;
            }
        }
    }
    crisis_steps.extend(watch.flush());
    let crisis = watch.report(crisis_steps);
    m.around_crisis = crisis_from.map(|from| Hourly {
        from,
        counts: hourly,
    });
    progress.finish();

    let fit = FitOptions {
        control_kind: true,
        ..FitOptions::default()
    };
    let models: Vec<Option<BestTimes>> = slot_stats.iter().map(|s| s.fit(&fit).ok()).collect();
    let best_times = models
        .iter()
        .zip(&truth.accounts)
        .zip(&outcomes)
        .filter_map(|((model, planted), outcome)| {
            let model = model.as_ref()?;
            let best = planted.best_slots.first()?;
            let index = SlotWidth::Hour.index(best.weekday, u16::from(best.hour) * 60);
            Some(RecoveredSlots {
                handle: planted.handle.clone(),
                outcome: outcome.kpi.formula(),
                top: model.ranked.iter().take(5).copied().collect(),
                planted_best_rank: model.ranked.iter().position(|s| s.slot.index() == index)? + 1,
            })
        })
        .collect();

    Ok(DemoReport {
        seed: truth.seed,
        weeks: sim.config().weeks,
        period: sim.period(),
        brand: sim.config().brand.clone(),
        accounts,
        mentions: m,
        kpis: kpis.report(),
        kpis_by_kind: by_kind.report(kpis.options().confidence),
        best_times,
        moderation,
        crisis,
        publishing: publish_next_week(sim, &models, truth.seed)?,
        planted: truth,
    })
}

fn render(r: &DemoReport) -> String {
    let mut out = String::new();
    let day = |t: DateTime<Utc>| t.format("%a %Y-%m-%d").to_string();
    let _ = writeln!(
        out,
        "tertulia demo · seed {} · {} weeks from {} to {} (UTC)\n",
        r.seed,
        r.weeks,
        day(r.period.start()),
        day(r.period.end())
    );

    let _ = writeln!(out, "The community of {} (simulated)", r.brand);
    let mut t = table(&[
        "platform",
        "account",
        "run from",
        "audience",
        "followers",
        "posts",
        "posts by kind",
    ]);
    for a in &r.accounts {
        let audience: Vec<String> = a
            .audience
            .shares()
            .iter()
            .map(|s| format!("{} {:.0}%", s.zone, 100.0 * s.share))
            .collect();
        let kinds: Vec<String> = a
            .posts_by_kind
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        t.add_row(vec![
            a.platform.to_string(),
            a.handle.to_string(),
            a.home.to_string(),
            audience.join("\n"),
            format!("{} → {}", count(a.followers_start), count(a.followers_end)),
            count(a.posts),
            kinds.join("\n"),
        ]);
    }
    let _ = writeln!(out, "{t}\n");

    let _ = writeln!(
        out,
        "What each platform reports (missing is not zero: these posts lack the metric)"
    );
    let mut t = table(&["account", "metrics reported", "posts missing a metric"]);
    for a in &r.accounts {
        let reported: Vec<&str> = a.reported.iter().map(|m| m.name()).collect();
        let missing: Vec<String> = a.missing.iter().map(|(m, n)| format!("{m} {n}")).collect();
        t.add_row(vec![
            a.handle.to_string(),
            reported.join(", "),
            if missing.is_empty() {
                "none".to_owned()
            } else {
                missing.join(", ")
            },
        ]);
    }
    let _ = writeln!(out, "{t}\n");

    let m = &r.mentions;
    let _ = writeln!(
        out,
        "What people said: {} ({} under posts, {}); the brand answered {}",
        plural(m.total, "item", "items"),
        plural(m.comments, "comment", "comments"),
        plural(m.mentions, "mention", "mentions"),
        percent(m.answered, m.total)
    );
    let languages: Vec<String> = m
        .by_language
        .iter()
        .map(|(l, n)| format!("{l} {}", percent(*n, m.total)))
        .collect();
    let _ = writeln!(out, "  languages: {}", languages.join(", "));
    let labels: Vec<String> = m
        .by_label
        .iter()
        .map(|(l, n)| format!("{} {}", label_name(*l), count(*n)))
        .collect();
    let _ = writeln!(out, "  planted labels: {}", labels.join(", "));
    let disguised: Vec<String> = m
        .disguised
        .iter()
        .map(|(e, n)| format!("{e} {n}"))
        .collect();
    let _ = writeln!(
        out,
        "  disguised insults: {} ({})",
        m.disguised.values().sum::<u64>(),
        disguised.join(", ")
    );
    let _ = writeln!(
        out,
        "  spam waves: {} waves, {} comments from new accounts\n",
        r.planted.spam_waves.len(),
        m.spam_wave_items
    );

    let _ = writeln!(out, "KPIs of the community (tertulia-kpi)");
    crate::kpi::render(&mut out, &r.kpis);
    let _ = writeln!(
        out,
        "\nBy post kind, against the planted effects (engagement / followers at post time)"
    );
    let mut t = table(&[
        "kind",
        "posts",
        "ratio of sums",
        "mean of per-post rates",
        "relative to text",
        "planted, relative to text",
    ]);
    let planted_text = r.planted.kind_effects.get(&PostKind::Text).copied();
    let mean_of = |g: &GroupReport| {
        g.report
            .rate(Kpi::EngagementByFollowers)
            .mean_of_rates
            .map(|e| e.value)
    };
    let text = r
        .kpis_by_kind
        .iter()
        .find(|g| g.key == GroupKey::Kind(PostKind::Text))
        .and_then(mean_of);
    for g in &r.kpis_by_kind {
        let rate = g.report.rate(Kpi::EngagementByFollowers);
        let GroupKey::Kind(kind) = g.key else {
            continue;
        };
        let show = |e| crate::kpi::value(e, false);
        t.add_row(vec![
            g.label.clone(),
            count(g.report.posts),
            show(rate.ratio_of_sums),
            show(rate.mean_of_rates),
            match (mean_of(g), text) {
                (Some(x), Some(base)) if base > 0.0 => format!("×{:.2}", x / base),
                _ => "n/a".into(),
            },
            match (r.planted.kind_effects.get(&kind), planted_text) {
                (Some(e), Some(base)) if base > 0.0 => format!("×{:.2}", e / base),
                _ => "n/a".into(),
            },
        ]);
    }
    let _ = writeln!(out, "{t}");
    let _ = writeln!(
        out,
        "  (measured effects also carry each account's mix of kinds, sizes and times; the planted ones do not)\n"
    );

    let _ = writeln!(
        out,
        "Best times to publish, learnt from each account's posts (tertulia-schedule), against the planted best"
    );
    let mut t = table(&[
        "account",
        "optimising",
        "best slots found (90% interval, verdict)",
        "planted best",
        "its rank",
    ]);
    for (b, planted) in r.best_times.iter().zip(&r.planted.accounts) {
        let found: Vec<String> = b
            .top
            .iter()
            .take(3)
            .map(|s| {
                format!(
                    "{} {:.2}% [{:.2}–{:.2}] {}",
                    s.slot,
                    100.0 * s.estimate,
                    100.0 * s.low,
                    100.0 * s.high,
                    match s.verdict {
                        tertulia_schedule::Verdict::Better => "better",
                        tertulia_schedule::Verdict::Worse => "worse",
                        tertulia_schedule::Verdict::Unclear => "unclear",
                    }
                )
            })
            .collect();
        let best = planted.best_slots.first();
        t.add_row(vec![
            b.handle.to_string(),
            b.outcome.to_owned(),
            found.join("\n"),
            best.map_or("n/a".into(), |s| format!("{} {:02}:00", s.weekday, s.hour)),
            format!("{} of 168", b.planted_best_rank),
        ]);
    }
    let _ = writeln!(out, "{t}\n");

    render_moderation(&mut out, &r.moderation);

    let p = &r.planted;
    let _ = writeln!(out, "Planted truth: what tertulia's other crates must find");
    let mut t = table(&["account", "best slots, local time (engagement multiplier)"]);
    for a in &p.accounts {
        let slots: Vec<String> = a
            .best_slots
            .iter()
            .take(3)
            .map(|s| format!("{} {:02}:00 ×{:.2}", s.weekday, s.hour, s.value))
            .collect();
        t.add_row(vec![
            format!("{} ({})", a.handle, a.home),
            slots.join("   "),
        ]);
    }
    let _ = writeln!(out, "{t}");
    let mut effects: Vec<(&PostKind, &f64)> = p.kind_effects.iter().collect();
    effects.sort_by(|x, y| y.1.total_cmp(x.1));
    let effects: Vec<String> = effects
        .iter()
        .map(|(k, e)| format!("{k} ×{e:.2}"))
        .collect();
    let _ = writeln!(out, "  post kinds: {}", effects.join(", "));
    if let (Some(c), Some(h)) = (&p.crisis, &m.around_crisis) {
        let _ = writeln!(
            out,
            "  crisis: starts {} {} UTC, mentions peak at ×{:.0} the usual rate at {}, over by {} {}; it caused {}",
            day(c.start),
            c.start.format("%H:%M"),
            c.peak_multiplier,
            c.peak.format("%H:%M"),
            day(c.end),
            c.end.format("%H:%M"),
            plural(m.crisis_caused, "mention", "mentions")
        );
        let line = sparkline(&h.counts);
        let (before, after) =
            line.split_at(line.char_indices().nth(24).map_or(line.len(), |(i, _)| i));
        let _ = writeln!(
            out,
            "  mentions per hour, a day before to two days after: {before}|{after}"
        );
    }
    render_crisis(&mut out, r);
    render_publishing(&mut out, &r.publishing);
    out
}

/// The crisis watch against the planted crisis: when it saw it, how the
/// incident escalated.
fn render_crisis(out: &mut String, r: &DemoReport) {
    let w = &r.crisis;
    let _ = writeln!(
        out,
        "\nCrisis watch ({}-minute buckets; volume, negative share and mean sentiment of the latest mentions; keywords):",
        w.bucket_minutes
    );
    let Some(c) = &r.planted.crisis else {
        let _ = writeln!(
            out,
            "  no crisis planted; incidents opened: {}",
            w.incidents.len()
        );
        return;
    };
    let before = w.incidents.iter().filter(|i| i.opened_at < c.start).count();
    // Known at the end of the incident's first bucket, when the first step is printed.
    let first = w.incidents.iter().find(|i| i.opened_at >= c.start);
    let known = w.steps.iter().find(|s| s.at >= c.start).map(|s| s.at);
    match first.zip(known) {
        Some((first, known)) => {
            let _ = writeln!(
                out,
                "  planted start {} UTC; first alert {} UTC, {} min later ({}, {}); {} before the start",
                c.start.format("%a %H:%M"),
                known.format("%a %H:%M"),
                (known - c.start).num_minutes(),
                first.key,
                first.severity.name(),
                plural(before as u64, "incident", "incidents")
            );
            let after: Vec<&crate::crisis::Step> =
                w.steps.iter().filter(|s| s.at >= known).collect();
            // The date when it changes (and first), the time always.
            let mut day = None;
            for step in after.iter().take(10) {
                let when = if day == Some(step.at.date_naive()) {
                    step.at.format("%H:%M").to_string()
                } else {
                    day = Some(step.at.date_naive());
                    step.at.format("%a %Y-%m-%d %H:%M").to_string()
                };
                let _ = writeln!(out, "    {when} {}", step.text);
            }
            if after.len() > 10 {
                let more = after.len() - 10;
                let _ = writeln!(
                    out,
                    "    … and {more} more {} (all of them in --json)",
                    if more == 1 { "step" } else { "steps" }
                );
            }
        }
        None => {
            let _ = writeln!(
                out,
                "  the planted crisis was NOT detected; {} before it",
                plural(before as u64, "incident", "incidents")
            );
        }
    }
}

fn render_moderation(out: &mut String, m: &ModerationReport) {
    let _ = writeln!(
        out,
        "Moderation with the demo's house rules (tertulia-moderation), against the planted labels"
    );
    let mut t = table(&[
        "planted",
        "items",
        "acted on (hidden, removed, held or reported)",
    ]);
    for (label, c) in &m.by_label {
        t.add_row(vec![
            label_name(*label).to_owned(),
            count(c.items),
            format!("{} ({})", count(c.acted_on), percent(c.acted_on, c.items)),
        ]);
    }
    let _ = writeln!(out, "{t}");
    let disguises: Vec<String> = m
        .by_evasion
        .iter()
        .map(|(e, c)| format!("{e} {}", percent(c.acted_on, c.items)))
        .collect();
    let _ = writeln!(out, "  disguised insults caught: {}", disguises.join(", "));
    for d in &m.examples {
        let f = &d.fired[0];
        let evidence: Vec<String> = f
            .matches
            .iter()
            .map(|e| format!("{:?} read as {:?}", e.text, e.normalized))
            .chain(f.because.iter().cloned())
            .collect();
        let _ = writeln!(
            out,
            "  e.g. {} -> {} by rule {:?}: {}",
            d.id,
            d.action,
            f.rule,
            evidence.join("; ")
        );
    }
    let _ = writeln!(out);
}

fn label_name(label: Label) -> &'static str {
    match label {
        Label::Benign => "benign",
        Label::Abusive => "abusive",
        Label::Spam => "spam",
    }
}

/// The week after the simulated period, planned and published.
#[derive(Debug, Serialize)]
struct PublishingReport {
    /// Drafts written for the week.
    drafts: usize,
    /// Placed on the calendar.
    placed: usize,
    /// Posts the platforms hold afterwards.
    published: usize,
    /// Publish calls made, retries included.
    calls: usize,
    /// Calls that failed and were retried (429s, 503s, answers lost after
    /// the post was made).
    failed_calls: usize,
    /// Posts made twice for one draft.
    duplicates: usize,
    /// Targets a worker took over from one that died mid-publish.
    taken_over: usize,
    /// Changes in the queue's audit trail written by the worker.
    events: usize,
    /// Posts by state at the end of the week.
    states: std::collections::BTreeMap<String, usize>,
    /// Each post: channel, local time, the platform's id.
    posts: Vec<(String, String, String)>,
}

/// Plans five drafts per account for the week after the simulated period
/// on each account's learnt best times, then publishes them through
/// `MemoryConnector` behind the retry layer while one call in three fails.
fn publish_next_week(
    sim: &Simulation,
    models: &[Option<BestTimes>],
    seed: u64,
) -> Result<PublishingReport, CliError> {
    use std::sync::Arc;
    use tertulia_connect::{Connector, Fault, MemoryConnector, Operation};
    use tertulia_core::ManualClock;
    use tertulia_store::{Content, Filter, NewPost, Store};
    use tertulia_worker::{Connectors, Options as WorkerOptions, Worker};

    let start = sim.period().end();
    let schedule = |e: tertulia_schedule::Error| CliError::Usage(format!("the demo's plan: {e}"));
    let channels: Vec<Channel> = sim
        .accounts()
        .iter()
        .map(|a| Channel {
            id: a.profile.handle.as_str().to_owned(),
            platform: a.platform.clone(),
            account: a.profile.handle.as_str().to_owned(),
            zone: a.time_zone,
            constraints: Constraints {
                max_per_day: Some(2),
                min_gap_minutes: Some(180),
                quiet_hours: NaiveTime::from_hms_opt(22, 0, 0)
                    .zip(NaiveTime::from_hms_opt(8, 0, 0))
                    .map(|(start, end)| QuietHours { start, end }),
                ..Constraints::default()
            },
        })
        .collect();
    let mut planner = Planner::new(channels.clone(), start, 7).map_err(schedule)?;
    for (c, model) in channels.iter().zip(models) {
        if let Some(m) = model {
            planner = planner.with_model(&c.id, m.clone()).map_err(schedule)?;
        }
    }
    let drafts: Vec<Draft> = channels
        .iter()
        .flat_map(|c| {
            (1..=5).map(move |i| Draft {
                id: format!("{}-week-{i}", c.id),
                platform: c.platform.clone(),
                channel: Some(c.id.clone()),
                priority: 0,
                earliest: start,
                latest: start + TimeDelta::days(7),
                evergreen: None,
                text: None,
            })
        })
        .collect();
    let plan = planner.plan(&drafts, &[]).map_err(schedule)?;

    // One in-memory platform per channel, one call in three failing.
    let platforms: Vec<MemoryConnector> = channels
        .iter()
        .map(|c| MemoryConnector::new().with_platform(c.platform.clone()))
        .collect();
    let mut state = seed | 1;
    for p in &platforms {
        for _ in 0..40 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let fault = match state % 9 {
                0 => Fault::RateLimited {
                    retry_after: None,
                    reset_in: None,
                },
                1 => Fault::Upstream(503),
                2 => Fault::LostResponse,
                _ => Fault::Pass,
            };
            p.inject(Operation::Publish, fault);
        }
    }
    // Through the queue: a SQLite file in a temporary folder, the worker on
    // a clock that steps through the week, and one worker that dies
    // mid-publish on the first morning.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the demo's publisher: {e}")))?;
    let folder = std::env::temp_dir().join(format!("tertulia-demo-{}-{seed}", std::process::id()));
    let mut posts = Vec::new();
    let store_error = |e: tertulia_store::Error| CliError::Usage(format!("the demo's queue: {e}"));
    let result = runtime.block_on(async {
        std::fs::create_dir_all(&folder).map_err(|source| CliError::Write {
            path: folder.clone(),
            source,
        })?;
        let store = Store::open(folder.join("tertulia.db").to_str().unwrap_or("tertulia.db"))
            .await
            .map_err(store_error)?;
        let mut connectors = Connectors::new();
        let clock = Arc::new(ManualClock::new(start));
        for (c, p) in channels.iter().zip(&platforms) {
            store
                .add_channel(&tertulia_store::Channel {
                    name: c.id.clone(),
                    platform: c.platform.clone(),
                    account: c.account.clone(),
                    zone: c.zone,
                    constraints: c.constraints.clone(),
                })
                .await
                .map_err(store_error)?;
            connectors.insert(
                c.id.clone(),
                Arc::new(p.clone().with_clock(clock.clone())) as Arc<dyn Connector>,
            );
        }
        for a in &plan.assignments {
            store
                .add_post(&NewPost {
                    content: Content::text(format!("{} ({})", a.draft, a.local)),
                    channels: vec![a.channel.clone()],
                    at: Some(a.at),
                    zone: channels
                        .iter()
                        .find(|c| c.id == a.channel)
                        .map_or(chrono_tz::UTC, |c| c.zone),
                    approver: None,
                    by: "demo".into(),
                })
                .await
                .map_err(store_error)?;
        }
        let mut options = WorkerOptions::new("worker:demo");
        // A third of the calls fail here: more tries than a real platform needs.
        options.max_attempts = 40;
        options.metric_ages.clear();
        let worker = Worker::new(store.clone(), connectors, clock.clone(), options)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let end = start + TimeDelta::days(7) + TimeDelta::hours(2);
        let mut at = start;
        let mut dead = false;
        let mut taken_over = 0;
        let mut events = 0;
        while at <= end {
            clock.set(at);
            // The first post due is claimed by a worker that dies before it
            // records what the platform answered.
            if !dead
                && let Some(claim) = store
                    .claim("worker:dies", at, TimeDelta::minutes(5), 1)
                    .await
                    .map_err(store_error)?
                    .pop()
            {
                dead = true;
                let i = channels
                    .iter()
                    .position(|c| c.id == claim.channel.name)
                    .unwrap_or(0);
                let _ = platforms[i].publish(&claim.request).await;
            }
            let pass = worker
                .run_once()
                .await
                .map_err(|e| CliError::Usage(e.to_string()))?;
            taken_over += pass
                .events
                .iter()
                .filter(|e| e.why.starts_with("taken over"))
                .count();
            events += pass.events.len();
            at += TimeDelta::minutes(10);
        }
        let mut states = std::collections::BTreeMap::new();
        let mut ids = std::collections::BTreeMap::new();
        for p in store.posts(&Filter::default()).await.map_err(store_error)? {
            *states.entry(p.state().to_string()).or_insert(0usize) += 1;
            if let Some(published) = p.targets.first().and_then(|t| t.published.clone()) {
                ids.insert(
                    p.content.parts[0].text.clone(),
                    published.posts[0].id.clone(),
                );
            }
        }
        store.close().await;
        for a in &plan.assignments {
            if let Some(id) = ids.get(&format!("{} ({})", a.draft, a.local)) {
                posts.push((a.channel.clone(), a.local.clone(), id.clone()));
            }
        }
        Ok::<_, CliError>((states, taken_over, events))
    });
    let _ = std::fs::remove_dir_all(&folder);
    let (states, taken_over, events) = result?;
    // (channel, key) of every post the platforms hold.
    let mut keys: Vec<(String, String)> = platforms
        .iter()
        .zip(&channels)
        .flat_map(|(p, c)| {
            p.posts()
                .into_iter()
                .map(move |s| (c.id.clone(), s.key.as_str().to_owned()))
        })
        .collect();
    let published = keys.len();
    keys.sort();
    keys.dedup();
    let calls: usize = platforms.iter().map(|p| p.calls(Operation::Publish)).sum();
    Ok(PublishingReport {
        drafts: drafts.len(),
        placed: plan.assignments.len(),
        published,
        calls,
        // Each publish ends with one call that succeeded.
        failed_calls: calls - plan.assignments.len(),
        duplicates: published - keys.len(),
        taken_over,
        events,
        states,
        posts,
    })
}

fn render_publishing(out: &mut String, p: &PublishingReport) {
    let _ = writeln!(
        out,
        "\nPublishing the week after (planned on the learnt best times; the queue on SQLite and the worker, into MemoryConnector):"
    );
    let _ = writeln!(
        out,
        "  {}, {} placed, {} published; {} of {} failed and were tried again; {} taken over from a worker that died mid-publish; {} posted twice",
        plural(p.drafts as u64, "draft", "drafts"),
        p.placed,
        p.published,
        p.failed_calls,
        plural(p.calls as u64, "call", "calls"),
        p.taken_over,
        p.duplicates
    );
    let states: Vec<String> = p.states.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let _ = writeln!(
        out,
        "  the queue at the end: {}; {} changes in its audit trail",
        states.join(", "),
        count(p.events as u64)
    );
    for (channel, local, id) in p.posts.iter().take(6) {
        let _ = writeln!(out, "  {channel:<20} {local:<40} {id}");
    }
    if p.posts.len() > 6 {
        let _ = writeln!(out, "  … and {} more", p.posts.len() - 6);
    }
}
