//! Worker processes killed with SIGKILL while they publish to the real
//! Bluesky PDS, and several workers on one PostgreSQL: what ends up on the
//! platform is checked on the platform itself, from its records.
//!
//! `scripts/test.sh` starts the PDS (`TERTULIA_PDS_URL`) and PostgreSQL
//! (`TERTULIA_POSTGRES_URL`); without them these tests say so and check
//! nothing, unless `TERTULIA_REQUIRE_POSTGRES` says they must run.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

fn tertulia() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tertulia"))
}

fn pds() -> Option<String> {
    match std::env::var("TERTULIA_PDS_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("TERTULIA_REQUIRE_POSTGRES").is_some() => {
            panic!("scripts/test.sh must start the PDS: TERTULIA_PDS_URL is unset")
        }
        Err(_) => {
            eprintln!("skipped: no PDS (TERTULIA_PDS_URL is unset; scripts/test.sh starts one)");
            None
        }
    }
}

/// A new account on the PDS: (handle, password, did).
fn account(pds: &str, name: &str) -> (String, String, String) {
    let handle = format!("{name}{:x}.test", std::process::id() & 0xfffff);
    let password = format!("{handle}-password");
    let out = curl_post(
        &format!("{pds}/xrpc/com.atproto.server.createAccount"),
        &json!({"email": format!("{handle}@example.com"), "handle": handle, "password": password}),
    );
    let did = out["did"]
        .as_str()
        .unwrap_or_else(|| panic!("{out}"))
        .to_owned();
    (handle, password, did)
}

fn curl_post(url: &str, body: &Value) -> Value {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        reqwest::Client::new()
            .post(url)
            .json(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    })
}

/// Every post record of `did` on the PDS: text → how many.
fn records(pds: &str, did: &str) -> BTreeMap<String, usize> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut out = BTreeMap::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!(
                "{pds}/xrpc/com.atproto.repo.listRecords?repo={did}&collection=app.bsky.feed.post&limit=100"
            );
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            // Past the PDS's rate limits: this reads what the platform holds.
            let page: Value = reqwest::Client::new()
                .get(&url)
                .header("x-ratelimit-bypass", "tertulia-test-reader")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let items = page["records"].as_array().unwrap_or_else(|| panic!("{page}"));
            for r in items {
                *out.entry(r["value"]["text"].as_str().unwrap().to_owned()).or_default() += 1;
            }
            match page["cursor"].as_str() {
                Some(c) if !items.is_empty() => cursor = Some(c.to_owned()),
                _ => return out,
            }
        }
    })
}

fn run(cmd: &mut Command) -> String {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn with_account(cmd: &mut Command, db: &str, pds: &str, handle: &str, password: &str) {
    // Sessions kept where the test says: each worker process goes on with
    // the last one's session instead of logging in (the PDS limits logins).
    let state = std::env::temp_dir().join(format!("tertulia-test-state-{}", std::process::id()));
    cmd.args(["--db", db])
        .env("TERTULIA_STATE_DIR", state)
        .env("TERTULIA_USER", "ana")
        .env("TERTULIA_BLUESKY_PDS", pds)
        .env("TERTULIA_BLUESKY_IDENTIFIER", handle)
        .env("TERTULIA_BLUESKY_PASSWORD", password);
}

fn add_channel(db: &str, pds: &str, handle: &str, password: &str) {
    let mut c = tertulia();
    c.args([
        "channels",
        "add",
        "b",
        "--platform",
        "bluesky",
        "--account",
        handle,
        "--tz",
        "Europe/Madrid",
    ]);
    with_account(&mut c, db, pds, handle, password);
    run(&mut c);
}

/// Posts due now, by `tertulia queue add`.
fn add_posts(db: &str, pds: &str, handle: &str, password: &str, texts: &[Vec<String>]) {
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Madrid);
    for parts in texts {
        let mut c = tertulia();
        c.args([
            "queue",
            "add",
            "--channel",
            "b",
            "--tz",
            "Europe/Madrid",
            "--at",
        ])
        .arg(now.format("%Y-%m-%d %H:%M").to_string());
        if parts.len() > 1 {
            c.arg("--thread");
        }
        for p in parts {
            c.args(["--text", p]);
        }
        with_account(&mut c, db, pds, handle, password);
        run(&mut c);
    }
}

/// A proxy in front of the PDS that marks every request with the PDS's
/// rate-limit bypass key (set by `crates/tertulia-bluesky/pds/start.mjs`):
/// the PDS allows one address 3,000 calls in 5 minutes, fewer than 10,000
/// publishes, and every worker here calls from 127.0.0.1; and an account
/// about 1,600 new records an hour. One request per
/// connection, so each gets the header. Runs until the test ends.
fn bypassing_proxy(pds: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let upstream = pds
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if client.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let text = String::from_utf8_lossy(&head);
                    let mut lines: Vec<&str> = text
                        .split("\r\n")
                        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
                        .collect();
                    lines.truncate(lines.len() - 2);
                    let mut out = lines.join("\r\n");
                    out.push_str(
                        "\r\nx-ratelimit-bypass: tertulia-test-reader\r\nconnection: close\r\n\r\n",
                    );
                    let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    if server.write_all(out.as_bytes()).await.is_err() {
                        return;
                    }
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
    });
    address
}

/// A small seeded generator, so every run kills at the same points.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Every target in the queue, as `queue list --json` gives it.
fn targets(db: &str) -> Vec<Value> {
    let out = run(tertulia().args(["queue", "list", "--json", "--db", db]));
    out.lines()
        .flat_map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            v["targets"].as_array().unwrap().clone()
        })
        .collect()
}

/// How many targets are in each state.
fn states(db: &str) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    for t in targets(db) {
        *n.entry(t["state"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    n
}

/// Runs `tertulia run --once` until nothing is left to send (leases of
/// killed workers run out after a second).
fn finish(db: &str, pds: &str, handle: &str, password: &str) {
    for _ in 0..30 {
        let s = states(db);
        if s.keys().all(|k| k == "published") {
            return;
        }
        std::thread::sleep(Duration::from_millis(1100));
        let mut c = tertulia();
        c.args(["run", "--once", "--lease-seconds", "1"]);
        with_account(&mut c, db, pds, handle, password);
        run(&mut c);
    }
    panic!(
        "the queue did not finish: {:?}; why: {:?}",
        states(db),
        failures(db)
    );
}

/// Why targets that did not publish failed: error → how many.
fn failures(db: &str) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    for t in targets(db).iter().filter(|t| t["state"] != "published") {
        *n.entry(t["error"].to_string()).or_default() += 1;
    }
    n
}

#[test]
fn workers_killed_at_200_points_publish_every_post_exactly_once() {
    let Some(pds) = pds() else { return };
    let (handle, password, did) = account(&pds, "crash");
    let platform = pds;
    // The workers write past the PDS's hourly write limit: a worker killed
    // every few hundred milliseconds leaves its calls in flight, and on a
    // slow machine the backlog, and so the calls per kill, grows until the
    // account's hour is spent (what a rate limit does to the queue is
    // `a_rate_limit_waits_for_its_window_and_never_uses_up_the_tries`).
    // What is on the platform is read from the PDS itself.
    let pds = bypassing_proxy(&platform);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tertulia.db");
    let db = db.to_str().unwrap();
    add_channel(db, &pds, &handle, &password);
    let mut rng = Lcg(20_261_203);
    let mut expected = Vec::new();
    let mut in_window = 0;
    for run_no in 0..200 {
        // Two posts and a two-part thread each run.
        let texts = vec![
            vec![format!("crash run {run_no} post a")],
            vec![format!("crash run {run_no} post b")],
            vec![
                format!("crash run {run_no} thread 1/2"),
                format!("crash run {run_no} thread 2/2"),
            ],
        ];
        expected.extend(texts.iter().flatten().cloned());
        add_posts(db, &pds, &handle, &password, &texts);
        let mut c = tertulia();
        c.args(["run", "--every", "1", "--lease-seconds", "1"])
            .env("TERTULIA_TEST_PAUSE_AFTER_PUBLISH_MS", "150")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        with_account(&mut c, db, &pds, &handle, &password);
        let mut child = c.spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.below(700)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // A target that is on the platform but not recorded as published:
        // the kill landed between the platform's answer and the commit.
        let on_platform: usize = records(&platform, &did).values().sum();
        let recorded_parts = published_parts(db);
        if on_platform > recorded_parts {
            in_window += 1;
        }
    }
    finish(db, &pds, &handle, &password);
    let on_platform = records(&platform, &did);
    for text in &expected {
        assert_eq!(
            on_platform.get(text),
            Some(&1),
            "{text:?} is on the platform {:?} times",
            on_platform.get(text)
        );
    }
    assert_eq!(
        on_platform.len(),
        expected.len(),
        "nothing else was published"
    );
    eprintln!(
        "200 kills; {in_window} landed between the platform's answer and the store's commit; {} parts, each once",
        expected.len()
    );
    assert!(
        in_window >= 20,
        "only {in_window} kills fell in the window that matters"
    );
}

/// Parts recorded as published in the store.
fn published_parts(db: &str) -> usize {
    targets(db)
        .iter()
        .filter(|t| t["state"] == "published")
        .map(|t| t["published"]["posts"].as_array().unwrap().len())
        .sum()
}

#[test]
fn four_worker_processes_on_one_postgres_publish_each_post_once() {
    let Some(pds) = pds() else { return };
    let Ok(admin) = std::env::var("TERTULIA_POSTGRES_URL") else {
        assert!(
            std::env::var_os("TERTULIA_REQUIRE_POSTGRES").is_none(),
            "TERTULIA_POSTGRES_URL is unset"
        );
        eprintln!(
            "skipped: no PostgreSQL (TERTULIA_POSTGRES_URL is unset; scripts/test.sh starts one)"
        );
        return;
    };
    let n: usize = std::env::var("TERTULIA_MANY_WORKERS_POSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    // A PDS allows an account about 1,600 new records an hour: the posts
    // are spread over eight accounts, one channel each, each with its own
    // credentials in one file.
    let accounts: Vec<(String, String, String)> = (0..8)
        .map(|i| account(&pds, &format!("many{i}x")))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let proxy = bypassing_proxy(&pds);
    let mut credentials = String::from("channels:\n");
    for (i, (handle, password, _)) in accounts.iter().enumerate() {
        credentials.push_str(&format!(
            "  c{i}:\n    bluesky: {{pds: '{proxy}', identifier: '{handle}', password: '{password}'}}\n"
        ));
    }
    let credentials_file = dir.path().join("credentials.yaml");
    std::fs::write(&credentials_file, credentials).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = rt
        .block_on(tertulia_store::conformance::fresh_postgres(&admin))
        .unwrap();
    let state = dir.path().join("state");
    let worker = |args: &[&str]| {
        let mut c = tertulia();
        c.args(args)
            .args(["--db", &url, "--credentials"])
            .arg(&credentials_file)
            .env("TERTULIA_STATE_DIR", &state)
            .env_remove("TERTULIA_BLUESKY_IDENTIFIER")
            .env_remove("TERTULIA_BLUESKY_PASSWORD");
        c
    };
    // Added straight through the store: 10,000 `queue add` processes would
    // measure process start-up, not the queue.
    rt.block_on(async {
        let store = tertulia_store::Store::open(&url).await.unwrap();
        for (i, (handle, _, _)) in accounts.iter().enumerate() {
            store
                .add_channel(&tertulia_store::Channel {
                    name: format!("c{i}"),
                    platform: tertulia_core::Platform::Bluesky,
                    account: handle.clone(),
                    zone: chrono_tz::Europe::Madrid,
                    constraints: Default::default(),
                })
                .await
                .unwrap();
        }
        let at = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
        for i in 0..n {
            store
                .add_post(&tertulia_store::NewPost {
                    content: tertulia_store::Content::text(format!("many {i}")),
                    channels: vec![format!("c{}", i % accounts.len())],
                    at: Some(at),
                    zone: chrono_tz::Europe::Madrid,
                    approver: None,
                    by: "ana".into(),
                })
                .await
                .unwrap();
        }
    });
    let started = std::time::Instant::now();
    let children: Vec<_> = (0..4)
        .map(|w| {
            worker(&["run", "--once", "--id", &format!("worker-{w}")])
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let took = started.elapsed();
    let left = run(tertulia().args(["queue", "list", "--json", "--db", &url]))
        .lines()
        .filter(|l| !l.contains("\"state\":\"published\""))
        .count();
    assert_eq!(left, 0, "{left} posts not published by the four workers");
    let mut total = 0;
    for (_, _, did) in &accounts {
        let on_platform = records(&pds, did);
        assert!(
            on_platform.values().all(|c| *c == 1),
            "a post went out twice"
        );
        total += on_platform.len();
    }
    assert_eq!(total, n, "{total} distinct posts on the platform");
    eprintln!("4 workers published {n} posts on the PDS in {took:?}, each once");
}
