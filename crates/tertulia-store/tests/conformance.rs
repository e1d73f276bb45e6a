//! The store suite on both backends: a SQLite file, and the PostgreSQL
//! that `scripts/test.sh` starts (or the one `TERTULIA_POSTGRES_URL`
//! names).

use tertulia_store::{Store, conformance};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_passes_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    let report = conformance::run(|| {
        n += 1;
        let path = dir.path().join(format!("store-{n}.db"));
        async move { Store::open(path.to_str().unwrap()).await }
    })
    .await;
    println!("{report}");
    assert!(report.failed.is_empty(), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_passes_the_suite() {
    let Some(url) = postgres() else { return };
    let report = conformance::run(|| {
        let url = url.clone();
        async move { Store::open(&conformance::fresh_postgres(&url).await?).await }
    })
    .await;
    println!("{report}");
    assert!(report.failed.is_empty(), "{report}");
}

/// The server to test on; `None` (with the reason printed) when there is
/// none, unless `TERTULIA_REQUIRE_POSTGRES` says a run must not skip it.
pub fn postgres() -> Option<String> {
    match std::env::var("TERTULIA_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("TERTULIA_REQUIRE_POSTGRES").is_some() => {
            panic!(
                "TERTULIA_REQUIRE_POSTGRES is set but TERTULIA_POSTGRES_URL is not: run scripts/test.sh"
            )
        }
        _ => {
            eprintln!(
                "skipped: no PostgreSQL (set TERTULIA_POSTGRES_URL, or run scripts/test.sh, which starts one)"
            );
            None
        }
    }
}
