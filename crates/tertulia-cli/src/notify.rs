//! `crisis watch --notify`: the notifiers a file names, and the outbox that
//! delivers to them in real time, kept on disk between runs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use serde::Deserialize;
use tertulia_core::Secret;
use tertulia_crisis::incident::Notification;
use tertulia_crisis::notify::{
    Format, HttpNotifier, Notifiers, Outbox, Outcome, PagerDuty, Retry, SignedWebhook, Slack,
};

use crate::CliError;

/// The file `--notify` reads. Secrets are named by the environment
/// variables that hold them, never written in the file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NotifyFile {
    #[serde(default)]
    retry: Option<Retry>,
    notifiers: Vec<NotifierEntry>,
}

/// One notifier: `kind` says which of the other fields it takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NotifierEntry {
    name: String,
    kind: Kind,
    /// Only the notifications for one of these targets; empty for all.
    #[serde(default)]
    targets: Vec<String>,
    /// Seconds before a request is given up (and retried later).
    #[serde(default)]
    timeout_seconds: Option<u64>,
    /// The endpoint (webhook; pagerduty, to replace PagerDuty's own).
    #[serde(default)]
    url: Option<String>,
    /// The variable holding a Slack webhook's URL (the URL is the credential).
    #[serde(default)]
    url_env: Option<String>,
    /// The variable holding a PagerDuty routing key.
    #[serde(default)]
    routing_key_env: Option<String>,
    /// PagerDuty's `source`: the system that saw the problem.
    #[serde(default)]
    source: Option<String>,
    /// The variable holding a webhook's signing secret.
    #[serde(default)]
    secret_env: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    /// A Slack incoming webhook: `url_env`.
    Slack,
    /// PagerDuty Events v2: `routing_key_env`, `source`, optional `url`.
    Pagerduty,
    /// A JSON webhook signed with HMAC-SHA256: `url`, `secret_env`.
    Webhook,
}

/// Notifiers and their outbox.
pub(crate) struct Sender {
    notifiers: Notifiers,
    outbox: Outbox,
    /// Where the outbox is kept, if anywhere.
    path: Option<PathBuf>,
    runtime: tokio::runtime::Runtime,
}

impl Sender {
    /// Reads the notifiers from `config` and the outbox from `outbox` (a
    /// new one if the file is not there yet).
    pub(crate) fn open(config: &Path, outbox_file: Option<&Path>) -> Result<Self, CliError> {
        let bad = |what: String| CliError::Usage(format!("{}: {what}", config.display()));
        let file: NotifyFile = crate::output::read_yaml(config)?;
        if file.notifiers.is_empty() {
            return Err(bad("names no notifiers".into()));
        }
        let crisis = |e: tertulia_crisis::Error| bad(e.to_string());
        let mut notifiers = Notifiers::new();
        for n in file.notifiers {
            let field = |value: Option<String>, key: &str| {
                value
                    .ok_or_else(|| bad(format!("notifier {:?} ({:?}) needs {key}", n.name, n.kind)))
            };
            let secret = |var: Option<String>, key: &str| -> Result<Secret, CliError> {
                let var = field(var, key)?;
                std::env::var(&var).map(Secret::new).map_err(|_| {
                    bad(format!(
                        "notifier {:?}: set the environment variable {var} to its secret",
                        n.name
                    ))
                })
            };
            let unused = match n.kind {
                Kind::Slack => [
                    ("url", n.url.is_some()),
                    ("routing_key_env", n.routing_key_env.is_some()),
                    ("source", n.source.is_some()),
                    ("secret_env", n.secret_env.is_some()),
                ],
                Kind::Pagerduty => [
                    ("url_env", n.url_env.is_some()),
                    ("secret_env", n.secret_env.is_some()),
                    ("", false),
                    ("", false),
                ],
                Kind::Webhook => [
                    ("url_env", n.url_env.is_some()),
                    ("routing_key_env", n.routing_key_env.is_some()),
                    ("source", n.source.is_some()),
                    ("", false),
                ],
            };
            if let Some((key, _)) = unused.iter().find(|(_, set)| *set) {
                return Err(bad(format!(
                    "notifier {:?} ({:?}) takes no {key}",
                    n.name, n.kind
                )));
            }
            let format: Box<dyn Format> = match n.kind {
                Kind::Slack => {
                    let url = secret(n.url_env.clone(), "url_env")?;
                    Box::new(Slack::new(url.expose()).map_err(crisis)?)
                }
                Kind::Pagerduty => {
                    let key = secret(n.routing_key_env.clone(), "routing_key_env")?;
                    let mut pd =
                        PagerDuty::new(key, field(n.source.clone(), "source")?).map_err(crisis)?;
                    if let Some(url) = &n.url {
                        pd = pd.with_url(url).map_err(crisis)?;
                    }
                    Box::new(pd)
                }
                Kind::Webhook => {
                    let url = field(n.url.clone(), "url")?;
                    let key = secret(n.secret_env.clone(), "secret_env")?;
                    Box::new(SignedWebhook::new(&url, key).map_err(crisis)?)
                }
            };
            let timeout = Duration::from_secs(n.timeout_seconds.unwrap_or(10));
            let notifier = HttpNotifier::with_timeout(n.name, format, timeout).map_err(crisis)?;
            notifiers = notifiers
                .with_targets(notifier, n.targets)
                .map_err(crisis)?;
        }
        let outbox = match outbox_file.filter(|p| p.exists()) {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                let mut kept: Outbox =
                    serde_json::from_str(&text).map_err(|source| CliError::Json {
                        path: path.to_owned(),
                        source,
                    })?;
                // A run again after deliveries were given up on: a person
                // has fixed what was wrong, or will see them fail once more.
                let failed: Vec<String> = kept.failed().iter().map(|d| d.id.clone()).collect();
                for id in failed {
                    kept.retry_failed(&id, Utc::now());
                }
                kept
            }
            None => Outbox::new(file.retry.unwrap_or_default()).map_err(crisis)?,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::Usage(format!("cannot start the notifiers: {e}")))?;
        Ok(Sender {
            notifiers,
            outbox,
            path: outbox_file.map(Path::to_owned),
            runtime,
        })
    }

    /// Queues `n` for its notifiers and keeps the outbox.
    pub(crate) fn push(&mut self, n: Notification) -> Result<(), CliError> {
        let incident = n.incident;
        if self.outbox.push(n, &self.notifiers, Utc::now()) == 0 {
            crate::output::warn(&format!(
                "no notifier is for incident {incident}'s targets: nobody is told"
            ));
        }
        self.save()
    }

    /// Makes the attempts due now; prints what came of them on standard
    /// error.
    pub(crate) fn deliver(&mut self) -> Result<(), CliError> {
        let outcomes = self
            .runtime
            .block_on(self.outbox.deliver(&self.notifiers, Utc::now()));
        report(&outcomes);
        self.save()
    }

    /// Delivers until nothing is pending or `patience` has passed. Returns
    /// how many deliveries are still pending (kept in the outbox file if
    /// there is one) and how many were given up on.
    pub(crate) fn drain(&mut self, patience: Duration) -> Result<(usize, usize), CliError> {
        let deadline = Utc::now() + chrono::TimeDelta::from_std(patience).unwrap_or_default();
        self.deliver()?;
        while let Some(due) = self.outbox.next_due() {
            if due > deadline {
                break;
            }
            let wait = (due - Utc::now()).to_std().unwrap_or_default();
            std::thread::sleep(wait);
            self.deliver()?;
        }
        Ok((self.outbox.pending().len(), self.outbox.failed().len()))
    }

    /// Whether the outbox is kept in a file.
    pub(crate) fn kept(&self) -> bool {
        self.path.is_some()
    }

    fn save(&self) -> Result<(), CliError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        // Written beside and renamed: a crash leaves the old file or the
        // new one, never half of one.
        let tmp = path.with_extension("tmp");
        let write = |e: std::io::Error| CliError::Write {
            path: path.clone(),
            source: e,
        };
        let json = serde_json::to_vec(&self.outbox).map_err(|e| write(e.into()))?;
        std::fs::write(&tmp, json).map_err(write)?;
        std::fs::rename(&tmp, path).map_err(write)
    }
}

fn report(outcomes: &[Outcome]) {
    for o in outcomes {
        eprintln!("tertulia: {o}");
    }
}
