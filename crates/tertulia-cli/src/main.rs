//! The `tertulia` command: composes the tertulia crates for people and scripts.
//!
//! Every command prints a readable report, or JSON with `--json`. Bad input
//! gives a one-line error that says what and where, and a non-zero exit.

mod community;
mod connect;
mod crisis;
mod demo;
mod heatmap;
mod kpi;
mod moderate;
mod notify;
mod output;
mod queue;
mod schedule;
mod simulate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// tertulia: publish, listen, measure, moderate and answer a crisis for a brand's communities.
#[derive(Debug, Parser)]
#[command(name = "tertulia", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a brand's community and show what tertulia can say about it.
    Demo(demo::DemoArgs),
    /// Write a simulated community to files: posts, mentions and the planted truth.
    Simulate(simulate::SimulateArgs),
    /// Measure the KPIs of a post-level export (Facebook Insights, CSV or JSON Lines).
    Kpi(kpi::KpiArgs),
    /// Learn the best weekday and hour to publish from an export, with how sure it is.
    BestTimes(schedule::BestTimesArgs),
    /// Check the best-time model on held-out time: train on the past, test on the future.
    Backtest(schedule::BacktestArgs),
    /// Place drafts on a publishing calendar under constraints, each placement explained.
    Plan(schedule::PlanArgs),
    /// Moderate a JSON Lines stream of comments with rules (or AutoModerator's), explaining each decision.
    Moderate(moderate::ModerateArgs),
    /// Watch mentions for a crisis (alerts, incidents, escalation), or score the detector on a NAB file.
    Crisis(crisis::CrisisArgs),
    /// Publish a post or a thread on Bluesky or Mastodon, once (credentials from the environment).
    Post(connect::PostArgs),
    /// Print the account's newest mentions on Bluesky or Mastodon as JSON Lines, oldest first.
    Mentions(connect::MentionsArgs),
    /// The accounts posts go to: add and list channels in the store.
    Channels(queue::ChannelsArgs),
    /// The publishing queue: add posts for their time, approve, list, show, cancel, retry.
    Queue(queue::QueueArgs),
    /// Run the worker: publish what is due, exactly once, and read back its metrics.
    Run(queue::RunArgs),
}

/// What can go wrong after the arguments are read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The simulation settings were refused.
    #[error(transparent)]
    Sim(#[from] tertulia_sim::SimError),
    /// A file or folder could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// A file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// A file's content or a KPI setting was refused.
    #[error("{path}: {source}")]
    Kpi {
        path: std::path::PathBuf,
        source: Box<tertulia_kpi::Error>,
    },
    /// A JSON input file is not what it should be.
    #[error("{path}: {source}")]
    Json {
        path: std::path::PathBuf,
        source: serde_json::Error,
    },
    /// A rule file was refused.
    #[error("{path}: {source}")]
    Moderation {
        path: std::path::PathBuf,
        source: tertulia_moderation::Error,
    },
    /// A best-time or planning setting or input was refused.
    #[error(transparent)]
    Schedule(#[from] tertulia_schedule::Error),
    /// The inputs cannot give what was asked, with what to do.
    #[error("{0}")]
    Usage(String),
    /// Standard output was closed or failed.
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return output::argument_error(err),
    };
    let result = match cli.command {
        Command::Demo(args) => demo::run(&args),
        Command::Simulate(args) => simulate::run(&args),
        Command::Kpi(args) => kpi::run(&args),
        Command::BestTimes(args) => schedule::best_times(&args),
        Command::Backtest(args) => schedule::run_backtest(&args),
        Command::Plan(args) => schedule::plan(&args),
        Command::Moderate(args) => moderate::run(&args),
        Command::Crisis(args) => crisis::run(&args),
        Command::Post(args) => connect::post(&args),
        Command::Mentions(args) => connect::mentions(&args),
        Command::Channels(args) => queue::channels(&args),
        Command::Queue(args) => queue::queue(&args),
        Command::Run(args) => queue::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A reader that stops early (`tertulia demo | head`) is not an error.
        Err(CliError::Stdout(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tertulia: {err}");
            ExitCode::FAILURE
        }
    }
}
