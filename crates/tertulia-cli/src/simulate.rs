//! `tertulia simulate`: a simulated community written to files.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::Args;
use serde::Serialize;

use crate::CliError;
use crate::community::CommunityArgs;
use crate::output::{Progress, plural, print_json, print_text};

/// Options of `tertulia simulate`.
#[derive(Debug, Args)]
pub(crate) struct SimulateArgs {
    #[command(flatten)]
    community: CommunityArgs,
    /// The folder to write into (created if missing): posts.jsonl,
    /// mentions.jsonl, post-truth.jsonl, mention-truth.jsonl and truth.json.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// One line of a truth file: the item's id and its planted truth.
#[derive(Serialize)]
struct Labelled<'a, T> {
    id: &'a str,
    #[serde(flatten)]
    truth: &'a T,
}

#[derive(Serialize)]
struct Summary<'a> {
    out: &'a Path,
    posts: u64,
    mentions: u64,
}

/// A JSON Lines file being written.
struct Lines {
    path: PathBuf,
    out: BufWriter<File>,
}

impl Lines {
    fn create(dir: &Path, name: &str) -> Result<Lines, CliError> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(Lines {
            path,
            out: BufWriter::new(file),
        })
    }

    fn write<T: Serialize>(&mut self, item: &T) -> Result<(), CliError> {
        let err = |source| CliError::Write {
            path: self.path.clone(),
            source,
        };
        serde_json::to_writer(&mut self.out, item).map_err(|e| err(e.into()))?;
        self.out.write_all(b"\n").map_err(err)
    }

    fn finish(mut self) -> Result<(), CliError> {
        self.out.flush().map_err(|source| CliError::Write {
            path: self.path,
            source,
        })
    }
}

/// Writes each item to the first file and its truth, by id, to the second;
/// returns how many items there were.
fn write_labelled<T: Serialize, U: Serialize>(
    dir: &Path,
    [items_file, truth_file]: [&str; 2],
    items: impl Iterator<Item = (DateTime<Utc>, String, T, U)>,
    progress: &Progress,
) -> Result<u64, CliError> {
    let (mut items_out, mut truth_out) = (
        Lines::create(dir, items_file)?,
        Lines::create(dir, truth_file)?,
    );
    let mut n = 0;
    for (at, id, item, truth) in items {
        progress.reached(at);
        items_out.write(&item)?;
        truth_out.write(&Labelled {
            id: &id,
            truth: &truth,
        })?;
        n += 1;
    }
    items_out.finish()?;
    truth_out.finish()?;
    Ok(n)
}

pub(crate) fn run(args: &SimulateArgs) -> Result<(), CliError> {
    let sim = args.community.simulation()?;
    fs::create_dir_all(&args.out).map_err(|source| CliError::Write {
        path: args.out.clone(),
        source,
    })?;
    let progress = Progress::new(sim.period().start(), sim.config().weeks, args.json);

    let mut truth = Lines::create(&args.out, "truth.json")?;
    truth.write(sim.truth())?;
    truth.finish()?;

    progress.phase("writing posts");
    let posts = write_labelled(
        &args.out,
        ["posts.jsonl", "post-truth.jsonl"],
        sim.labelled_posts()
            .map(|(post, truth)| (post.created_at, post.id.to_string(), post, truth)),
        &progress,
    )?;
    progress.phase("writing comments and mentions");
    let mentions = write_labelled(
        &args.out,
        ["mentions.jsonl", "mention-truth.jsonl"],
        sim.labelled_mentions()
            .map(|(m, truth)| (m.created_at, m.id.to_string(), m, truth)),
        &progress,
    )?;
    progress.finish();

    let summary = Summary {
        out: &args.out,
        posts,
        mentions,
    };
    if args.json {
        print_json(&summary)
    } else {
        print_text(&format!(
            "wrote {} and {} (comments and mentions), with their planted truth, to {}\n",
            plural(posts, "post", "posts"),
            plural(mentions, "item", "items"),
            args.out.display()
        ))
    }
}
