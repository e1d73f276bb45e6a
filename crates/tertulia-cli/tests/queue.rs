//! `tertulia channels`, `queue` and `run` as a person uses them, and every
//! refusal in one line that says what to do.

use std::process::{Command, Output};

fn tertulia(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tertulia"))
        .args(args)
        .current_dir(dir)
        .env("TERTULIA_USER", "ana")
        .env_remove("TERTULIA_DB")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", text(&o.stderr));
    text(&o.stdout)
}

/// Fails with one line on standard error holding `what`.
fn refused(o: &Output, what: &str) {
    assert!(!o.status.success(), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(what), "{err}");
}

fn with_channel() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(&tertulia(
        dir.path(),
        &[
            "channels",
            "add",
            "b",
            "--platform",
            "bluesky",
            "--account",
            "brand.example",
            "--tz",
            "Europe/Madrid",
        ],
    ));
    dir
}

#[test]
fn a_post_over_the_limit_an_image_that_is_not_one_and_an_unknown_channel_are_refused() {
    let dir = with_channel();
    let long = "a".repeat(310);
    let o = tertulia(
        dir.path(),
        &["queue", "add", "--channel", "b", "--text", &long],
    );
    refused(
        &o,
        "b (bluesky): parts[0].text: 310 graphemes, 10 over the limit of 300",
    );
    std::fs::write(dir.path().join("photo.png"), "not an image").unwrap();
    let o = tertulia(
        dir.path(),
        &[
            "queue",
            "add",
            "--channel",
            "b",
            "--text",
            "x",
            "--image",
            "photo.png",
            "--alt",
            "a photo",
        ],
    );
    refused(&o, "says image/png but its bytes are no image");
    let o = tertulia(
        dir.path(),
        &["queue", "add", "--channel", "nope", "--text", "x"],
    );
    refused(&o, "no channel named \"nope\"; the channels are: b");
    let listed = ok(&tertulia(dir.path(), &["queue", "list"]));
    assert!(
        listed.starts_with("no posts yet"),
        "nothing was added: {listed}"
    );
}

#[test]
fn a_time_that_does_not_exist_is_answered_with_when_it_goes_out() {
    let dir = with_channel();
    let o = tertulia(
        dir.path(),
        &[
            "queue",
            "add",
            "--channel",
            "b",
            "--text",
            "hola",
            "--at",
            "2027-03-28 02:30",
            "--tz",
            "Europe/Madrid",
        ],
    );
    let out = ok(&o);
    assert_eq!(
        out.trim(),
        "post 1 added for Sun 2027-03-28 03:00 CEST Europe/Madrid on b"
    );
    assert!(
        text(&o.stderr).contains("2027-03-28 02:30 does not exist in Europe/Madrid (the clocks skip it): it will go out at Sun 2027-03-28 03:00 CEST"),
        "{}",
        text(&o.stderr)
    );
    let o = tertulia(
        dir.path(),
        &[
            "queue",
            "add",
            "--channel",
            "b",
            "--text",
            "twice",
            "--at",
            "2027-10-31 02:30",
            "--tz",
            "Europe/Madrid",
        ],
    );
    ok(&o);
    assert!(
        text(&o.stderr).contains("happens twice in Europe/Madrid (the clocks go back): it will go out at the first, Sun 2027-10-31 02:30 CEST"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn approval_and_the_audit_trail() {
    let dir = with_channel();
    ok(&tertulia(
        dir.path(),
        &[
            "queue",
            "add",
            "--channel",
            "b",
            "--text",
            "launch",
            "--at",
            "2027-05-01 10:00",
            "--tz",
            "Europe/Madrid",
            "--approver",
            "marta",
        ],
    ));
    refused(
        &tertulia(dir.path(), &["queue", "approve", "1", "--by", "luis"]),
        "only marta can approve or reject it, not luis",
    );
    let out = ok(&tertulia(
        dir.path(),
        &[
            "queue", "approve", "1", "--by", "marta", "--note", "legal ok",
        ],
    ));
    assert_eq!(out.trim(), "post 1 approved: scheduled");
    let shown = ok(&tertulia(dir.path(), &["queue", "show", "1"]));
    assert!(shown.starts_with("post 1: scheduled\n"), "{shown}");
    assert!(
        shown.contains("marta approved: approved: legal ok"),
        "{shown}"
    );
    assert!(
        shown.contains("[b] awaiting_approval -> scheduled: approved by marta: legal ok"),
        "{shown}"
    );
    let listed = ok(&tertulia(
        dir.path(),
        &["queue", "list", "--state", "scheduled", "--json"],
    ));
    let v: serde_json::Value = serde_json::from_str(listed.trim()).unwrap();
    assert_eq!(v["state"], "scheduled");
    assert_eq!(v["targets"][0]["channel"], "b");
    refused(
        &tertulia(dir.path(), &["queue", "list", "--state", "sheduled"]),
        "the names are draft, awaiting_approval",
    );
    refused(
        &tertulia(dir.path(), &["queue", "retry", "1"]),
        "nothing to retry: it is scheduled",
    );
    let out = ok(&tertulia(
        dir.path(),
        &["queue", "cancel", "1", "--why", "moved"],
    ));
    assert_eq!(out.trim(), "post 1: cancelled");
}

#[test]
fn stores_that_cannot_be_used_say_why() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.db"), "my notes\n".repeat(100)).unwrap();
    refused(
        &tertulia(dir.path(), &["queue", "list", "--db", "notes.db"]),
        "notes.db is not a tertulia database: it is not a SQLite file; give another --db",
    );
    refused(
        &tertulia(
            dir.path(),
            &[
                "queue",
                "list",
                "--db",
                "postgres://ana:pw@127.0.0.1:9/tertulia",
            ],
        ),
        "cannot reach postgres://ana@127.0.0.1:9/tertulia",
    );
    refused(
        &tertulia(dir.path(), &["run", "--once"]),
        "no channels: add one with `tertulia channels add`",
    );
    refused(
        &tertulia(dir.path(), &["kpi", "--db", "tertulia.db"]),
        "nothing published yet",
    );
}

#[test]
fn credentials_for_another_account_are_refused_and_a_channel_can_have_its_own() {
    let dir = with_channel();
    let o = Command::new(env!("CARGO_BIN_EXE_tertulia"))
        .args(["run", "--once"])
        .current_dir(dir.path())
        .env("TERTULIA_BLUESKY_IDENTIFIER", "other.test")
        .env("TERTULIA_BLUESKY_PASSWORD", "pw")
        .env_remove("TERTULIA_DB")
        .output()
        .unwrap();
    refused(
        &o,
        "channel b: the Bluesky credentials are for other.test, not this channel's account brand.example",
    );
    std::fs::write(
        dir.path().join("credentials.yaml"),
        "bluesky: {identifier: other.test, password: pw}\nchannels:\n  b:\n    bluesky: {identifier: brand.example, password: pw2, pds: 'http://127.0.0.1:9'}\n",
    )
    .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_tertulia"))
        .args(["run", "--once", "--credentials", "credentials.yaml"])
        .current_dir(dir.path())
        .env_remove("TERTULIA_DB")
        .env_remove("TERTULIA_BLUESKY_IDENTIFIER")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "nothing due, nothing sent: {}",
        text(&o.stderr)
    );
}

#[test]
fn a_planned_post_for_two_channels_goes_when_both_have_time() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("mornings.yaml"),
        "quiet_hours: {start: '00:00:00', end: '12:00:00'}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("afternoons.yaml"),
        "quiet_hours: {start: '08:00:00', end: '20:00:00'}\n",
    )
    .unwrap();
    for (name, file) in [("a", "mornings.yaml"), ("b", "afternoons.yaml")] {
        ok(&tertulia(
            dir.path(),
            &[
                "channels",
                "add",
                name,
                "--platform",
                "bluesky",
                "--account",
                &format!("{name}.example"),
                "--tz",
                "Europe/Madrid",
                "--constraints",
                file,
            ],
        ));
    }
    ok(&tertulia(
        dir.path(),
        &[
            "queue",
            "add",
            "--channel",
            "a",
            "--channel",
            "b",
            "--text",
            "both",
            "--plan",
        ],
    ));
    let v: serde_json::Value =
        serde_json::from_str(ok(&tertulia(dir.path(), &["queue", "show", "1", "--json"])).trim())
            .unwrap();
    let at: chrono::DateTime<chrono::Utc> = v["post"]["at"].as_str().unwrap().parse().unwrap();
    let hour = chrono::Timelike::hour(&at.with_timezone(&chrono_tz::Europe::Madrid));
    assert!(
        hour >= 20,
        "a is quiet until 12:00 and b from 08:00 to 20:00, so not {hour}:00"
    );
}

#[test]
fn sigterm_stops_the_worker_cleanly() {
    let dir = with_channel();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tertulia"))
        .args(["run", "--every", "1"])
        .current_dir(dir.path())
        .env("TERTULIA_BLUESKY_IDENTIFIER", "brand.example")
        .env("TERTULIA_BLUESKY_PASSWORD", "pw")
        .env("TERTULIA_BLUESKY_PDS", "http://127.0.0.1:9")
        .env_remove("TERTULIA_DB")
        .spawn()
        .unwrap();
    // Give it time to open the store and make a pass (a process, so real time).
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(child.try_wait().unwrap().is_none(), "it runs until stopped");
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("still running 10 s after SIGTERM");
}
