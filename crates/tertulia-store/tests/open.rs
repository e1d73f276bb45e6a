//! Opening a store: what is refused, and what survives a reopen.

use sqlx::Connection;
use tertulia_store::{Channel, Content, Error, NewPost, Store};

fn channel() -> Channel {
    Channel {
        name: "brand-bsky".into(),
        platform: tertulia_core::Platform::Bluesky,
        account: "brand.example".into(),
        zone: chrono_tz::Europe::Madrid,
        constraints: Default::default(),
    }
}

#[tokio::test]
async fn a_file_that_is_not_a_database_is_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, "these are my notes, not a database\n".repeat(200)).unwrap();
    let e = Store::open(path.to_str().unwrap()).await.unwrap_err();
    assert!(matches!(e, Error::NotTertulia { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.contains("notes.db is not a tertulia database: it is not a SQLite file"),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
    // Nothing was written into it.
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("these are my notes")
    );
}

#[tokio::test]
async fn another_programs_sqlite_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
        .execute(&mut c)
        .await
        .unwrap();
    c.close().await.unwrap();
    let e = Store::open(path.to_str().unwrap()).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{} is not a tertulia database: it holds other tables (invoices); give another --db",
            path.display()
        )
    );
}

#[tokio::test]
async fn a_database_from_a_newer_tertulia_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tertulia.db");
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    store.close().await;
    let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', 1, x'00', 0)",
    )
    .execute(&mut c)
    .await
    .unwrap();
    c.close().await.unwrap();
    let e = Store::open(path.to_str().unwrap()).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Newer {
                version: 9999,
                known: 1,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().ends_with("upgrade tertulia to open it"),
        "{e}"
    );
}

#[tokio::test]
async fn what_was_stored_is_there_after_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tertulia.db");
    let path = path.to_str().unwrap();
    let store = Store::open(path).await.unwrap();
    store.add_channel(&channel()).await.unwrap();
    let id = store
        .add_post(&NewPost {
            content: Content::text("hola"),
            channels: vec!["brand-bsky".into()],
            at: None,
            zone: chrono_tz::Europe::Madrid,
            approver: None,
            by: "ana".into(),
        })
        .await
        .unwrap();
    let key = store.key_of(1);
    store.close().await;
    let store = Store::open(&format!("sqlite://{path}")).await.unwrap();
    assert_eq!(store.post(id).await.unwrap().content, Content::text("hola"));
    assert_eq!(store.key_of(1), key, "keys stay the same across opens");
    let other = Store::open(dir.path().join("other.db").to_str().unwrap())
        .await
        .unwrap();
    assert_ne!(other.key_of(1), key, "another store's keys differ");
}

#[tokio::test]
async fn a_file_locked_by_another_program_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tertulia.db");
    let store = Store::open(path.to_str().unwrap()).await.unwrap();
    let mut holder = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut holder)
        .await
        .unwrap();
    let e = store.add_channel(&channel()).await.unwrap_err();
    assert!(matches!(e, Error::Locked { .. }), "{e:?}");
    assert!(e.is_transient());
    assert!(
        e.to_string()
            .contains("is locked by another program (waited 10 s)"),
        "{e}"
    );
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    store.add_channel(&channel()).await.unwrap();
}

#[tokio::test]
async fn a_postgres_that_is_not_there_is_unavailable() {
    // Port 9 (discard) on loopback: nothing listens there.
    let e = Store::open("postgres://tertulia:pw@127.0.0.1:9/tertulia")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unavailable { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.starts_with("cannot reach postgres://tertulia@127.0.0.1:9/tertulia"),
        "{text}"
    );
    assert!(!text.contains("pw"), "the password shows: {text}");
}
