//! Your own connector: a made-up platform, "Tablón" (a community's notice
//! board), behind tertulia's one `Connector` trait, checked by the same
//! conformance suite every connector of tertulia passes.
//!
//! Start a connector of your own from this file: replace `Board`, the
//! platform's side, with calls to your platform's API, keep what the trait
//! asks (say what you can do in `capabilities`, your limits in `limits`,
//! publish once per idempotency key), and keep the test at the end, which
//! runs `tertulia_connect::conformance::run` on it. Retries, rate limits and
//! dry runs then come from tertulia's layers, as for Bluesky and Mastodon.
//!
//! ```sh
//! cargo run --example connector      # prints the conformance report
//! cargo test --example connector     # the same, as a test
//! ```

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{TimeDelta, TimeZone, Utc};
use tertulia::connect::conformance::{Setup, run};
use tertulia::connect::layers::Retry;
use tertulia::connect::{
    Capabilities, Capability, Connector, Cursor, Error, LengthUnit, Limits, Page, PageRequest,
    PostRef, PublishRequest, Published, Result, validate,
};
use tertulia::core::{AccountId, Author, Handle, Mention, MentionId, Platform};

/// The platform's side: notices, by the key they were posted with, and the
/// notes people addressed to the account. A real connector holds an HTTP
/// client here instead, and each method below makes a call.
#[derive(Debug, Default)]
struct Board {
    /// Notice id → (idempotency key, text), in the order posted.
    notices: BTreeMap<u64, (String, String)>,
    next: u64,
    /// Notes to the account, newest last.
    notes: Vec<Mention>,
}

/// The connector for Tablón.
#[derive(Debug, Default)]
pub struct Tablon {
    board: Mutex<Board>,
}

impl Tablon {
    /// A board with `notes` people wrote to the account.
    pub fn with_notes(notes: usize) -> Self {
        let mut board = Board::default();
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        for i in 0..notes {
            let author = Author::new(
                AccountId::new(format!("neighbour-{i}")).unwrap(),
                Handle::new(format!("neighbour{i}")).unwrap(),
            );
            board.notes.push(Mention::new(
                MentionId::new(format!("note-{i}")).unwrap(),
                Platform::Other("tablon".into()),
                author,
                start + TimeDelta::minutes(i as i64),
                format!("@barrio is the market open on Sunday? ({i})"),
            ));
        }
        Tablon {
            board: Mutex::new(board),
        }
    }

    fn board(&self) -> std::sync::MutexGuard<'_, Board> {
        // A panic elsewhere cannot leave the board half-written: every
        // change below is one insertion or removal.
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Connector for Tablon {
    fn platform(&self) -> Platform {
        Platform::Other("tablon".into())
    }

    /// What Tablón can do. Threads, media and metrics it cannot: the
    /// trait's defaults answer `Error::Unsupported` for them, and the
    /// conformance suite checks that they do.
    fn capabilities(&self) -> Capabilities {
        Capabilities::from_iter([
            Capability::Publish,
            Capability::IdempotentPublish,
            Capability::Delete,
            Capability::Mentions,
        ])
    }

    fn limits(&self) -> Limits {
        Limits {
            max_length: 280,
            unit: LengthUnit::Characters,
            max_text_bytes: None,
            url_weight: None,
            max_media: 0,
            max_media_bytes: None,
            max_alt_text: None,
            max_thread: Some(1),
        }
    }

    async fn publish(&self, request: &PublishRequest) -> Result<Published> {
        validate(request, self.capabilities(), &self.limits())?;
        let key = request.idempotency_key.as_str();
        let mut board = self.board();
        // Once per key: a retried publish finds the notice it made.
        if let Some((&id, _)) = board.notices.iter().find(|(_, (k, _))| k == key) {
            return Ok(Published {
                posts: vec![PostRef::new(id.to_string())],
                repeated: true,
            });
        }
        board.next += 1;
        let id = board.next;
        board
            .notices
            .insert(id, (key.to_owned(), request.parts[0].text.clone()));
        Ok(Published {
            posts: vec![PostRef::new(id.to_string())],
            repeated: false,
        })
    }

    async fn delete(&self, post: &PostRef) -> Result<()> {
        let id: u64 = post.id.parse().map_err(|_| Error::NotFound {
            what: format!("notice {}", post.id),
        })?;
        match self.board().notices.remove(&id) {
            Some(_) => Ok(()),
            None => Err(Error::NotFound {
                what: format!("notice {id}"),
            }),
        }
    }

    /// Newest first, `limit` a page; the cursor is where the next page
    /// starts, counted from the newest.
    async fn mentions(&self, page: &PageRequest) -> Result<Page<Mention>> {
        let board = self.board();
        let from = match &page.cursor {
            Some(Cursor(at)) => at.parse::<usize>().map_err(|_| Error::Validation {
                field: "cursor".into(),
                message: format!("{at:?} is not a cursor this connector gave"),
            })?,
            None => 0,
        };
        let limit = page.limit.unwrap_or(20).max(1);
        let items: Vec<Mention> = board
            .notes
            .iter()
            .rev()
            .skip(from)
            .take(limit)
            .cloned()
            .collect();
        let end = from + items.len();
        Ok(Page {
            next: (end < board.notes.len()).then(|| Cursor(end.to_string())),
            items,
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // The connector alone, and behind the retry layer every connector gets.
    let board = Tablon::with_notes(5);
    match run(&board, &Setup::new("example")).await {
        Ok(report) => print!("Tablón:\n{report}"),
        Err(failure) => {
            eprintln!("{failure}");
            std::process::exit(1);
        }
    }
    match run(&Retry::new(Tablon::with_notes(5)), &Setup::new("example")).await {
        Ok(report) => print!("Tablón behind Retry:\n{report}"),
        Err(failure) => {
            eprintln!("{failure}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tablon_passes_the_conformance_suite() {
        let report = run(&Tablon::with_notes(5), &Setup::new("t")).await.unwrap();
        let skipped: Vec<Capability> = report.skipped().map(|(_, c)| c).collect();
        // What it cannot do is skipped, and only that.
        assert_eq!(skipped, [Capability::Thread, Capability::Media], "{report}");
        let retried = run(&Retry::new(Tablon::with_notes(5)), &Setup::new("t")).await;
        assert!(retried.is_ok(), "{retried:?}");
    }
}
