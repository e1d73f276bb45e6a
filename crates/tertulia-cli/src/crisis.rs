//! `tertulia crisis`: watch a stream of mentions for a crisis, and score the
//! detector on a NAB file. The demo uses the same [`Watcher`].

use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;

use chrono::{DateTime, TimeDelta, Utc};
use clap::{Args, Subcommand};
use serde::Serialize;
use tertulia_core::Mention;
use tertulia_crisis::detect::{DetectorConfig, Severity};
use tertulia_crisis::incident::{Action, Desk, Incident, Level, Notification, Playbook, Policy};
use tertulia_crisis::nab::{
    CostProfile, LabelledFile, anomaly_scores, fitted, normalized_score, parse_data, score_file,
};
use tertulia_crisis::watch::{Watch, WatchConfig};
use tertulia_sentiment::ByLanguage;

use crate::CliError;
use crate::notify::Sender;
use crate::output::{count, plural, read_yaml};

/// Options of `tertulia crisis`.
#[derive(Debug, Args)]
pub(crate) struct CrisisArgs {
    #[command(subcommand)]
    command: CrisisCommand,
}

#[derive(Debug, Subcommand)]
enum CrisisCommand {
    /// Read mentions as JSON Lines on standard input; print alerts and escalation steps as they happen.
    Watch(WatchArgs),
    /// Run the detector on one NAB data file (timestamp,value): NAB's result rows on standard output.
    Nab(NabArgs),
}

#[derive(Debug, Args)]
struct WatchArgs {
    /// An escalation policy (YAML or JSON: name, levels, loops, high_urgency_from, playbooks).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// The brand's name, the prefix of alert keys.
    #[arg(long, default_value = "brand")]
    brand: String,
    /// The bucket width in minutes, 1 to 1440: 5 for a busy brand, 60 for a quiet one; a day must
    /// hold a whole number of buckets (5, 10, 15, 30, 60, 120, 360, 1440, ...).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(i64).range(1..=1440))]
    bucket_minutes: i64,
    /// Print each step as a JSON object.
    #[arg(long)]
    json: bool,
    /// Tell people through the notifiers this file names (YAML or JSON: `retry`, and `notifiers`
    /// of kind slack, pagerduty or webhook; secrets come from the environment variables it names).
    #[arg(long)]
    notify: Option<PathBuf>,
    /// Keep the outbox in this JSON file: what is not delivered yet is sent by the next run.
    #[arg(long, requires = "notify")]
    outbox: Option<PathBuf>,
    /// After the input ends, how long to keep retrying deliveries still pending, in seconds.
    #[arg(long, default_value_t = 60, requires = "notify")]
    drain_seconds: u64,
}

#[derive(Debug, Args)]
struct NabArgs {
    /// The data file.
    file: PathBuf,
    /// NAB's combined_windows.json (or our windows.json) to score against; without it, only the rows are written.
    #[arg(long)]
    windows: Option<PathBuf>,
}

pub(crate) fn run(args: &CrisisArgs) -> Result<(), CliError> {
    match &args.command {
        CrisisCommand::Watch(a) => watch(a),
        CrisisCommand::Nab(a) => nab(a),
    }
}

/// The escalation policy of the demo and of `watch` without `--policy`.
pub(crate) fn default_policy() -> Policy {
    Policy {
        name: "community".to_owned(),
        levels: vec![
            Level {
                targets: vec!["community-manager".to_owned()],
                delay_minutes: 15,
            },
            Level {
                targets: vec!["head-of-communications".to_owned()],
                delay_minutes: 30,
            },
            Level {
                targets: vec!["crisis-committee".to_owned()],
                delay_minutes: 60,
            },
        ],
        loops: 1,
        high_urgency_from: Severity::Error,
        playbooks: vec![Playbook {
            severity: Severity::Error,
            tell: vec!["legal".to_owned()],
            statement: Some(
                "We are aware of what is being said about us and are looking into it. \
                 We will share an update within the hour."
                    .to_owned(),
            ),
        }],
    }
}

/// One thing that happened, for people.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Step {
    pub at: DateTime<Utc>,
    pub text: String,
    /// The notification it is, for the notifiers.
    #[serde(skip)]
    pub notification: Option<Notification>,
}

impl Step {
    fn text(at: DateTime<Utc>, text: String) -> Self {
        Step {
            at,
            text,
            notification: None,
        }
    }
}

/// What a watch saw.
#[derive(Debug, Default, Serialize)]
pub(crate) struct WatchReport {
    pub incidents: Vec<Incident>,
    /// Alerts and escalation steps, in order.
    pub steps: Vec<Step>,
    pub buckets: u64,
    pub bucket_minutes: i64,
    /// Mentions that came after their bucket was judged.
    pub late: u64,
}

/// Watch and desk together, driven by the mentions' own time. Steps are
/// handed back as they happen, not kept: a watch may run for months.
pub(crate) struct Watcher {
    watch: Watch,
    desk: Desk,
    bucket: TimeDelta,
    /// The latest mention time read.
    latest: DateTime<Utc>,
    report: WatchReport,
}

impl Watcher {
    pub(crate) fn new(brand: &str, policy: Policy, bucket_minutes: i64) -> Result<Self, CliError> {
        if !(1..=1440).contains(&bucket_minutes) || 1440 % bucket_minutes != 0 {
            return Err(CliError::Usage(format!(
                "--bucket-minutes {bucket_minutes}: a day (1,440 minutes) must hold a whole number of buckets: use 5, 10, 15, 30, 60, 120, 360 or another divisor of 1,440"
            )));
        }
        let mut config = WatchConfig {
            name: brand.to_owned(),
            ..WatchConfig::default()
        };
        config.signals.bucket_seconds = bucket_minutes * 60;
        // The baseline compares each bucket with its neighbours on earlier
        // days: fewer of them when buckets are wide (6-hour buckets leave
        // room for one on each side, daily ones for none).
        let per_day = (1440 / bucket_minutes) as usize;
        let baseline = &mut config.detector.baseline;
        baseline.neighbours = baseline.neighbours.min((per_day - 1) / 2);
        let bucket = TimeDelta::seconds(config.signals.bucket_seconds);
        let crisis = |e: tertulia_crisis::Error| CliError::Usage(e.to_string());
        Ok(Watcher {
            watch: Watch::new(config).map_err(crisis)?,
            desk: Desk::new(policy).map_err(crisis)?,
            bucket,
            latest: DateTime::<Utc>::MIN_UTC,
            report: WatchReport {
                bucket_minutes,
                ..WatchReport::default()
            },
        })
    }

    pub(crate) fn demo(brand: &str) -> Self {
        Self::new(brand, default_policy(), 15).expect("the demo's settings are valid")
    }

    /// Reads one mention; returns the steps it caused.
    pub(crate) fn push(&mut self, mention: &Mention) -> Vec<Step> {
        self.latest = self.latest.max(mention.created_at);
        let judged = self.watch.push(mention);
        self.steps(
            judged,
            mention.created_at,
            &format!("mention {} skipped", mention.id),
        )
    }

    /// Judges the buckets still open (end of the stream); returns the steps.
    pub(crate) fn flush(&mut self) -> Vec<Step> {
        let judged = self.watch.flush();
        self.steps(judged, self.latest, "the last buckets could not be judged")
    }

    /// Hands the judged buckets' alerts to the desk and lets it escalate at
    /// each bucket's end.
    fn steps(
        &mut self,
        judged: tertulia_crisis::Result<Vec<tertulia_crisis::watch::Step>>,
        at: DateTime<Utc>,
        failed: &str,
    ) -> Vec<Step> {
        let mut out = Vec::new();
        let judged = match judged {
            Ok(judged) => judged,
            Err(e) => {
                out.push(Step::text(at, format!("{failed}: {e}")));
                return out;
            }
        };
        for step in judged {
            self.report.buckets += 1;
            self.report.late += step.bucket.late;
            let end = step.bucket.start + self.bucket;
            // Open incidents learn this bucket's figures, so an escalation
            // later says what is happening then.
            for update in &step.updates {
                self.desk.refresh(update);
            }
            for alert in &step.alerts {
                if alert.clear {
                    out.push(Step::text(end, format!("cleared: {}", alert.key)));
                }
                match self.desk.alert(alert) {
                    Ok(actions) => record(&mut out, end, actions),
                    Err(e) => out.push(Step::text(end, format!("alert refused: {e}"))),
                }
            }
            record(&mut out, end, self.desk.tick(end));
        }
        out
    }

    /// The report, with the steps the caller kept.
    pub(crate) fn report(mut self, steps: Vec<Step>) -> WatchReport {
        self.report.incidents = self.desk.incidents().cloned().collect();
        self.report.steps = steps;
        self.report
    }
}

/// The desk's actions as steps for people.
fn record(out: &mut Vec<Step>, at: DateTime<Utc>, actions: Vec<Action>) {
    for action in actions {
        out.push(match action {
            Action::Notify(n) => Step {
                at,
                text: format!(
                    "incident {} [{}] {}: tell {} ({})",
                    n.incident,
                    n.severity.name(),
                    n.dedup_key,
                    n.targets.join(", "),
                    n.summary
                ),
                notification: Some(n),
            },
            Action::ProposeStatement { incident, text } => Step::text(
                at,
                format!("incident {incident}: holding statement for approval: {text:?}"),
            ),
        });
    }
}

/// How many of the first lines decide whether the input is mentions at all.
const FIRST_LINES: u64 = 20;

fn watch(args: &WatchArgs) -> Result<(), CliError> {
    let policy = match &args.policy {
        Some(path) => read_yaml::<Policy>(path)?,
        None => default_policy(),
    };
    let mut watcher = Watcher::new(&args.brand, policy, args.bucket_minutes)?;
    let mut sender = match &args.notify {
        Some(file) => {
            let mut s = Sender::open(file, args.outbox.as_deref())?;
            // What a run before left undelivered goes first.
            s.deliver()?;
            Some(s)
        }
        None => None,
    };
    let mut emit = |out: &mut BufWriter<std::io::StdoutLock<'_>>, steps: Vec<Step>| {
        for step in steps {
            print_step(out, &step, args.json)?;
            if let (Some(s), Some(n)) = (sender.as_mut(), step.notification) {
                s.push(n)?;
            }
        }
        if let Some(s) = sender.as_mut() {
            s.deliver()?;
        }
        out.flush().map_err(CliError::Stdout)
    };
    let sentiment = ByLanguage::english_and_spanish();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut input = Input::default();
    for (n, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.map_err(|source| CliError::Read {
            path: "standard input".into(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let mention = input.read(n as u64 + 1, &line)?;
        let Some(mut mention) = mention else {
            continue;
        };
        if mention.sentiment.is_none() {
            mention.sentiment = Some(
                sentiment
                    .scores_in(&mention.text, mention.language.as_ref())
                    .compound,
            );
        }
        emit(&mut out, watcher.push(&mention))?;
    }
    input.settle()?;
    emit(&mut out, watcher.flush())?;
    let report = watcher.report(Vec::new());
    // Most of the input unusable is a wrong input, not a quiet brand.
    let unusable = input.bad + report.late;
    if input.lines > 0 && 2 * unusable > input.lines {
        return Err(CliError::Usage(format!(
            "most of the input could not be used: {} of {} were not mentions and {} came after their bucket was judged; crisis watch reads core Mention JSON a line, oldest first",
            count(input.bad),
            plural(input.lines, "line", "lines"),
            plural(report.late, "mention", "mentions"),
        )));
    }
    eprintln!(
        "tertulia: {}, {}; {}, {} not a mention",
        plural(report.buckets, "bucket", "buckets"),
        plural(report.incidents.len() as u64, "incident", "incidents"),
        plural(report.late, "late mention", "late mentions"),
        plural(input.bad, "line", "lines"),
    );
    let Some(mut sender) = sender else {
        return Ok(());
    };
    let (pending, failed) = sender.drain(std::time::Duration::from_secs(args.drain_seconds))?;
    if pending > 0 {
        if !sender.kept() {
            return Err(CliError::Usage(format!(
                "{} still pending and {} given up on, and no outbox \
                 keeps them: run with --outbox FILE",
                plural(pending as u64, "delivery", "deliveries"),
                count(failed as u64)
            )));
        }
        eprintln!(
            "tertulia: {} pending, kept in the outbox for the next run",
            plural(pending as u64, "delivery", "deliveries")
        );
    }
    if failed > 0 {
        return Err(gave_up(failed));
    }
    Ok(())
}

/// The lines `crisis watch` read: how many, how many were not mentions,
/// and what it held back from the first lines until it knew the input is
/// mentions at all.
#[derive(Default)]
struct Input {
    lines: u64,
    bad: u64,
    /// Messages about bad lines among the first ones, held back.
    held: Vec<String>,
    /// Whether the first lines were judged.
    settled: bool,
    /// The first mentions' times, to tell input that is newest first.
    first_times: Vec<DateTime<Utc>>,
}

impl Input {
    /// Reads line `n`: a mention, or `None` after counting it as bad.
    fn read(&mut self, n: u64, line: &str) -> Result<Option<Mention>, CliError> {
        self.lines += 1;
        let read = serde_json::from_str::<Mention>(line);
        let mention = match read {
            Ok(m) => {
                if !self.settled {
                    self.first_times.push(m.created_at);
                }
                Some(m)
            }
            Err(e) => {
                self.bad += 1;
                let said = format!("tertulia: line {n}: not a mention: {e}");
                if self.settled {
                    eprintln!("{said}");
                } else {
                    self.held.push(said);
                }
                None
            }
        };
        if !self.settled && self.lines == FIRST_LINES {
            self.settle()?;
        }
        Ok(mention)
    }

    /// Judges the first lines: not mentions at all, or mentions newest
    /// first, is one error line; otherwise the held messages are printed.
    fn settle(&mut self) -> Result<(), CliError> {
        if self.settled {
            return Ok(());
        }
        self.settled = true;
        if self.lines > 0 && 2 * self.bad > self.lines {
            let first = self.held.first().map_or(String::new(), |h| {
                format!(" ({})", h.trim_start_matches("tertulia: "))
            });
            return Err(CliError::Usage(format!(
                "standard input does not hold mentions: {} of its first {} are not core Mention JSON{first}; crisis watch reads mentions (mentions.jsonl, or tertulia mentions), not posts",
                count(self.bad),
                plural(self.lines, "line", "lines"),
            )));
        }
        let t = &self.first_times;
        if t.len() >= 3 && t.windows(2).all(|w| w[1] < w[0]) {
            return Err(CliError::Usage(format!(
                "the mentions come newest first ({} then {}): crisis watch reads them oldest first, as tertulia mentions prints them (reverse the file: tac FILE | tertulia crisis watch)",
                t[0].format("%Y-%m-%d %H:%M"),
                t[t.len() - 1].format("%Y-%m-%d %H:%M"),
            )));
        }
        for said in self.held.drain(..) {
            eprintln!("{said}");
        }
        Ok(())
    }
}

fn gave_up(failed: usize) -> CliError {
    CliError::Usage(format!(
        "{} given up on (see the lines above): fix the notifier and run \
         again with the same --outbox to send them once more",
        plural(failed as u64, "delivery", "deliveries")
    ))
}

fn print_step(out: &mut impl Write, step: &Step, json: bool) -> Result<(), CliError> {
    if json {
        serde_json::to_writer(&mut *out, step).map_err(|e| CliError::Stdout(e.into()))?;
        writeln!(out).map_err(CliError::Stdout)
    } else {
        writeln!(out, "{} {}", step.at.format("%Y-%m-%d %H:%M"), step.text)
            .map_err(CliError::Stdout)
    }
}

fn nab(args: &NabArgs) -> Result<(), CliError> {
    let read = |path: &PathBuf| {
        std::fs::read_to_string(path).map_err(|source| CliError::Read {
            path: path.clone(),
            source,
        })
    };
    let bad = |e: tertulia_crisis::Error| CliError::Usage(format!("{}: {e}", args.file.display()));
    let rows = parse_data(&read(&args.file)?).map_err(bad)?;
    let config = fitted(DetectorConfig::default(), &rows).map_err(bad)?;
    let scores = anomaly_scores(&rows, config).map_err(bad)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    writeln!(out, "timestamp,value,anomaly_score").map_err(CliError::Stdout)?;
    for ((at, value), score) in rows.iter().zip(&scores) {
        writeln!(out, "{},{value},{score}", at.format("%Y-%m-%d %H:%M:%S"))
            .map_err(CliError::Stdout)?;
    }
    out.flush().map_err(CliError::Stdout)?;
    let Some(path) = &args.windows else {
        return Ok(());
    };
    let all: BTreeMap<String, Vec<[String; 2]>> =
        serde_json::from_str(&read(path)?).map_err(|source| CliError::Json {
            path: path.clone(),
            source,
        })?;
    let name = args
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let Some(spans) = all
        .iter()
        .find(|(k, _)| k.rsplit('/').next() == Some(name))
        .map(|(_, v)| v)
    else {
        return Err(CliError::Usage(format!(
            "{} has no windows for {name}",
            path.display()
        )));
    };
    let file = LabelledFile::new(rows, spans).map_err(bad)?;
    let detections: Vec<bool> = scores.iter().map(|&s| s >= 0.5).collect();
    for (label, profile) in CostProfile::ALL {
        let s = score_file(&detections, &file.windows, profile);
        let windows = file.windows.len();
        // NAB's 0-100 score: 0 for detecting nothing, 100 for every window
        // at its start and no false alarm. A file without windows has none.
        let score = if windows == 0 {
            "no score (the file has no window)".to_owned()
        } else {
            format!(
                "score {:.1} of 100",
                normalized_score(s.raw, windows, profile)
            )
        };
        eprintln!(
            "{label}: {score}, raw {:.3} ({} of {} detected, {})",
            s.raw,
            s.true_positives,
            plural(windows as u64, "window", "windows"),
            plural(s.false_positives as u64, "false alarm", "false alarms")
        );
    }
    Ok(())
}
