//! `tertulia post` and `tertulia mentions`: publish and listen on Bluesky
//! or Mastodon. Credentials come from the environment or a credentials
//! file, never from the command line.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use futures_util::StreamExt;
use serde::Deserialize;
use tertulia_bluesky::{Bluesky, FileSessions};
use tertulia_connect::layers::{DryRun, Retry};
use tertulia_connect::{Connector, ConnectorExt, IdempotencyKey, Media, Part, PublishRequest};
use tertulia_core::Secret;
use tertulia_mastodon::Mastodon;

use crate::CliError;
use crate::output::read_yaml;

/// A platform with a connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PlatformArg {
    Bluesky,
    Mastodon,
}

/// What a post says, as `post` and `queue add` take it.
#[derive(Debug, Args)]
pub(crate) struct Compose {
    /// The text; give it several times, with --thread, for a thread.
    #[arg(long, required = true)]
    text: Vec<String>,
    /// Publish the texts as a thread, each answering the one before.
    #[arg(long)]
    thread: bool,
    /// An image for the first post (give --alt after each).
    #[arg(long)]
    image: Vec<PathBuf>,
    /// The alt text of each image, in order.
    #[arg(long)]
    alt: Vec<String>,
}

impl Compose {
    /// The parts, the images read and checked, on the first.
    pub(crate) fn parts(&self) -> Result<Vec<Part>, CliError> {
        if self.text.len() > 1 && !self.thread {
            return Err(CliError::Usage(
                "several --text make a thread: add --thread".into(),
            ));
        }
        let mut parts: Vec<Part> = self.text.iter().map(|t| Part::from(t.as_str())).collect();
        parts[0].media = read_media(&self.image, &self.alt)?;
        Ok(parts)
    }
}

/// Options of `tertulia post`.
#[derive(Debug, Args)]
pub(crate) struct PostArgs {
    /// Where to publish.
    #[arg(long, value_enum)]
    platform: PlatformArg,
    #[command(flatten)]
    compose: Compose,
    /// The idempotency key: the same key never publishes twice. By default
    /// one made from the platform and the content, so running the same
    /// command again publishes nothing new.
    #[arg(long)]
    key: Option<String>,
    /// Check the post against the platform's limits and publish nothing.
    #[arg(long)]
    dry_run: bool,
    /// A credentials file (YAML: `bluesky: {pds, identifier, password}`,
    /// `mastodon: {url, token}`); the environment fills what it lacks.
    #[arg(long)]
    credentials: Option<PathBuf>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Options of `tertulia mentions`.
#[derive(Debug, Args)]
pub(crate) struct MentionsArgs {
    /// Where to listen.
    #[arg(long, value_enum)]
    platform: PlatformArg,
    /// The most mentions to print: the newest ones, printed oldest first.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    limit: u64,
    /// See `tertulia post --credentials`.
    #[arg(long)]
    credentials: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Credentials {
    #[serde(default)]
    bluesky: Option<BlueskyCredentials>,
    #[serde(default)]
    mastodon: Option<MastodonCredentials>,
    /// Per channel of the queue, credentials that replace the ones above
    /// (two channels on one platform are two accounts).
    #[serde(default)]
    channels: std::collections::BTreeMap<String, Credentials>,
}

impl Credentials {
    /// The credentials of the queue's channel `name`: its own section if the
    /// file has one, else the platform's.
    pub(crate) fn for_channel(&self, name: &str) -> Credentials {
        self.channels
            .get(name)
            .cloned()
            .unwrap_or_else(|| Credentials {
                channels: Default::default(),
                ..self.clone()
            })
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlueskyCredentials {
    pds: Option<String>,
    identifier: Option<String>,
    password: Option<Secret>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MastodonCredentials {
    url: Option<String>,
    token: Option<Secret>,
}

pub(crate) fn credentials(path: Option<&PathBuf>) -> Result<Credentials, CliError> {
    match path {
        Some(path) => read_yaml(path),
        None => Ok(Credentials::default()),
    }
}

/// A value from the file, else from the variable `var`.
fn setting(from_file: Option<String>, var: &str, what: &str) -> Result<String, CliError> {
    from_file
        .or_else(|| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{what}: set {var} (or put it in --credentials FILE)"
            ))
        })
}

fn connect_error(e: tertulia_connect::Error) -> CliError {
    CliError::Usage(e.to_string())
}

/// The connector for `platform`; `offline` builds it without credentials,
/// for a dry run (it may still read a Mastodon server's public limits).
/// Returns which limits it checks against, in words, for a dry run to say.
pub(crate) async fn connector(
    platform: PlatformArg,
    file: Option<&PathBuf>,
    offline: bool,
) -> Result<(Arc<dyn Connector>, String), CliError> {
    connector_with(platform, credentials(file)?, offline, None).await
}

/// The connector for `platform` with credentials `c`; where `account` is
/// given, the credentials must be that account's (a Bluesky identifier that
/// is another handle would publish as someone else).
pub(crate) async fn connector_with(
    platform: PlatformArg,
    c: Credentials,
    offline: bool,
    account: Option<&str>,
) -> Result<(Arc<dyn Connector>, String), CliError> {
    Ok(match platform {
        PlatformArg::Bluesky => {
            let b = c.bluesky.unwrap_or_default();
            let pds = b
                .pds
                .or_else(|| std::env::var("TERTULIA_BLUESKY_PDS").ok())
                .unwrap_or_else(|| "https://bsky.social".to_owned());
            let (identifier, password) = if offline {
                ("dry-run.invalid".to_owned(), Secret::new("dry-run"))
            } else {
                (
                    setting(
                        b.identifier,
                        "TERTULIA_BLUESKY_IDENTIFIER",
                        "the Bluesky handle",
                    )?,
                    Secret::new(setting(
                        b.password.map(|p| p.expose().to_owned()),
                        "TERTULIA_BLUESKY_PASSWORD",
                        "the Bluesky app password",
                    )?),
                )
            };
            // A handle that is not the channel's would publish as someone
            // else (an e-mail or a DID cannot be told apart here).
            let handle = |h: &str| h.trim_start_matches('@').to_ascii_lowercase();
            if let Some(account) = account
                && !offline
                && !identifier.starts_with("did:")
                && !identifier.trim_start_matches('@').contains('@')
                && handle(&identifier) != handle(account)
            {
                return Err(CliError::Usage(format!(
                    "the Bluesky credentials are for {identifier}, not this channel's account {account}: give the channel its own under `channels:` in --credentials"
                )));
            }
            // Reading goes through the AppView the PDS proxies to, as a
            // Bluesky PDS does; publishing needs none.
            let mut b = Bluesky::new(&pds, identifier.clone(), password)
                .map_err(connect_error)?
                .with_appview();
            if !offline && let Some(dir) = state_dir() {
                // One file per server and account: a worker run from cron
                // goes on with its session instead of logging in each time.
                let name = content_key(
                    PlatformArg::Bluesky,
                    &[Part::from(format!("{pds} {identifier}"))],
                );
                b = b.with_session_store(Arc::new(FileSessions::new(
                    dir.join(format!("bluesky-{name}.json")),
                )));
            }
            let limits = format!("Bluesky's limits: {}", b.limits());
            (Arc::new(b), limits)
        }
        PlatformArg::Mastodon => {
            let m = c.mastodon.unwrap_or_default();
            let url = m.url.or_else(|| {
                std::env::var("TERTULIA_MASTODON_URL")
                    .ok()
                    .filter(|v| !v.is_empty())
            });
            if offline {
                // No credential needed: the server's own limits when it is
                // named and answers, Mastodon's defaults otherwise.
                let (base, limits, said) = match &url {
                    None => (
                        "https://mastodon.invalid".to_owned(),
                        Mastodon::default_limits(),
                        "Mastodon's default limits (set TERTULIA_MASTODON_URL to check against your server's own)".to_owned(),
                    ),
                    Some(url) => match Mastodon::server_limits(url).await {
                        Ok(limits) => (url.clone(), limits, format!("the limits {url} states")),
                        Err(e) => (
                            url.clone(),
                            Mastodon::default_limits(),
                            format!("Mastodon's default limits ({url}'s own could not be read: {e})"),
                        ),
                    },
                };
                let m = Mastodon::new(&base, "dry-run")
                    .map_err(connect_error)?
                    .with_limits(limits);
                (Arc::new(m), format!("{said}: {limits}"))
            } else {
                let url = setting(url, "TERTULIA_MASTODON_URL", "the Mastodon server")?;
                let token = setting(
                    m.token.map(|t| t.expose().to_owned()),
                    "TERTULIA_MASTODON_TOKEN",
                    "the Mastodon access token",
                )?;
                let m = Mastodon::connect(&url, token)
                    .await
                    .map_err(connect_error)?;
                let limits = format!("the limits {url} states: {}", m.limits());
                (Arc::new(m), limits)
            }
        }
    })
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the connector: {e}")))
}

pub(crate) fn post(args: &PostArgs) -> Result<(), CliError> {
    let parts = args.compose.parts()?;
    let key = match &args.key {
        Some(k) => k.clone(),
        None => content_key(args.platform, &parts),
    };
    let request = PublishRequest {
        idempotency_key: IdempotencyKey::new(key).map_err(connect_error)?,
        parts,
        reply_to: None,
    };
    runtime()?.block_on(async {
        let (inner, limits) =
            connector(args.platform, args.credentials.as_ref(), args.dry_run).await?;
        let published = if args.dry_run {
            DryRun::new(inner).publish(&request).await
        } else {
            Retry::new(inner).publish(&request).await
        }
        .map_err(connect_error)?;
        let mut out = std::io::stdout().lock();
        if args.json {
            serde_json::to_writer(&mut out, &published).map_err(|e| CliError::Stdout(e.into()))?;
            writeln!(out).map_err(CliError::Stdout)?;
        } else {
            let verb = if args.dry_run {
                "would publish"
            } else if published.repeated {
                "already published"
            } else {
                "published"
            };
            for p in &published.posts {
                writeln!(out, "{verb} {}", p.url.as_deref().unwrap_or(&p.id))
                    .map_err(CliError::Stdout)?;
            }
            if args.dry_run {
                writeln!(out, "checked against {limits}").map_err(CliError::Stdout)?;
            }
        }
        Ok(())
    })
}

/// The images at `images` with their alt texts, each checked to be the
/// image its name says.
fn read_media(images: &[PathBuf], alts: &[String]) -> Result<Vec<Media>, CliError> {
    if images.len() != alts.len() {
        return Err(CliError::Usage(format!(
            "{} --image and {} --alt: give each image its alt text",
            images.len(),
            alts.len()
        )));
    }
    let mut media = Vec::new();
    for (path, alt) in images.iter().zip(alts) {
        let bytes = std::fs::read(path).map_err(|source| CliError::Read {
            path: path.clone(),
            source,
        })?;
        let mime = match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("png") => "image/png",
            Some("jpg" | "jpeg") => "image/jpeg",
            Some("gif") => "image/gif",
            Some("webp") => "image/webp",
            _ => {
                return Err(CliError::Usage(format!(
                    "{}: only .png, .jpg, .gif and .webp images",
                    path.display()
                )));
            }
        };
        media.push(Media {
            bytes,
            mime: mime.into(),
            alt_text: Some(alt.clone()),
        });
    }
    Ok(media)
}

/// Where tertulia keeps what it must remember between runs and that is not
/// the store's (login sessions): TERTULIA_STATE_DIR, else
/// $XDG_STATE_HOME/tertulia, else ~/.local/state/tertulia.
fn state_dir() -> Option<PathBuf> {
    let var = |v: &str| {
        std::env::var_os(v)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
    };
    var("TERTULIA_STATE_DIR")
        .or_else(|| var("XDG_STATE_HOME").map(|d| d.join("tertulia")))
        .or_else(|| var("HOME").map(|h| h.join(".local/state/tertulia")))
}

/// A key from the platform and the content: the same post, the same key.
fn content_key(platform: PlatformArg, parts: &[Part]) -> String {
    let mut h = 0xcbf2_9ce4_8422_2325_u64;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes.iter().chain(&[0xff]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(format!("{platform:?}").as_bytes());
    for p in parts {
        eat(p.text.as_bytes());
        for m in &p.media {
            eat(&m.bytes);
            eat(m.alt_text.as_deref().unwrap_or("").as_bytes());
        }
    }
    format!("tertulia-{h:016x}")
}

/// Prints the newest `--limit` mentions oldest first: in time order, as
/// `crisis watch` and every other reader of a stream wants them.
pub(crate) fn mentions(args: &MentionsArgs) -> Result<(), CliError> {
    runtime()?.block_on(async {
        let (c, _) = connector(args.platform, args.credentials.as_ref(), false).await?;
        let c = Retry::new(c);
        let mut stream = c.all_mentions().take(args.limit as usize);
        let mut newest_first = Vec::new();
        while let Some(m) = stream.next().await {
            newest_first.push(m.map_err(connect_error)?);
        }
        // Pages come newest first; a stable sort keeps ties as they came.
        let mut mentions = newest_first;
        mentions.reverse();
        mentions.sort_by_key(|m| m.created_at);
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for m in &mentions {
            serde_json::to_writer(&mut out, m).map_err(|e| CliError::Stdout(e.into()))?;
            writeln!(out).map_err(CliError::Stdout)?;
        }
        out.flush().map_err(CliError::Stdout)
    })
}
