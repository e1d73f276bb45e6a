//! `tertulia channels`, `tertulia queue` and `tertulia run`: the publishing
//! queue in the store, and the worker that runs it.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{NaiveDateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use clap::{Args, Subcommand};
use tertulia_connect::layers::{DefaultRetry, Retry};
use tertulia_connect::{Connector, PublishRequest};
use tertulia_core::{Platform, SystemClock};
use tertulia_schedule::{Constraints, LocalTime};
use tertulia_store::{Channel, Content, Filter, NewPost, Post, PostState, Store, shown};
use tertulia_worker::{Connectors, Options, Worker};

use crate::CliError;
use crate::connect::{Compose, PlatformArg, connector, connector_with, credentials, runtime};
use crate::output::{print_json, read_yaml, table};

/// Where the store is.
#[derive(Debug, Args)]
pub(crate) struct Db {
    /// The store: a SQLite file, or postgres://USER@HOST/DB. Default: the
    /// TERTULIA_DB variable, else tertulia.db here.
    #[arg(long, global = true)]
    db: Option<String>,
}

impl Db {
    fn address(&self) -> String {
        self.db
            .clone()
            .or_else(|| std::env::var("TERTULIA_DB").ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| Store::DEFAULT.to_owned())
    }

    async fn open(&self) -> Result<Store, CliError> {
        Store::open(&self.address()).await.map_err(store_error)
    }
}

fn store_error(e: tertulia_store::Error) -> CliError {
    CliError::Usage(e.to_string())
}

/// Who is doing it, for the audit trail.
#[derive(Debug, Args)]
pub(crate) struct By {
    /// Your name in the audit trail. Default: TERTULIA_USER, else USER.
    #[arg(long)]
    by: Option<String>,
}

impl By {
    fn name(&self) -> Result<String, CliError> {
        self.by
            .clone()
            .or_else(|| std::env::var("TERTULIA_USER").ok())
            .or_else(|| std::env::var("USER").ok())
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| {
                CliError::Usage("say who you are: --by NAME (or set TERTULIA_USER)".into())
            })
    }
}

/// `tertulia channels`.
#[derive(Debug, Args)]
pub(crate) struct ChannelsArgs {
    #[command(subcommand)]
    command: ChannelsCommand,
    #[command(flatten)]
    db: Db,
}

#[derive(Debug, Subcommand)]
enum ChannelsCommand {
    /// Add a channel: an account on a platform, run in a time zone.
    Add {
        /// Its name in commands (brand-bsky).
        name: String,
        /// The platform.
        #[arg(long, value_enum)]
        platform: PlatformArg,
        /// The account's handle.
        #[arg(long)]
        account: String,
        /// The IANA time zone its calendar is read in (Europe/Madrid).
        #[arg(long)]
        tz: Tz,
        /// Its constraints (YAML: max_per_day, min_gap_minutes,
        /// weekly_blackouts, blackouts, quiet_hours), as `tertulia plan` reads
        /// them.
        #[arg(long)]
        constraints: Option<PathBuf>,
    },
    /// List the channels.
    List {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `tertulia queue`.
#[derive(Debug, Args)]
pub(crate) struct QueueArgs {
    #[command(subcommand)]
    command: QueueCommand,
    #[command(flatten)]
    db: Db,
}

#[derive(Debug, Subcommand)]
enum QueueCommand {
    /// Add a post for one or more channels: at a time, placed by the
    /// planner, or as a draft.
    Add(AddArgs),
    /// List posts, newest first.
    List {
        /// Only posts in this state (give it several times for several).
        #[arg(long, value_parser = post_state)]
        state: Vec<PostState>,
        /// Only posts for this channel.
        #[arg(long)]
        channel: Option<String>,
        /// As JSON Lines.
        #[arg(long)]
        json: bool,
    },
    /// Show a post: its targets, their states and the audit trail.
    Show {
        /// The post's number.
        id: i64,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve a post you were named to approve.
    Approve {
        /// The post's number.
        id: i64,
        /// Why, for the audit trail.
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        by: By,
    },
    /// Reject a post you were named to approve: it will not go out.
    Reject {
        /// The post's number.
        id: i64,
        /// Why, for its author.
        #[arg(long)]
        note: String,
        #[command(flatten)]
        by: By,
    },
    /// Cancel what of a post has not gone out.
    Cancel {
        /// The post's number.
        id: i64,
        /// Why.
        #[arg(long, default_value = "")]
        why: String,
        #[command(flatten)]
        by: By,
    },
    /// Send again, now, the targets that need it (never the published ones).
    Retry {
        /// The post's number.
        id: i64,
        /// You have looked at the account: targets that may have gone out
        /// did not.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        by: By,
    },
}

#[derive(Debug, Args)]
struct AddArgs {
    /// A channel it goes to; give it several times for several.
    #[arg(long = "channel", required = true)]
    channels: Vec<String>,
    #[command(flatten)]
    compose: Compose,
    /// When, in local time: "2027-03-01 09:30".
    #[arg(long, conflicts_with = "plan", requires = "tz")]
    at: Option<String>,
    /// The IANA time zone of --at (Europe/Madrid).
    #[arg(long)]
    tz: Option<Tz>,
    /// Let the planner choose the time: the first free slot of the
    /// channels' calendars, within their constraints.
    #[arg(long)]
    plan: bool,
    /// With --plan: look this many days ahead.
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=366))]
    days: u32,
    /// The person who must approve it before it goes out.
    #[arg(long)]
    approver: Option<String>,
    #[command(flatten)]
    by: By,
}

fn post_state(s: &str) -> Result<PostState, String> {
    s.parse().map_err(|e: tertulia_store::Error| e.to_string())
}

/// `tertulia run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// One pass, then stop (for cron).
    #[arg(long)]
    once: bool,
    /// Log lines as JSON.
    #[arg(long)]
    json: bool,
    /// The worker's name in leases and the audit trail. Default:
    /// worker:HOST:PID.
    #[arg(long)]
    id: Option<String>,
    /// Minutes a late post may still go out; later ones are marked missed.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(0..=10_080))]
    grace_minutes: u32,
    /// Seconds between passes.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    every: u64,
    /// Seconds a worker holds what it sends before another may take it
    /// over: longer than the slowest publish.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    lease_seconds: u32,
    /// A credentials file, as `tertulia post --credentials` reads it, and
    /// with a section per channel where two channels of one platform are
    /// two accounts: `channels: {brand-es: {bluesky: {identifier, password}}}`.
    #[arg(long)]
    credentials: Option<PathBuf>,
    #[command(flatten)]
    db: Db,
}

pub(crate) fn channels(args: &ChannelsArgs) -> Result<(), CliError> {
    runtime()?.block_on(async {
        let store = args.db.open().await?;
        match &args.command {
            ChannelsCommand::Add {
                name,
                platform,
                account,
                tz,
                constraints,
            } => {
                let constraints: Constraints = match constraints {
                    Some(path) => read_yaml(path)?,
                    None => Constraints::default(),
                };
                let channel = Channel {
                    name: name.clone(),
                    platform: platform_of(*platform),
                    account: account.clone(),
                    zone: *tz,
                    constraints,
                };
                store.add_channel(&channel).await.map_err(store_error)?;
                println!(
                    "added channel {name}: {} {account}, in {} (credentials come from the environment or --credentials when `tertulia run` starts)",
                    channel.platform,
                    tz.name()
                );
            }
            ChannelsCommand::List { json } => {
                let all = store.channels().await.map_err(store_error)?;
                if *json {
                    return print_json(&all);
                }
                if all.is_empty() {
                    println!("no channels yet: add one with `tertulia channels add`");
                    return Ok(());
                }
                let mut t = table(&["channel", "platform", "account", "time zone", "constraints"]);
                for c in &all {
                    t.add_row(vec![
                        c.name.clone(),
                        c.platform.to_string(),
                        c.account.clone(),
                        c.zone.name().to_owned(),
                        constraints_words(&c.constraints),
                    ]);
                }
                println!("{t}");
            }
        }
        Ok(())
    })
}

fn constraints_words(c: &Constraints) -> String {
    let mut words = Vec::new();
    if let Some(n) = c.max_per_day {
        words.push(format!("at most {n} a day"));
    }
    if let Some(m) = c.min_gap_minutes {
        words.push(format!("{m} min apart"));
    }
    if let Some(q) = c.quiet_hours {
        words.push(format!(
            "quiet {}-{}",
            q.start.format("%H:%M"),
            q.end.format("%H:%M")
        ));
    }
    let blackouts = c.weekly_blackouts.len() + c.blackouts.len();
    if blackouts > 0 {
        words.push(format!("{blackouts} blackouts"));
    }
    if words.is_empty() {
        "none".into()
    } else {
        words.join(", ")
    }
}

fn platform_of(p: PlatformArg) -> Platform {
    match p {
        PlatformArg::Bluesky => Platform::Bluesky,
        PlatformArg::Mastodon => Platform::Mastodon,
    }
}

fn platform_arg(channel: &Channel) -> Result<PlatformArg, CliError> {
    match channel.platform {
        Platform::Bluesky => Ok(PlatformArg::Bluesky),
        Platform::Mastodon => Ok(PlatformArg::Mastodon),
        ref other => Err(CliError::Usage(format!(
            "channel {}: tertulia has no connector for {other} yet",
            channel.name
        ))),
    }
}

pub(crate) fn queue(args: &QueueArgs) -> Result<(), CliError> {
    runtime()?.block_on(async {
        let store = args.db.open().await?;
        match &args.command {
            QueueCommand::Add(add) => add_post(&store, add).await,
            QueueCommand::List {
                state,
                channel,
                json,
            } => {
                let posts = store
                    .posts(&Filter {
                        states: state.clone(),
                        channel: channel.clone(),
                        limit: None,
                    })
                    .await
                    .map_err(store_error)?;
                let mut out = std::io::stdout().lock();
                if *json {
                    for p in &posts {
                        serde_json::to_writer(&mut out, &PostJson::of(p))
                            .map_err(|e| CliError::Stdout(e.into()))?;
                        writeln!(out).map_err(CliError::Stdout)?;
                    }
                    return Ok(());
                }
                if posts.is_empty() {
                    writeln!(
                        out,
                        "no posts{}",
                        if state.is_empty() && channel.is_none() {
                            " yet: add one with `tertulia queue add`"
                        } else {
                            " like that"
                        }
                    )
                    .map_err(CliError::Stdout)?;
                    return Ok(());
                }
                let mut t = table(&["post", "state", "when", "channels", "text"]);
                for p in &posts {
                    t.add_row(vec![
                        p.id.to_string(),
                        p.state().to_string(),
                        p.at.map_or_else(|| "no time yet".to_owned(), |at| shown(at, p.zone)),
                        p.targets
                            .iter()
                            .map(|t| format!("{} {}", t.channel, t.state))
                            .collect::<Vec<_>>()
                            .join(", "),
                        first_line(&p.content.parts[0].text),
                    ]);
                }
                writeln!(out, "{t}").map_err(CliError::Stdout)
            }
            QueueCommand::Show { id, json } => {
                let post = store.post(*id).await.map_err(store_error)?;
                let history = store.history(*id).await.map_err(store_error)?;
                if *json {
                    return print_json(
                        &serde_json::json!({"post": PostJson::of(&post), "history": history}),
                    );
                }
                show(&post, &history)
            }
            QueueCommand::Approve { id, note, by } => {
                let p = store
                    .approve(*id, &by.name()?, note)
                    .await
                    .map_err(store_error)?;
                println!("post {id} approved: {}", p.state());
                Ok(())
            }
            QueueCommand::Reject { id, note, by } => {
                store
                    .reject(*id, &by.name()?, note)
                    .await
                    .map_err(store_error)?;
                println!("post {id} rejected: it will not go out");
                Ok(())
            }
            QueueCommand::Cancel { id, why, by } => {
                let p = store
                    .cancel(*id, &by.name()?, why)
                    .await
                    .map_err(store_error)?;
                println!("post {id}: {}", p.state());
                Ok(())
            }
            QueueCommand::Retry { id, force, by } => {
                let p = store
                    .retry(*id, &by.name()?, *force)
                    .await
                    .map_err(store_error)?;
                let again: Vec<&str> = p
                    .targets
                    .iter()
                    .filter(|t| t.state == tertulia_store::TargetState::Scheduled)
                    .map(|t| t.channel.as_str())
                    .collect();
                println!(
                    "post {id}: sending again on {} at the next pass of `tertulia run`",
                    again.join(", ")
                );
                Ok(())
            }
        }
    })
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut short: String = line.chars().take(60).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

/// A post as JSON: its state spelled out next to its targets'.
#[derive(serde::Serialize)]
struct PostJson<'a> {
    #[serde(flatten)]
    post: &'a Post,
    state: PostState,
}

impl<'a> PostJson<'a> {
    fn of(post: &'a Post) -> Self {
        PostJson {
            post,
            state: post.state(),
        }
    }
}

fn show(post: &Post, history: &[tertulia_store::Event]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let w = |out: &mut std::io::StdoutLock<'_>, s: String| {
        writeln!(out, "{s}").map_err(CliError::Stdout)
    };
    w(&mut out, format!("post {}: {}", post.id, post.state()))?;
    w(
        &mut out,
        format!(
            "  when: {}",
            post.at.map_or_else(
                || "no time yet (a draft)".to_owned(),
                |at| shown(at, post.zone)
            )
        ),
    )?;
    if let Some(a) = &post.approver {
        w(&mut out, format!("  approver: {a} ({})", post.approval))?;
    }
    w(
        &mut out,
        format!(
            "  added by {} at {}",
            post.created_by,
            post.created_at.format("%Y-%m-%d %H:%M UTC")
        ),
    )?;
    for (i, p) in post.content.parts.iter().enumerate() {
        w(
            &mut out,
            format!(
                "  part {}: {}{}",
                i + 1,
                p.text,
                if p.media.is_empty() {
                    String::new()
                } else {
                    format!(" [{} media]", p.media.len())
                }
            ),
        )?;
    }
    let mut t = table(&["target", "channel", "state", "tries", "where / why"]);
    for target in &post.targets {
        let detail = match (&target.published, &target.error) {
            (Some(p), _) => p
                .posts
                .iter()
                .map(|r| r.url.clone().unwrap_or_else(|| r.id.clone()))
                .collect::<Vec<_>>()
                .join(" "),
            (None, Some(e)) => e.clone(),
            (None, None) => String::new(),
        };
        t.add_row(vec![
            target.id.to_string(),
            target.channel.clone(),
            target.state.to_string(),
            target.attempts.to_string(),
            detail,
        ]);
    }
    w(&mut out, t.to_string())?;
    w(&mut out, "history:".into())?;
    for e in history {
        w(&mut out, format!("  {e}"))?;
    }
    Ok(())
}

async fn add_post(store: &Store, args: &AddArgs) -> Result<(), CliError> {
    let parts = args.compose.parts()?;
    let mut channels = Vec::new();
    for name in &args.channels {
        channels.push(store.channel(name).await.map_err(store_error)?);
    }
    // Checked against each platform's limits now, not when it is due.
    for c in &channels {
        let (offline, _) = connector(platform_arg(c)?, None, true).await?;
        let request = PublishRequest::thread(store.key_of(0), parts.clone());
        offline
            .validate(&request)
            .map_err(|e| CliError::Usage(format!("{} ({}): {e}", c.name, c.platform)))?;
    }
    let zone = args.tz.unwrap_or(channels[0].zone);
    let mut notes = Vec::new();
    let at = match (&args.at, args.plan) {
        (Some(at), _) => {
            let local = NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M").map_err(|_| {
                CliError::Usage(format!(
                    "--at {at:?}: give a local time as \"2027-03-01 09:30\""
                ))
            })?;
            let resolved = LocalTime::of(zone, local);
            match resolved {
                LocalTime::Exact(_) => {}
                LocalTime::Skipped { at } => notes.push(format!(
                    "{at_local} does not exist in {zone} (the clocks skip it): it will go out at {real}",
                    at_local = local.format("%Y-%m-%d %H:%M"),
                    zone = zone.name(),
                    real = shown(at, zone),
                )),
                LocalTime::Twice { first, second } => notes.push(format!(
                    "{} happens twice in {} (the clocks go back): it will go out at the first, {} ({}), not {}",
                    local.format("%Y-%m-%d %H:%M"),
                    zone.name(),
                    shown(first, zone),
                    first.format("%H:%M UTC"),
                    second.format("%H:%M UTC")
                )),
            }
            let at = resolved.at();
            if at < Utc::now() - TimeDelta::minutes(1) {
                notes.push(format!("{} is in the past: the next `tertulia run` sends it within its grace period, or marks it missed", shown(at, zone)));
            }
            Some(at)
        }
        (None, true) => Some(planned(store, &channels, args.days).await?),
        (None, false) => None,
    };
    let id = store
        .add_post(&NewPost {
            content: Content {
                parts,
                variants: Default::default(),
            },
            channels: args.channels.clone(),
            at,
            zone,
            approver: args.approver.clone(),
            by: args.by.name()?,
        })
        .await
        .map_err(store_error)?;
    for n in notes {
        eprintln!("tertulia: note: {n}");
    }
    let post = store.post(id).await.map_err(store_error)?;
    let when = at.map_or_else(
        || "as a draft, with no time".to_owned(),
        |at| format!("for {}", shown(at, zone)),
    );
    let waiting = args
        .approver
        .as_ref()
        .map_or(String::new(), |a| format!("; waits for {a}'s approval"));
    println!(
        "post {id} added {when} on {}{waiting}",
        args.channels.join(", ")
    );
    debug_assert_eq!(post.targets.len(), channels.len());
    Ok(())
}

/// The first time the planner finds free on every channel of the post,
/// around what the store has booked.
async fn planned(
    store: &Store,
    channels: &[Channel],
    days: u32,
) -> Result<chrono::DateTime<Utc>, CliError> {
    let start = Utc::now();
    let end = start + TimeDelta::days(i64::from(days));
    let mut booked = Vec::new();
    for c in channels {
        for at in store
            .booked(
                &c.name,
                start - TimeDelta::days(1),
                end + TimeDelta::days(1),
            )
            .await
            .map_err(store_error)?
        {
            booked.push((c.name.clone(), at));
        }
    }
    let planner = tertulia_schedule::Planner::new(
        channels.iter().map(Channel::for_planner).collect(),
        start,
        days,
    )?
    .with_booked(booked)?;
    // The first time every channel of the post has free: each channel's
    // first free time from `earliest` on, until they agree.
    let mut earliest = start;
    for _ in 0..1_000 {
        let mut times = Vec::new();
        for c in channels {
            let draft = tertulia_schedule::Draft {
                id: "new".into(),
                platform: c.platform.clone(),
                channel: Some(c.name.clone()),
                priority: 0,
                earliest,
                latest: end,
                evergreen: None,
                text: None,
            };
            let plan = planner.plan(&[draft], &[])?;
            match plan.assignments.first() {
                Some(a) => times.push(a.at),
                None => {
                    return Err(CliError::Usage(format!(
                        "no free time on {} in the next {days} days{}: {}",
                        c.name,
                        if channels.len() > 1 {
                            " that the post's other channels have free too"
                        } else {
                            ""
                        },
                        plan.unplaced
                            .iter()
                            .map(|u| u.reason().to_owned())
                            .collect::<Vec<_>>()
                            .join("; ")
                    )));
                }
            }
        }
        let latest = *times.iter().max().expect("one channel at least");
        if times.iter().all(|t| *t == latest) {
            return Ok(latest);
        }
        earliest = latest;
    }
    Err(CliError::Usage(format!(
        "the channels {} have no free time in common in the next {days} days",
        channels
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )))
}

pub(crate) fn run(args: &RunArgs) -> Result<(), CliError> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the worker: {e}")))?;
    rt.block_on(async {
        let store = args.db.open().await?;
        let channels = store.channels().await.map_err(store_error)?;
        if channels.is_empty() {
            return Err(CliError::Usage(
                "no channels: add one with `tertulia channels add`".into(),
            ));
        }
        let mut connectors = Connectors::new();
        let credentials = credentials(args.credentials.as_ref())?;
        for c in &channels {
            let (conn, _) = connector_with(
                platform_arg(c)?,
                credentials.for_channel(&c.name),
                false,
                Some(&c.account),
            )
            .await
            .map_err(|e| CliError::Usage(format!("channel {}: {e}", c.name)))?;
            // Quick retries inside a publish (a 429's short wait, a dropped
            // connection) within a fraction of the lease; longer waits are the
            // worker's, between passes.
            let policy = DefaultRetry {
                deadline: std::time::Duration::from_secs(u64::from(args.lease_seconds) / 3)
                    .max(std::time::Duration::from_millis(300)),
                max_retries: 3,
                ..DefaultRetry::default()
            };
            connectors.insert(
                c.name.clone(),
                Arc::new(Retry::with_policy(conn, policy)) as Arc<dyn Connector>,
            );
        }
        let id = args.id.clone().unwrap_or_else(|| {
            format!(
                "worker:{}:{}",
                std::env::var("HOSTNAME")
                    .ok()
                    .filter(|h| !h.is_empty())
                    .unwrap_or_else(|| "localhost".into()),
                std::process::id()
            )
        });
        let mut options = Options::new(id);
        options.grace = TimeDelta::minutes(i64::from(args.grace_minutes));
        options.tick = std::time::Duration::from_secs(args.every);
        options.lease = TimeDelta::seconds(i64::from(args.lease_seconds));
        // For the crash tests: a pause between the platform's answer and the
        // store's record, so a kill can land there.
        if let Some(ms) = std::env::var("TERTULIA_TEST_PAUSE_AFTER_PUBLISH_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            options.pause_after_publish = std::time::Duration::from_millis(ms);
        }
        let worker = Worker::new(store, connectors, Arc::new(SystemClock), options)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        let json = args.json;
        let log = move |e: &tertulia_store::Event| {
            let mut out = std::io::stdout().lock();
            let _ = if json {
                serde_json::to_writer(&mut out, e)
                    .map_err(std::io::Error::from)
                    .and_then(|()| writeln!(out))
            } else {
                writeln!(out, "{e}")
            };
            let _ = out.flush();
        };
        if args.once {
            let pass = worker
                .run_once()
                .await
                .map_err(|e| CliError::Usage(e.to_string()))?;
            pass.events.iter().for_each(log);
            return Ok(());
        }
        let stopper = worker.stopper();
        tokio::spawn(async move {
            shutdown_signal().await;
            stopper.stop();
        });
        worker
            .run(log, |e| eprintln!("tertulia: waiting for the store: {e}"))
            .await
            .map_err(|e| CliError::Usage(e.to_string()))
    })
}

/// SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
