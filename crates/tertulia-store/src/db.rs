//! Opening a store: the address, the backend, its migrations, and the
//! errors a person can act on.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{AnyPool, Executor, Row};

use crate::error::{Error, Result};

static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

/// How long a statement waits for another process's lock on a SQLite
/// file before the store answers [`Error::Locked`].
pub(crate) const SQLITE_WAIT: Duration = Duration::from_secs(10);

/// Which database holds the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// One SQLite file, embedded: the default, for one machine.
    Sqlite,
    /// A PostgreSQL server: for several workers on several machines.
    Postgres,
}

/// The database behind a store, opened and migrated.
#[derive(Debug, Clone)]
pub(crate) struct Db {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    /// The file, or `postgres://user@host:port/db` without the password.
    pub(crate) location: String,
    /// Random at creation: tells this store's idempotency keys from
    /// another store's on the same account.
    pub(crate) id: String,
}

impl Db {
    pub(crate) async fn open(address: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let (backend, url, location) = parse(address)?;
        let sqlite = backend == Backend::Sqlite;
        if sqlite {
            check_sqlite_header(&location)?;
        }
        let options = AnyConnectOptions::from_str(&url).map_err(|e| Error::Unavailable {
            location: location.clone(),
            detail: e.to_string(),
        })?;
        // One connection first: a server that is down or refuses the user
        // answers at once, with its own words, before a pool would retry
        // until its timeout.
        let probe = <sqlx::AnyConnection as sqlx::Connection>::connect_with(&options)
            .await
            .map_err(|e| classify(&location, backend, e))?;
        let _ = sqlx::Connection::close(probe).await;
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(15))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // WAL: readers never wait for the writer. NORMAL:
                        // a commit survives a killed process; a power cut
                        // may lose the last ones, which idempotent publishing
                        // then repeats harmlessly (DESIGN.md).
                        for pragma in [
                            "PRAGMA busy_timeout = 10000",
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA synchronous = NORMAL",
                        ] {
                            conn.execute(pragma).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| classify(&location, backend, e))?;
        let db = Db {
            pool,
            backend,
            location,
            id: String::new(),
        };
        db.check_is_ours().await?;
        if sqlite {
            // Changing the journal mode takes a lock no busy handler waits
            // for: retry a moment when another process is opening too.
            let mut tries = 0;
            loop {
                match sqlx::query("PRAGMA journal_mode = WAL")
                    .execute(&db.pool)
                    .await
                {
                    Ok(_) => break,
                    Err(e) if is_busy(&e) && tries < 50 => {
                        tries += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(e) => return Err(db.err(e)),
                }
            }
        }
        db.migrate().await?;
        let id = db.store_id().await?;
        Ok(Db { id, ..db })
    }

    /// Maps a driver error to one a person can act on.
    pub(crate) fn err(&self, e: sqlx::Error) -> Error {
        classify(&self.location, self.backend, e)
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE,
            Backend::Postgres => &POSTGRES,
        }
    }

    /// Refuses a database that holds tables but none of ours.
    async fn check_is_ours(&self) -> Result<()> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            }
            Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1"
            }
        };
        let tables: Vec<String> = sqlx::query_scalar(sql)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        if tables.is_empty() || tables.iter().any(|t| t == "store_meta") {
            return Ok(());
        }
        let shown: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
        Err(Error::NotTertulia {
            location: self.location.clone(),
            detail: format!(
                "it holds other tables ({}{})",
                shown.join(", "),
                if tables.len() > 5 { ", ..." } else { "" }
            ),
        })
    }

    async fn migrate(&self) -> Result<()> {
        let migrator = self.migrator();
        let known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        let has_table: bool = match self.backend {
            Backend::Sqlite => sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM sqlite_master WHERE name = '_sqlx_migrations'",
            ),
            Backend::Postgres => sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
            ),
        }
        .fetch_one(&self.pool)
        .await
        .map_err(|e| self.err(e))?
            > 0;
        if has_table {
            let newest: Option<i64> =
                sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations WHERE success")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| self.err(e))?;
            if let Some(version) = newest.filter(|v| *v > known) {
                return Err(Error::Newer {
                    location: self.location.clone(),
                    version,
                    known,
                });
            }
        }
        migrator.run(&self.pool).await.map_err(|e| match e {
            MigrateError::VersionMissing(version) => Error::Newer {
                location: self.location.clone(),
                version,
                known,
            },
            MigrateError::Execute(e) => self.err(e),
            other => Error::NotTertulia {
                location: self.location.clone(),
                detail: format!("its schema history does not match this tertulia's: {other}"),
            },
        })
    }

    async fn store_id(&self) -> Result<String> {
        let seed = format!(
            "{}:{}:{:?}",
            self.location,
            std::process::id(),
            std::time::SystemTime::now()
        );
        let fresh: String = Sha256::digest(seed.as_bytes())[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        sqlx::query(
            "INSERT INTO store_meta (key, value) VALUES ('store_id', $1) ON CONFLICT (key) DO NOTHING",
        )
        .bind(fresh)
        .execute(&self.pool)
        .await
        .map_err(|e| self.err(e))?;
        let row = sqlx::query("SELECT value FROM store_meta WHERE key = 'store_id'")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        row.try_get::<String, _>(0).map_err(|e| self.err(e))
    }

    /// SQL that claims rows: Postgres skips rows another worker holds.
    pub(crate) fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// A write transaction: SQLite takes the write lock at once, so a read
    /// followed by a write never fails on a snapshot another process moved.
    pub(crate) async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
        .map_err(|e| self.err(e))
    }
}

/// Refuses a file that is there but is no SQLite database, before a driver
/// would retry opening it until its timeout.
fn check_sqlite_header(path: &str) -> Result<()> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let n = match std::fs::File::open(path) {
        Ok(mut f) => f.read(&mut head).map_err(|e| Error::Unavailable {
            location: path.to_owned(),
            detail: e.to_string(),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(Error::Unavailable {
                location: path.to_owned(),
                detail: e.to_string(),
            });
        }
    };
    if n == 0 || head == *b"SQLite format 3\0" {
        Ok(())
    } else {
        Err(Error::NotTertulia {
            location: path.to_owned(),
            detail: "it is not a SQLite file".into(),
        })
    }
}

fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            matches!(d.code().as_deref(), Some("5" | "6" | "517"))
                || d.message().contains("database is locked")
        }
        _ => false,
    }
}

fn classify(location: &str, backend: Backend, e: sqlx::Error) -> Error {
    let location = location.to_owned();
    match &e {
        sqlx::Error::Database(d) if backend == Backend::Sqlite => {
            if is_busy(&e) {
                return Error::Locked {
                    location,
                    waited_s: SQLITE_WAIT.as_secs(),
                };
            }
            if d.code().as_deref() == Some("26") || d.message().contains("not a database") {
                return Error::NotTertulia {
                    location,
                    detail: "it is not a SQLite file".into(),
                };
            }
            if matches!(d.code().as_deref(), Some("14")) {
                return Error::Unavailable {
                    location,
                    detail:
                        "the file cannot be opened or created (is its folder there, and writable?)"
                            .into(),
                };
            }
        }
        sqlx::Error::Io(io) => {
            return Error::Unavailable {
                location,
                detail: io.to_string(),
            };
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
            return Error::Unavailable {
                location,
                detail: "no connection could be had in 15 s".into(),
            };
        }
        sqlx::Error::Tls(t) => {
            return Error::Unavailable {
                location,
                detail: format!("TLS: {t}"),
            };
        }
        sqlx::Error::Database(d) if backend == Backend::Postgres => {
            // 57P01..03: the server is shutting down or restarting;
            // 08xxx: the connection broke.
            if let Some(code) = d.code()
                && (code.starts_with("57P") || code.starts_with("08"))
            {
                return Error::Unavailable {
                    location,
                    detail: d.message().to_owned(),
                };
            }
        }
        _ => {}
    }
    Error::Database {
        location,
        source: e,
    }
}

impl Error {
    /// Whether waiting may help: the server is down or restarting, the
    /// file is locked. A worker waits and tries again on these.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Unavailable { .. } | Error::Locked { .. })
    }
}

/// The backend, the URL sqlx opens and the location shown to people.
fn parse(address: &str) -> Result<(Backend, String, String)> {
    let lower = address.to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        let url = url::Url::parse(address).map_err(|_| Error::Address {
            url: redact(address),
        })?;
        return Ok((Backend::Postgres, address.to_owned(), redact(url.as_str())));
    }
    let path = if let Some(rest) = address.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = address.strip_prefix("sqlite:") {
        rest
    } else if address.contains("://") || address.is_empty() {
        return Err(Error::Address {
            url: redact(address),
        });
    } else {
        address
    };
    let path = path.split('?').next().unwrap_or(path);
    if path.is_empty() {
        return Err(Error::Address {
            url: address.to_owned(),
        });
    }
    let url = format!("sqlite://{path}?mode=rwc");
    Ok((Backend::Sqlite, url, path.to_owned()))
}

/// `address` without a password.
fn redact(address: &str) -> String {
    match url::Url::parse(address) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(None);
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => address.split('@').next_back().unwrap_or("").to_owned(),
    }
}

/// An instant as the store keeps it: microseconds since 1970 UTC.
pub(crate) fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// An instant read back.
pub(crate) fn instant(us: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(us)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let (b, url, loc) = parse("tertulia.db").unwrap();
        assert_eq!(
            (b, url.as_str(), loc.as_str()),
            (
                Backend::Sqlite,
                "sqlite://tertulia.db?mode=rwc",
                "tertulia.db"
            )
        );
        let (b, _, loc) = parse("sqlite:///tmp/x.db").unwrap();
        assert_eq!((b, loc.as_str()), (Backend::Sqlite, "/tmp/x.db"));
        let (b, _, loc) = parse("postgres://ana:s3cret@db.example:5432/tertulia").unwrap();
        assert_eq!(b, Backend::Postgres);
        assert!(!loc.contains("s3cret"), "{loc}");
        let e = parse("mysql://x@y/z").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("\"mysql://x@y/z\" is not a store address"),
            "{e}"
        );
        assert!(parse("").is_err());
    }
}
