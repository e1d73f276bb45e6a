//! `tertulia simulate`: a simulated community written to files.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use crate::CliError;
use crate::community::CommunityArgs;
use crate::output::{Progress, count, print_json, print_text};

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

    let (mut posts, mut post_truth) = (
        Lines::create(&args.out, "posts.jsonl")?,
        Lines::create(&args.out, "post-truth.jsonl")?,
    );
    let mut n_posts = 0;
    progress.phase("writing posts");
    for (post, planted) in sim.labelled_posts() {
        progress.reached(post.created_at);
        posts.write(&post)?;
        post_truth.write(&Labelled {
            id: post.id.as_str(),
            truth: &planted,
        })?;
        n_posts += 1;
    }
    posts.finish()?;
    post_truth.finish()?;

    let (mut mentions, mut mention_truth) = (
        Lines::create(&args.out, "mentions.jsonl")?,
        Lines::create(&args.out, "mention-truth.jsonl")?,
    );
    let mut n_mentions = 0;
    progress.phase("writing comments and mentions");
    for (mention, planted) in sim.labelled_mentions() {
        progress.reached(mention.created_at);
        mentions.write(&mention)?;
        mention_truth.write(&Labelled {
            id: mention.id.as_str(),
            truth: &planted,
        })?;
        n_mentions += 1;
    }
    mentions.finish()?;
    mention_truth.finish()?;
    progress.finish();

    let summary = Summary {
        out: &args.out,
        posts: n_posts,
        mentions: n_mentions,
    };
    if args.json {
        print_json(&summary)
    } else {
        print_text(&format!(
            "wrote {} posts and {} comments and mentions, with their planted truth, to {}\n",
            count(n_posts),
            count(n_mentions),
            args.out.display()
        ))
    }
}
