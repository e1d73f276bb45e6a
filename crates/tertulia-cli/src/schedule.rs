//! `tertulia best-times`, `tertulia backtest` and `tertulia plan`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc, Weekday};
use clap::Args;
use serde::Serialize;
use tertulia_kpi::{Kpi, PostRecord, PostView};
use tertulia_schedule::{
    BestTimes, Channel, Draft, FitOptions, Observation, Outcome, Planner, Recurring, Slot,
    SlotStats, SlotWidth, StatsOptions, Verdict, backtest,
};

use crate::CliError;
use crate::heatmap;
use crate::kpi::{Input, figure};
use crate::output::{count, print_json, print_text, table};

/// How to fit, as `best-times` and `backtest` share it.
#[derive(Debug, Args)]
pub(crate) struct ModelArgs {
    #[command(flatten)]
    input: Input,
    /// The per-post KPI to optimise.
    #[arg(long, default_value = "engagement_by_reach", value_parser = parse_kpi)]
    kpi: Kpi,
    /// The slot width in minutes: 15, 30 or 60.
    #[arg(long, default_value_t = 60, value_parser = parse_width)]
    width: u16,
    /// Weigh recent posts more: a post this many days older than the newest weighs half.
    #[arg(long, value_name = "DAYS")]
    half_life: Option<u32>,
    /// Divide out each post kind's effect before comparing slots.
    #[arg(long)]
    control_kind: bool,
    /// The level of the stated intervals.
    #[arg(long, default_value_t = 0.9)]
    level: f64,
    /// How many slots to list or recommend.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Use only the posts of this account (handle).
    #[arg(long, value_name = "HANDLE")]
    account: Option<String>,
    /// For rows with a month but no date (the UCI Facebook data set): the year they are from.
    /// Such rows are placed on the 15th of their month at 12:00 UTC, for recency and time splits.
    #[arg(long)]
    year: Option<i32>,
    /// Print JSON with every figure instead of tables.
    #[arg(long)]
    json: bool,
}

fn parse_kpi(s: &str) -> Result<Kpi, String> {
    s.parse().map_err(|e: tertulia_kpi::Error| e.to_string())
}

fn parse_width(s: &str) -> Result<u16, String> {
    let minutes: u16 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of minutes"))?;
    SlotWidth::try_from(minutes)
        .map(u16::from)
        .map_err(|e| e.to_string())
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
        let import = self.input.read()?;
        let (width, zone, outcome) = (self.width(), self.input.tz, self.outcome());
        let mut out = Observations {
            items: Vec::new(),
            missing: 0,
            numbered_days: false,
        };
        let records = import.records.iter().filter(|r| {
            self.account
                .as_ref()
                .is_none_or(|a| r.account.as_deref() == Some(a.trim_start_matches('@')))
        });
        for record in records {
            let view = PostView::from(record);
            let o = match record.posted.at {
                Some(_) => Observation::of_post(&view, width, zone, &outcome),
                None => self.undated(record, &view, width, &outcome, &mut out.numbered_days)?,
            };
            match o {
                Some(o) => out.items.push(o),
                None => out.missing += 1,
            }
        }
        if out.items.is_empty() {
            return Err(CliError::Usage(format!(
                "{}: no post has what {} needs{}",
                self.input.file.display(),
                self.kpi.formula(),
                if self.account.is_some() {
                    " (or none is by that account)"
                } else {
                    ""
                }
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
                self.input.file.display()
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
            zone: self.input.tz,
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
        let title = format!("Best times to publish: {}", m.input.file.display());
        heatmap::svg(&model, &title, m.kpi.formula(), path)
            .map_err(|e| CliError::Usage(format!("cannot draw {}: {e}", path.display())))?;
    }
    if m.json {
        return print_json(&BestTimesReport {
            file: &m.input.file,
            outcome: m.kpi.formula(),
            numbered_days: obs.numbered_days,
            model: &model,
        });
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Best times to publish, from {} posts in {} ({} left out: {} undefined)",
        count(model.posts),
        m.input.file.display(),
        count(model.missing),
        m.kpi.formula()
    );
    render_model(&mut out, &model, m.kpi, m.top, obs.numbered_days);
    if let Some(path) = &args.svg {
        let _ = writeln!(out, "Heat map drawn to {}", path.display());
    }
    print_text(&out)
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
            "{better} slots are better than the account's level with {:.0}% confidence. Recommended: {}\n",
            100.0 * model.level,
            names.join(", ")
        );
    }
    let mut t = table(&[
        "rank", "slot", "estimate", "interval", "posts", "raw mean", "verdict",
    ]);
    for (i, s) in model.ranked.iter().take(top).enumerate() {
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
    let _ = writeln!(out, "{t}");
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
        top: m.top,
        fit: m.fit_options(),
    };
    let result = backtest(&obs.items, m.stats_options(newest), &options)?;
    if m.json {
        return print_json(&result);
    }
    let pct = |x: Option<f64>| x.map_or("n/a".into(), |x| format!("{:+.1}%", 100.0 * x));
    let corr = |x: Option<f64>| x.map_or("n/a".into(), |x| format!("{x:+.2}"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Backtest of {}: trained on {} posts before {}, tested on {} posts in {} slots",
        m.input.file.display(),
        count(result.train_posts as u64),
        cutoff.format("%Y-%m-%d %H:%M UTC"),
        count(result.test_posts as u64),
        result.test_slots
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
    let rows = [
        (
            if rec.top.is_empty() {
                "recommended (abstains: no evidence)".to_owned()
            } else {
                "recommended (slots called better)".to_owned()
            },
            rec,
        ),
        (format!("model, top {}", m.top), &result.model),
        (format!("naive slot means, top {}", m.top), &result.naive),
    ];
    for (name, r) in rows {
        t.add_row(vec![
            name,
            r.top.len().to_string(),
            count(r.held_out_posts),
            r.mean.map_or("n/a".into(), |x| value(m.kpi, x)),
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
            "nothing (no slot was distinguishably better)".into()
        } else {
            names.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "{:.0}% predictive intervals held {} of {} held-out slot means ({}); recommended vs naive: {}",
        100.0 * result.level,
        result.covered,
        result.test_slots,
        result
            .coverage
            .map_or("n/a".into(), |c| format!("{:.0}%", 100.0 * c)),
        pct(result.lift_vs_naive),
    );
    print_text(&out)
}

/// Options of `tertulia plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// The drafts: a JSON array of {id, platform, channel?, priority?, earliest, latest, evergreen?}.
    drafts: PathBuf,
    /// The channels: a JSON array of {id, platform, account, zone, constraints?}.
    #[arg(long, value_name = "PATH")]
    channels: PathBuf,
    /// Recurring weekly posts: a JSON array of {id, channel, weekday, time}.
    #[arg(long, value_name = "PATH")]
    recurring: Option<PathBuf>,
    /// Past posts (any format `tertulia kpi` reads) to learn each channel's best times from,
    /// matched to channels by account handle.
    #[arg(long, value_name = "PATH")]
    history: Option<PathBuf>,
    /// The first day of the plan (YYYY-MM-DD, UTC, or RFC 3339). Default: the earliest draft's earliest time.
    #[arg(long, value_parser = parse_instant)]
    start: Option<DateTime<Utc>>,
    /// Days to plan.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| CliError::Json {
        path: path.to_owned(),
        source,
    })
}

pub(crate) fn plan(args: &PlanArgs) -> Result<(), CliError> {
    let drafts: Vec<Draft> = read_json(&args.drafts)?;
    let channels: Vec<Channel> = read_json(&args.channels)?;
    let recurring: Vec<Recurring> = match &args.recurring {
        Some(p) => read_json(p)?,
        None => Vec::new(),
    };
    let start = args
        .start
        .or_else(|| drafts.iter().map(|d| d.earliest).min())
        .ok_or_else(|| CliError::Usage("no drafts and no --start: nothing to plan".into()))?;
    let mut planner = Planner::new(channels.clone(), start, args.days)?;
    let mut models = Vec::new();
    if let Some(history) = &args.history {
        for c in &channels {
            let input = Input {
                file: history.clone(),
                format: None,
                tz: c.zone,
                weekday_one: None,
            };
            let import = input.read()?;
            let mut stats = SlotStats::new(c.zone)?;
            for r in import
                .records
                .iter()
                .filter(|r| r.account.as_deref() == Some(c.account.as_str()))
            {
                stats.add_post(r, &Outcome::default());
            }
            if stats.posts() > 0 {
                let model = stats.fit(&FitOptions::default())?;
                models.push((c.id.clone(), model.has_evidence()));
                planner = planner.with_model(&c.id, model)?;
            }
        }
    }
    let plan = planner.plan(&drafts, &recurring)?;
    if args.json {
        return print_json(&plan);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plan of {} posts over {} days from {}",
        plan.assignments.len(),
        args.days,
        start.format("%Y-%m-%d %H:%M UTC")
    );
    for (channel, evidence) in &models {
        let _ = writeln!(
            out,
            "  channel {channel}: best times learnt from its history{}",
            if *evidence {
                ""
            } else {
                " (no slot is distinguishably better: times follow the prior)"
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
    for (what, why) in &plan.reposts_left_out {
        let _ = writeln!(out, "Left out: {what}: {why}");
    }
    print_text(&out)
}
