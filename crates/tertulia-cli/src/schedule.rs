//! `tertulia best-times`, `tertulia backtest` and `tertulia plan`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use clap::Args;
use serde::Serialize;
use tertulia_kpi::{Kpi, PostRecord, PostView};
use tertulia_schedule::{
    BestTimes, Channel, Draft, FitOptions, Observation, Outcome, Planner, Ranking, Recurring, Slot,
    SlotStats, SlotWidth, StatsOptions, Unplaced, Verdict, backtest,
};

use crate::CliError;
use crate::community::parse_zone;
use crate::heatmap;
use crate::kpi::{Input, choice, figure, parse_probability};
use crate::output::{count, plural, print_json, print_text, read_yaml, table};

/// The KPIs by name, for `--kpi`.
const KPIS: [&str; 15] = [
    "engagement_by_reach",
    "engagement_by_impressions",
    "engagement_by_followers",
    "engaged_users_by_reach",
    "engagement_per_post",
    "applause_per_post",
    "conversation_per_post",
    "amplification_per_post",
    "applause_by_followers",
    "conversation_by_followers",
    "amplification_by_followers",
    "virality",
    "reach_rate",
    "click_through",
    "video_completion",
];

/// How to fit, as `best-times` and `backtest` share it.
#[derive(Debug, Args)]
pub(crate) struct ModelArgs {
    #[command(flatten)]
    input: Input,
    /// The account's IANA time zone: the slots are its local weekdays and hours, and local times
    /// in the file are read in it (for example Europe/Madrid).
    #[arg(long, value_name = "ZONE", required = true, value_parser = parse_zone)]
    tz: Tz,
    /// The per-post KPI to optimise.
    #[arg(long, default_value = "engagement_by_reach", value_parser = choice::<Kpi>(KPIS))]
    kpi: Kpi,
    /// The slot width in minutes.
    #[arg(long, default_value_t = 60, value_parser = choice::<u16>(["15", "30", "60"]))]
    width: u16,
    /// Weigh recent posts more: a post this many days older than the newest weighs half.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    half_life: Option<u32>,
    /// Divide out each post kind's effect before comparing slots.
    #[arg(long)]
    control_kind: bool,
    /// The level of the stated intervals, between 0 and 1.
    #[arg(long, default_value_t = 0.9, value_parser = parse_probability)]
    level: f64,
    /// How many slots to list or recommend (1 to 672).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=672))]
    top: u16,
    /// Use only the posts of this account (handle).
    #[arg(long, value_name = "HANDLE", conflicts_with = "all_accounts")]
    account: Option<String>,
    /// Pool the posts of every account of the file, all read in --tz (without it, a file with
    /// several accounts needs --account).
    #[arg(long)]
    all_accounts: bool,
    /// For rows with a month but no date (the UCI Facebook data set): the year they are from.
    /// Such rows are placed on the 15th of their month at 12:00 UTC, for recency and time splits.
    #[arg(long)]
    year: Option<i32>,
    /// Print JSON with every figure instead of tables.
    #[arg(long)]
    json: bool,
}

/// The observations of a file, and whether its weekdays are only numbers.
struct Observations {
    items: Vec<Observation>,
    missing: u64,
    numbered_days: bool,
}

impl ModelArgs {
    fn width(&self) -> SlotWidth {
        SlotWidth::try_from(self.width).expect("checked by the argument parser")
    }

    fn outcome(&self) -> Outcome {
        Outcome::from(self.kpi)
    }

    fn observations(&self) -> Result<Observations, CliError> {
        let import = self.input.read(self.tz)?;
        let label = self.input.label();
        let file = label.display();
        let records: Vec<&PostRecord> = match &self.account {
            Some(a) => {
                let a = a.trim_start_matches('@');
                import
                    .records
                    .iter()
                    .filter(|r| r.account.as_deref() == Some(a))
                    .collect()
            }
            None => {
                let mut accounts: BTreeMap<&str, u64> = BTreeMap::new();
                for r in &import.records {
                    if let Some(a) = &r.account {
                        *accounts.entry(a.as_str()).or_default() += 1;
                    }
                }
                if accounts.len() > 1 && !self.all_accounts {
                    let listed: Vec<String> = accounts
                        .iter()
                        .map(|(a, n)| format!("{a} ({})", plural(*n, "post", "posts")))
                        .collect();
                    return Err(CliError::Usage(format!(
                        "{file} holds posts of {} accounts: {}. Best times are an account's, in its own zone: choose one with --account HANDLE (and its --tz), or pool them in one zone with --all-accounts",
                        accounts.len(),
                        listed.join(", ")
                    )));
                }
                import.records.iter().collect()
            }
        };
        if records.is_empty() {
            return Err(CliError::Usage(format!(
                "{file}: no post is by account {:?}",
                self.account.as_deref().unwrap_or_default()
            )));
        }
        let (width, outcome) = (self.width(), self.outcome());
        let mut out = Observations {
            items: Vec::new(),
            missing: 0,
            numbered_days: false,
        };
        for record in &records {
            let view = PostView::from(*record);
            let o = match record.posted.at {
                Some(_) => Observation::of_post(&view, width, self.tz, &outcome),
                None => self.undated(record, &view, width, &outcome, &mut out.numbered_days)?,
            };
            match o {
                Some(o) => out.items.push(o),
                None => out.missing += 1,
            }
        }
        if out.items.is_empty() {
            return Err(CliError::Usage(format!(
                "{file}: no post has what {} needs{}",
                self.kpi.formula(),
                kpis_it_has(&records, self.kpi)
            )));
        }
        Ok(out)
    }

    /// A row with a month, a weekday and an hour but no date.
    fn undated(
        &self,
        r: &PostRecord,
        view: &PostView<'_>,
        width: SlotWidth,
        outcome: &Outcome,
        numbered: &mut bool,
    ) -> Result<Option<Observation>, CliError> {
        let p = &r.posted;
        let day = match (p.weekday, p.day_number) {
            (Some(w), _) => Some(w),
            (None, Some(n)) => {
                *numbered = true;
                Weekday::try_from(n.saturating_sub(1)).ok()
            }
            _ => None,
        };
        let (Some(month), Some(day), Some(hour)) = (p.month, day, p.hour) else {
            return Ok(None);
        };
        let Some(year) = self.year else {
            return Err(CliError::Usage(format!(
                "{}: rows have a month but no date: give --year (2014 for the UCI Facebook data set)",
                self.input.label().display()
            )));
        };
        let at = Utc.with_ymd_and_hms(year, month, 15, 12, 0, 0).single();
        Ok(at.and_then(|at| {
            Some(Observation {
                at,
                slot: width.index(day, hour as u16 * 60),
                kind: r.kind,
                value: outcome.of(view)?,
            })
        }))
    }

    fn stats_options(&self, newest: DateTime<Utc>) -> StatsOptions {
        StatsOptions {
            width: self.width(),
            zone: self.tz,
            half_life: self.half_life.map(|d| TimeDelta::days(i64::from(d))),
            as_of: self.half_life.map(|_| newest),
        }
    }

    fn fit_options(&self) -> FitOptions {
        FitOptions {
            level: self.level,
            control_kind: self.control_kind,
            ..FitOptions::default()
        }
    }
}

/// The KPIs some of `records` report, for an error about one they do not.
fn kpis_it_has(records: &[&PostRecord], asked: Kpi) -> String {
    let has: Vec<String> = Kpi::ALL
        .into_iter()
        .filter(|&k| k != asked)
        .filter_map(|k| {
            let outcome = Outcome::from(k);
            let n = records
                .iter()
                .filter(|r| outcome.of(&PostView::from(**r)).is_some())
                .count();
            (n > 0).then(|| format!("{} ({})", k.name(), plural(n as u64, "post", "posts")))
        })
        .collect();
    if has.is_empty() {
        " (and no other KPI is defined on its posts: check the format and the metric columns)"
            .into()
    } else {
        format!(". Use --kpi with one the file has: {}", has.join(", "))
    }
}

/// Options of `tertulia best-times`.
#[derive(Debug, Args)]
pub(crate) struct BestTimesArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Also draw the weekday × hour heat map as an SVG picture here.
    #[arg(long, value_name = "PATH")]
    svg: Option<PathBuf>,
}

#[derive(Serialize)]
struct BestTimesReport<'a> {
    file: &'a Path,
    outcome: &'static str,
    numbered_days: bool,
    #[serde(flatten)]
    model: &'a BestTimes,
}

pub(crate) fn best_times(args: &BestTimesArgs) -> Result<(), CliError> {
    let m = &args.model;
    let obs = m.observations()?;
    let newest = obs.items.iter().map(|o| o.at).max().expect("not empty");
    let mut stats = SlotStats::new(m.stats_options(newest))?;
    obs.items.iter().for_each(|o| stats.add(*o));
    stats.missing = obs.missing;
    let model = stats.fit(&m.fit_options())?;
    if let Some(path) = &args.svg {
        let title = format!("Best times to publish: {}", m.input.label().display());
        heatmap::svg(&model, &title, m.kpi.formula(), obs.numbered_days, path)
            .map_err(|e| CliError::Usage(format!("cannot draw {}: {e}", path.display())))?;
    }
    if m.json {
        let label = m.input.label();
        let report = BestTimesReport {
            file: &label,
            outcome: m.kpi.formula(),
            numbered_days: obs.numbered_days,
            model: &model,
        };
        return print_days(&report, obs.numbered_days);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Best times to publish, from {} in {} ({} left out: {} undefined)",
        plural(model.posts, "post", "posts"),
        m.input.label().display(),
        count(model.missing),
        m.kpi.formula()
    );
    render_model(
        &mut out,
        &model,
        m.kpi,
        usize::from(m.top),
        obs.numbered_days,
    );
    if let Some(path) = &args.svg {
        let _ = writeln!(out, "Heat map drawn to {}", path.display());
    }
    print_text(&out)
}

/// Prints `value` as JSON; with `numbered_days`, every slot says `"day": N`
/// (the source's own number) instead of a weekday name it never gave.
fn print_days<T: Serialize>(value: &T, numbered_days: bool) -> Result<(), CliError> {
    let mut v = serde_json::to_value(value).map_err(|e| CliError::Stdout(e.into()))?;
    if numbered_days {
        number_days(&mut v);
    }
    print_json(&v)
}

/// Replaces `"weekday": "Mon"` by `"day": 1` in every slot of `v`.
fn number_days(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            if map.contains_key("minute")
                && let Some(serde_json::Value::String(day)) = map.get("weekday")
                && let Ok(day) = day.parse::<Weekday>()
            {
                map.remove("weekday");
                map.insert("day".into(), (day.num_days_from_monday() + 1).into());
            }
            map.values_mut().for_each(number_days);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(number_days),
        _ => {}
    }
}

/// A slot for people: "Tue 18:00", or "day 2 18:00" when the source did not
/// say which weekday its day 1 is.
fn slot_label(slot: &Slot, numbered_days: bool) -> String {
    if numbered_days {
        format!(
            "day {} {:02}:{:02}",
            slot.weekday.num_days_from_monday() + 1,
            slot.minute / 60,
            slot.minute % 60
        )
    } else {
        slot.to_string()
    }
}

fn value(kpi: Kpi, x: f64) -> String {
    figure(x, kpi.is_per_post())
}

/// The ranked slots, the verdict and the text heat map.
pub(crate) fn render_model(
    out: &mut String,
    model: &BestTimes,
    kpi: Kpi,
    top: usize,
    numbered: bool,
) {
    let _ = writeln!(
        out,
        "{} slots of {} minutes in {}; the account's level is {}; {:.0}% intervals; posts vary by ±{} within a slot, slots by ±{}, the level by ±{} from week to week",
        model.ranked.len(),
        model.width.minutes(),
        model.zone,
        value(kpi, model.level_estimate),
        100.0 * model.level,
        value(kpi, model.post_sd),
        value(kpi, model.slot_sd),
        value(kpi, model.drift_sd),
    );
    if numbered {
        let _ = writeln!(
            out,
            "The file numbers weekdays 1-7 without saying which day 1 is: shown as \"day N\" (use --weekday-one to name them)."
        );
    }
    let better = model.better().count();
    if better == 0 {
        let _ = writeln!(
            out,
            "No slot is distinguishably better than the account's level: the ranking below is mostly noise. Post when your audience is online and collect more posts.\n"
        );
    } else {
        let names: Vec<String> = model
            .better()
            .take(top)
            .map(|s| slot_label(&s.slot, numbered))
            .collect();
        let _ = writeln!(
            out,
            "{} better than the account's level with {:.0}% confidence. Recommended: {}\n",
            plural(better as u64, "slot is", "slots are"),
            100.0 * model.level,
            names.join(", ")
        );
    }
    // Slots with posts of their own: an empty slot's estimate is only its
    // weekday's and hour's.
    let observed: Vec<_> = model.observed().take(top).collect();
    let empty = model.ranked.iter().filter(|s| s.posts == 0).count();
    let mut t = table(&[
        "rank", "slot", "estimate", "interval", "posts", "raw mean", "verdict",
    ]);
    for (i, s) in observed.iter().enumerate() {
        t.add_row(vec![
            (i + 1).to_string(),
            slot_label(&s.slot, numbered),
            value(kpi, s.estimate),
            format!("{} – {}", value(kpi, s.low), value(kpi, s.high)),
            count(s.posts),
            s.naive_mean.map_or("–".into(), |m| value(kpi, m)),
            match s.verdict {
                Verdict::Better => "better",
                Verdict::Worse => "worse",
                Verdict::Unclear => "not enough evidence",
            }
            .to_owned(),
        ]);
    }
    let _ = writeln!(
        out,
        "The {} best slots with posts of their own:",
        observed.len()
    );
    let _ = writeln!(out, "{t}");
    if empty > 0 {
        let _ = writeln!(
            out,
            "{} no post: not ranked, their estimates are only their weekday's and hour's.",
            plural(empty as u64, "slot has", "slots have")
        );
    }
    let _ = writeln!(out, "\nEstimate by weekday and hour (darker is better):");
    out.push_str(&heatmap::text(model, numbered));
}

/// Options of `tertulia backtest`.
#[derive(Debug, Args)]
pub(crate) struct BacktestArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Train on posts before this date (YYYY-MM-DD, UTC, or RFC 3339); test on the rest.
    /// Default: the date that leaves the last quarter of the posts for testing.
    #[arg(long, value_parser = parse_instant)]
    cutoff: Option<DateTime<Utc>>,
}

fn parse_instant(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.to_utc())
        .or_else(|_| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
        })
        .map_err(|_| format!("{s:?} is not a date: write YYYY-MM-DD or RFC 3339"))
}

pub(crate) fn run_backtest(args: &BacktestArgs) -> Result<(), CliError> {
    let m = &args.model;
    let obs = m.observations()?;
    let cutoff = args.cutoff.unwrap_or_else(|| {
        let mut times: Vec<DateTime<Utc>> = obs.items.iter().map(|o| o.at).collect();
        times.sort();
        times[times.len() * 3 / 4]
    });
    let newest = obs.items.iter().map(|o| o.at).max().expect("not empty");
    let options = tertulia_schedule::BacktestOptions {
        cutoff,
        top: usize::from(m.top),
        fit: m.fit_options(),
    };
    let result = backtest(&obs.items, m.stats_options(newest), &options)?;
    if m.json {
        return print_days(&result, obs.numbered_days);
    }
    let pct = |x: Option<f64>| x.map_or("n/a".into(), |x| format!("{:+.1}%", 100.0 * x));
    let corr = |x: Option<f64>| x.map_or("n/a".into(), |x| format!("{x:+.2}"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Backtest of {}: trained on {} before {}, tested on {} in {}",
        m.input.label().display(),
        plural(result.train_posts as u64, "post", "posts"),
        cutoff.format("%Y-%m-%d %H:%M UTC"),
        plural(result.test_posts as u64, "post", "posts"),
        plural(result.test_slots as u64, "slot", "slots"),
    );
    let _ = writeln!(
        out,
        "outcome: {}; a random slot's held-out mean is {}\n",
        m.kpi.formula(),
        value(m.kpi, result.random_mean)
    );
    let mut t = table(&[
        "ranking",
        "slots",
        "held-out posts in them",
        "held-out mean",
        "lift vs random slots",
        "rank agreement",
    ]);
    let rec = &result.recommended;
    let top = usize::from(m.top);
    let name = |what: &str, r: &Ranking| {
        if r.top.is_empty() && r.tied_at_cut > 0 {
            format!("{what}: none (every estimate ties: a flat fit ranks nothing)")
        } else if r.tied_at_cut > 0 {
            format!(
                "{what}, top {} ({} tied at the cut left out)",
                r.top.len(),
                r.tied_at_cut
            )
        } else if r.top.len() < top {
            format!("{what}, top {} (all it can rank)", r.top.len())
        } else {
            format!("{what}, top {top}")
        }
    };
    let rows = [
        (
            if rec.top.is_empty() {
                "recommended: abstains (no slot called better)".to_owned()
            } else {
                "recommended (slots called better)".to_owned()
            },
            rec,
        ),
        (name("model", &result.model), &result.model),
        (name("naive slot means", &result.naive), &result.naive),
    ];
    for (name, r) in rows {
        let no_posts = !r.top.is_empty() && r.held_out_posts == 0;
        t.add_row(vec![
            name,
            r.top.len().to_string(),
            count(r.held_out_posts),
            if no_posts {
                "n/a (no held-out post in them)".to_owned()
            } else {
                r.mean.map_or("n/a".into(), |x| value(m.kpi, x))
            },
            pct(r.lift_vs_random),
            corr(r.rank_agreement),
        ]);
    }
    let _ = writeln!(out, "{t}");
    let names: Vec<String> = rec
        .top
        .iter()
        .map(|s| slot_label(s, obs.numbered_days))
        .collect();
    let _ = writeln!(
        out,
        "Recommended from the training posts: {}",
        if names.is_empty() {
            "nothing (no slot was distinguishably better): following the model is posting when you would anyway".into()
        } else {
            names.join(", ")
        }
    );
    let versus = match (result.lift_vs_naive, rec.top.is_empty()) {
        (Some(x), _) => pct(Some(x)),
        (None, true) => "n/a (the model abstains)".into(),
        (None, false) if rec.held_out_posts == 0 => {
            "n/a (no held-out post in the recommended slots)".into()
        }
        (None, false) => "n/a (the naive ranking has no held-out post)".into(),
    };
    let _ = writeln!(
        out,
        "{:.0}% predictive intervals held {} of {} held-out slot means ({}); recommended vs naive: {}",
        100.0 * result.level,
        result.covered,
        result.test_slots,
        result
            .coverage
            .map_or("n/a".into(), |c| format!("{:.0}%", 100.0 * c)),
        versus,
    );
    print_text(&out)
}

/// Options of `tertulia plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// The drafts (JSON or YAML): a list of {id, platform, channel?, priority?, earliest, latest,
    /// evergreen?, text?}.
    drafts: PathBuf,
    /// The channels (JSON or YAML): a list of {id, platform, account, zone, constraints?}.
    #[arg(long, value_name = "PATH")]
    channels: PathBuf,
    /// Recurring weekly posts (JSON or YAML): a list of {id, channel, weekday, time, text?}.
    #[arg(long, value_name = "PATH")]
    recurring: Option<PathBuf>,
    /// Past posts (any format `tertulia kpi` reads) to learn each channel's best times from,
    /// matched to channels by account handle.
    #[arg(long, value_name = "PATH")]
    history: Option<PathBuf>,
    /// The per-post KPI the best times of --history optimise.
    #[arg(long, default_value = "engagement_by_reach", value_parser = choice::<Kpi>(KPIS), requires = "history")]
    kpi: Kpi,
    /// The first day of the plan (YYYY-MM-DD, UTC, or RFC 3339). Default: the earliest draft's earliest time.
    #[arg(long, value_parser = parse_instant)]
    start: Option<DateTime<Utc>>,
    /// Days to plan (1 to 3660).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3660))]
    days: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub(crate) fn plan(args: &PlanArgs) -> Result<(), CliError> {
    let drafts: Vec<Draft> = read_yaml(&args.drafts)?;
    let channels: Vec<Channel> = read_yaml(&args.channels)?;
    let recurring: Vec<Recurring> = match &args.recurring {
        Some(p) => read_yaml(p)?,
        None => Vec::new(),
    };
    let start = args
        .start
        .or_else(|| drafts.iter().map(|d| d.earliest).min())
        .ok_or_else(|| CliError::Usage("no drafts and no --start: nothing to plan".into()))?;
    let mut planner = Planner::new(channels.clone(), start, args.days)?;
    let mut models = Vec::new();
    if let Some(history) = &args.history {
        let input = Input {
            file: Some(history.clone()),
            db: None,
            channel: None,
            format: None,
            weekday_one: None,
            date_order: None,
            skip_bad_rows: false,
        };
        let outcome = Outcome::from(args.kpi);
        for c in &channels {
            let import = input.read(c.zone)?;
            let mut stats = SlotStats::new(c.zone)?;
            for r in import
                .records
                .iter()
                .filter(|r| r.account.as_deref() == Some(c.account.as_str()))
            {
                stats.add_post(r, &outcome);
            }
            if stats.posts() > 0 {
                let model = stats.fit(&FitOptions::default())?;
                models.push((c.id.clone(), Some(model.has_evidence())));
                planner = planner.with_model(&c.id, model)?;
            } else {
                models.push((c.id.clone(), None));
            }
        }
    }
    let plan = planner.plan(&drafts, &recurring)?;
    let unplaced = plan.unplaced_drafts().count();
    if args.json {
        print_json(&plan)?;
    } else {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Plan of {} over {} from {}",
            plural(plan.assignments.len() as u64, "post", "posts"),
            plural(u64::from(args.days), "day", "days"),
            start.format("%Y-%m-%d %H:%M UTC")
        );
        for (channel, evidence) in &models {
            let _ = writeln!(
                out,
                "  channel {channel}: {}",
                match evidence {
                    Some(true) => format!("best times learnt from its history ({})", args.kpi.formula()),
                    Some(false) => "history read, but no slot is distinguishably better: times follow the prior".into(),
                    None => format!(
                        "no post of its account in the history has {}: times are the earliest free ones",
                        args.kpi.formula()
                    ),
                }
            );
        }
        let mut t = table(&["when (local)", "channel", "post", "why"]);
        for a in &plan.assignments {
            t.add_row(vec![
                a.local.clone(),
                a.channel.clone(),
                if a.repost > 0 {
                    format!("{} (repost {})", a.draft, a.repost)
                } else {
                    a.draft.clone()
                },
                a.why.clone(),
            ]);
        }
        let _ = writeln!(out, "{t}");
        for u in &plan.unplaced {
            let what = match u {
                Unplaced::Draft { .. } => "Not placed",
                _ => "Left out",
            };
            let _ = writeln!(out, "{what}: {u}");
        }
        print_text(&out)?;
    }
    if unplaced > 0 {
        return Err(CliError::Usage(format!(
            "{} could not be placed (see the reasons {}); the others are planned",
            plural(unplaced as u64, "draft", "drafts"),
            if args.json {
                "under \"unplaced\""
            } else {
                "above"
            }
        )));
    }
    Ok(())
}
