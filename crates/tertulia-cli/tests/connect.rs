//! `tertulia post` and `tertulia mentions`: dry runs and refusals offline,
//! and real posts on the test PDS when `scripts/test.sh` runs one.

use std::process::{Command, Output};

fn tertulia(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tertulia"));
    c.args(args);
    for var in [
        "TERTULIA_BLUESKY_PDS",
        "TERTULIA_BLUESKY_IDENTIFIER",
        "TERTULIA_BLUESKY_PASSWORD",
        "TERTULIA_MASTODON_URL",
        "TERTULIA_MASTODON_TOKEN",
    ] {
        c.env_remove(var);
    }
    c.envs(env.iter().copied()).output().unwrap()
}

fn text(o: &[u8]) -> String {
    String::from_utf8_lossy(o).into_owned()
}

/// Asserts that the command's error output says `what`.
#[track_caller]
fn says(o: &Output, what: &str) {
    let stderr = text(&o.stderr);
    assert!(stderr.contains(what), "{stderr}");
}

#[test]
fn a_dry_run_checks_the_limits_and_publishes_nothing() {
    let o = tertulia(
        &[
            "post",
            "--platform",
            "bluesky",
            "--text",
            "Glow Serum ✨",
            "--dry-run",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).starts_with("would publish dry-run:tertulia-"),
        "{}",
        text(&o.stdout)
    );
    let long = "a".repeat(301);
    let o = tertulia(
        &[
            "post",
            "--platform",
            "bluesky",
            "--text",
            &long,
            "--dry-run",
        ],
        &[],
    );
    assert!(!o.status.success());
    assert_eq!(
        text(&o.stderr).trim(),
        "tertulia: parts[0].text: 301 graphemes, 1 over the limit of 300"
    );
    let o = tertulia(
        &[
            "post",
            "--platform",
            "mastodon",
            "--text",
            "1/2",
            "--text",
            "2/2",
            "--thread",
            "--dry-run",
        ],
        &[("TERTULIA_MASTODON_URL", "https://m.example")],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[..2].iter().all(|l| l.starts_with("would publish ")),
        "{out}"
    );
    // m.example does not answer, so the check says it fell back to the defaults.
    assert!(
        lines[2].starts_with(
            "checked against Mastodon's default limits (https://m.example's own could not be read"
        ),
        "{out}"
    );
}

#[test]
fn refusals_say_what_is_missing() {
    let o = tertulia(&["post", "--platform", "bluesky", "--text", "hi"], &[]);
    says(&o, "TERTULIA_BLUESKY_IDENTIFIER");
    let o = tertulia(
        &[
            "post",
            "--platform",
            "mastodon",
            "--text",
            "a",
            "--text",
            "b",
            "--dry-run",
        ],
        &[],
    );
    says(&o, "add --thread");
    let o = tertulia(
        &[
            "post",
            "--platform",
            "bluesky",
            "--text",
            "a",
            "--image",
            "x.png",
            "--dry-run",
        ],
        &[],
    );
    says(&o, "alt text");
    // A password on the command line is not an option there is.
    let o = tertulia(
        &[
            "post",
            "--platform",
            "bluesky",
            "--text",
            "a",
            "--password",
            "x",
        ],
        &[],
    );
    assert!(!o.status.success());
}

#[tokio::test]
async fn posting_on_the_test_pds_is_once_per_content() {
    let Ok(pds) = std::env::var("TERTULIA_PDS_URL") else {
        eprintln!("skipped: no PDS (TERTULIA_PDS_URL is unset; scripts/test.sh starts one)");
        return;
    };
    let handle = format!("cli{:x}.test", std::process::id() & 0xffff);
    let password = "cli-test-password";
    let r = reqwest::Client::new()
        .post(format!("{pds}/xrpc/com.atproto.server.createAccount"))
        .json(&serde_json::json!({"email": format!("{handle}@example.com"), "handle": handle, "password": password}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let env = [
        ("TERTULIA_BLUESKY_PDS", pds.as_str()),
        ("TERTULIA_BLUESKY_IDENTIFIER", handle.as_str()),
        ("TERTULIA_BLUESKY_PASSWORD", password),
    ];
    let args = [
        "post",
        "--platform",
        "bluesky",
        "--text",
        "From the command line #tertulia",
    ];
    let first = tertulia(&args, &env);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout).starts_with("published https://bsky.app/profile/"),
        "{}",
        text(&first.stdout)
    );
    let again = tertulia(&args, &env);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(
        text(&again.stdout).replace("already published", "published"),
        text(&first.stdout),
        "the same content, the same post"
    );
    assert!(!text(&first.stderr).contains(password));
    // No AppView behind the test PDS: mentions cannot be read, and it says so.
    let o = tertulia(&["mentions", "--platform", "bluesky"], &env);
    assert!(!o.status.success());
    says(&o, "unavailable");
}
