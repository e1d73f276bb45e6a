//! A PostgreSQL that goes down in the middle of a run: the worker waits,
//! and when the server is back it goes on; nothing is lost or sent twice.
//! The test starts a server of its own (it stops it), with the programs
//! `scripts/test.sh` names in `TERTULIA_PG_BIN`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{TimeDelta, TimeZone, Utc};
use tertulia_connect::{Connector, MemoryConnector};
use tertulia_core::{ManualClock, Platform};
use tertulia_store::{Channel, Content, NewPost, Store};
use tertulia_worker::{Connectors, Options, Worker};

struct Server {
    bin: PathBuf,
    user: Option<String>,
    data: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Server {
    fn pg(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.user {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        }
    }

    fn start(&self) {
        let o = self
            .pg("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-w", "-t", "60", "-l"])
            .arg(self.data.parent().unwrap().join("log"))
            .arg("-o")
            .arg(format!(
                "-h 127.0.0.1 -p {} -k {}",
                self.port,
                self.data.parent().unwrap().display()
            ))
            .arg("start")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }

    fn stop(&self) {
        let o = self
            .pg("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self
            .pg("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

fn server() -> Option<Server> {
    let Some(bin) = std::env::var_os("TERTULIA_PG_BIN").map(PathBuf::from) else {
        assert!(
            std::env::var_os("TERTULIA_REQUIRE_POSTGRES").is_none()
                || std::env::var_os("TERTULIA_POSTGRES_URL").is_some(),
            "TERTULIA_PG_BIN is unset"
        );
        eprintln!(
            "skipped: TERTULIA_PG_BIN names no PostgreSQL programs (scripts/test.sh sets it when it starts its own server)"
        );
        return None;
    };
    let user = std::env::var("TERTULIA_PG_USER").ok();
    let dir = tempfile::tempdir().unwrap();
    if let Some(u) = &user {
        assert!(
            Command::new("chown")
                .arg(u)
                .arg(dir.path())
                .status()
                .unwrap()
                .success()
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = Server {
        bin,
        user,
        data: dir.path().join("data"),
        port,
        _dir: dir,
    };
    let o = s
        .pg("initdb")
        .arg("-D")
        .arg(&s.data)
        .args(["-U", "tertulia", "--auth=trust", "-E", "UTF8"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    s.start();
    Some(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_waits_for_a_server_that_went_down_and_goes_on() {
    let Some(server) = server() else { return };
    let url = format!("postgres://tertulia@127.0.0.1:{}/postgres", server.port);
    let store = Store::open(&url).await.unwrap();
    store
        .add_channel(&Channel {
            name: "a".into(),
            platform: Platform::Bluesky,
            account: "a.example".into(),
            zone: chrono_tz::UTC,
            constraints: Default::default(),
        })
        .await
        .unwrap();
    let t0 = Utc.with_ymd_and_hms(2027, 3, 1, 9, 0, 0).unwrap();
    let add = |i: i64| NewPost {
        content: Content::text(format!("post {i}")),
        channels: vec!["a".into()],
        at: Some(t0 + TimeDelta::minutes(i)),
        zone: chrono_tz::UTC,
        approver: None,
        by: "ana".into(),
    };
    for i in 0..20 {
        store.add_post(&add(i)).await.unwrap();
    }
    let clock = Arc::new(ManualClock::new(t0));
    let platform = MemoryConnector::new().with_clock(clock.clone());
    let mut connectors = Connectors::new();
    connectors.insert("a", Arc::new(platform.clone()) as Arc<dyn Connector>);
    let mut options = Options::new("w");
    options.tick = Duration::from_millis(50);
    let worker = Worker::new(store.clone(), connectors, clock.clone(), options).unwrap();
    let waits = Arc::new(AtomicUsize::new(0));
    let running = {
        let worker = worker.clone();
        let waits = waits.clone();
        tokio::spawn(async move {
            worker
                .run(
                    |_| {},
                    |_| {
                        waits.fetch_add(1, Ordering::Relaxed);
                    },
                )
                .await
        })
    };
    // Half the posts come due and go out; then the server goes down.
    clock.set(t0 + TimeDelta::minutes(9));
    until(|| platform.posts().len() == 10).await;
    server.stop();
    clock.set(t0 + TimeDelta::minutes(19));
    until(|| waits.load(Ordering::Relaxed) > 0).await;
    assert_eq!(
        platform.posts().len(),
        10,
        "nothing went out without the store"
    );
    server.start();
    until(|| platform.posts().len() == 20).await;
    worker.stopper().stop();
    running.await.unwrap().unwrap();
    let mut texts: Vec<String> = platform.posts().into_iter().map(|p| p.text).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), 20, "each post once");
}

/// Waits (in real time: a server is starting and stopping) until `done`.
async fn until(mut done: impl FnMut() -> bool) {
    for _ in 0..600 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("waited a minute");
}
