//! What a new user met, command by command: each command does what the
//! README says, or says in one line why it cannot; it never does less
//! without a word.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tertulia"));
    c.args(args)
        .env_remove("COLUMNS")
        .env_remove("TERTULIA_MASTODON_URL")
        .env_remove("TERTULIA_MASTODON_TOKEN")
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("the binary runs");
    // Written from a thread while the output is read, so neither side waits
    // on a full pipe; the command may stop reading early (a refused input).
    let writer = stdin.map(|input| {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_owned();
        std::thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        })
    });
    let output = child.wait_with_output().unwrap();
    if let Some(w) = writer {
        w.join().unwrap();
    }
    output
}

fn tertulia(args: &[&str]) -> Output {
    run(args, None, &[])
}

fn out(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// The command failed with exactly one line that says `what`.
#[track_caller]
fn one_line(o: &Output, what: &str) {
    let e = err(o);
    assert!(!o.status.success(), "it should fail: {e}");
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    assert!(e.starts_with("tertulia: ") && e.contains(what), "{e}");
    assert!(!e.contains("panicked"), "{e}");
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tertulia-first-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// A simulated community of `weeks` weeks, its files in `dir`.
fn simulate(dir: &Path, weeks: &str) {
    let o = tertulia(&["simulate", "--weeks", weeks, "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", err(&o));
}

const RULES: &str = "- name: insults\n  action: hide\n  body: [idiot]\n";

#[test]
fn moderate_reads_core_mentions_and_never_calls_a_line_without_text_clean() {
    let dir = scratch("moderate");
    let rules = write(&dir, "rules.yaml", RULES);
    let mention = r#"{"id":"m1","platform":"mastodon","author":{"id":"7","handle":"luis"},"created_at":"2026-02-10T09:30:00Z","text":"you idiot","kind":"mention"}"#;
    let input = [
        mention,
        r#"{"id":"z","text":"you idiot"}"#,
        r#"{"id":"q","author":{"name":"x"}}"#,
        r#"["z","you idiot"]"#,
        r#"{"id":"b","body":"you idiot"}"#,
    ]
    .join("\n");
    let o = run(&["moderate", "--rules", &rules], Some(&input), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    let lines: Vec<serde_json::Value> = out(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5, "one line per input line, in order");
    assert_eq!(
        lines[0]["action"], "hide",
        "the core Mention's text is checked"
    );
    assert_eq!(lines[1]["action"], "hide", "text is read as the body");
    assert_eq!(lines[2]["line"], 3);
    assert!(
        lines[2]["error"]
            .as_str()
            .unwrap()
            .contains("no text to check")
    );
    assert_eq!(lines[3]["line"], 4);
    assert!(
        lines[3]["error"]
            .as_str()
            .unwrap()
            .contains("an array is not an item")
    );
    assert_eq!(lines[4]["action"], "hide");
    assert!(
        err(&o).contains("2 input lines were not an item"),
        "{}",
        err(&o)
    );

    // What simulate writes goes through, and the insults in it are caught.
    simulate(&dir, "1");
    let mentions = std::fs::read_to_string(dir.join("mentions.jsonl")).unwrap();
    let house = write(
        &dir,
        "house.yaml",
        "- name: insults\n  action: hide\n  body: [idiot, imbecile, idiota, imbécil, estúpido, payaso, scumbag, gilipollas]\n",
    );
    let o = run(&["moderate", "--rules", &house], Some(&mentions), &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).lines().any(|l| l.contains("\"action\":\"hide\"")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn crisis_watch_takes_the_documented_input_and_refuses_the_rest() {
    let dir = scratch("watch");
    simulate(&dir, "3");
    let mentions = std::fs::read_to_string(dir.join("mentions.jsonl")).unwrap();
    let o = run(&["crisis", "watch"], Some(&mentions), &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        err(&o).contains("; 0 late mentions, 0 lines not a mention"),
        "{}",
        err(&o)
    );

    // Posts are not mentions: one line, not 432 and success.
    let posts = std::fs::read_to_string(dir.join("posts.jsonl")).unwrap();
    let o = run(&["crisis", "watch"], Some(&posts), &[]);
    one_line(&o, "does not hold mentions");

    // Newest first, as some exports are: one line that says so.
    let reversed: String = mentions.lines().rev().map(|l| format!("{l}\n")).collect();
    let o = run(&["crisis", "watch"], Some(&reversed), &[]);
    one_line(&o, "newest first");

    // In order at first, then out of order: most of it comes late.
    let lines: Vec<&str> = mentions.lines().collect();
    let mut shuffled: Vec<&str> = lines[..30].to_vec();
    shuffled.extend(lines[30..].iter().rev());
    let o = run(&["crisis", "watch"], Some(&shuffled.join("\n")), &[]);
    one_line(&o, "most of the input could not be used");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn mentions_come_out_oldest_first_as_crisis_watch_reads_them() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let account = |id: &str| {
        serde_json::json!({"id": id, "username": id, "acct": id, "display_name": id,
            "followers_count": 3, "following_count": 1, "statuses_count": 2,
            "url": format!("https://m.example/@{id}")})
    };
    // The server answers newest first, as Mastodon does.
    let notifications: Vec<serde_json::Value> = (0..3)
        .rev()
        .map(|i| {
            let at = format!("2026-12-01T09:0{i}:00.000Z");
            serde_json::json!({"id": format!("{}", 100 + i), "type": "mention", "created_at": at,
                "account": account(&format!("fan{i}")),
                "status": {"id": format!("{}", 900 + i), "uri": "x", "url": "https://m.example/@fan/1",
                    "created_at": at, "content": format!("<p>@aurora hola {i}</p>"), "in_reply_to_id": null,
                    "visibility": "public", "language": "es", "replies_count": 0, "reblogs_count": 0,
                    "favourites_count": 0, "media_attachments": [], "account": account(&format!("fan{i}"))}})
        })
        .collect();
    Mock::given(method("GET"))
        .and(path("/api/v1/instance"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/notifications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&notifications))
        .mount(&server)
        .await;
    let uri = server.uri();
    let o = tokio::task::spawn_blocking(move || {
        run(
            &["mentions", "--platform", "mastodon"],
            None,
            &[
                ("TERTULIA_MASTODON_URL", &uri),
                ("TERTULIA_MASTODON_TOKEN", "t"),
            ],
        )
    })
    .await
    .unwrap();
    assert!(o.status.success(), "{}", err(&o));
    let times: Vec<String> = out(&o)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["created_at"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(times.len(), 3);
    assert!(
        times.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {times:?}"
    );
    let o = run(&["crisis", "watch"], Some(&out(&o)), &[]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(err(&o).contains("0 late mentions"), "{}", err(&o));
}

const CHANNELS: &str = r#"[{"id": "es", "platform": "facebook", "account": "aurora.es", "zone": "Europe/Madrid",
  "constraints": {"max_per_day": 2,
    "blackouts": [{"range": {"start": "2026-05-05T00:00:00Z", "end": "2026-05-06T00:00:00Z"}, "label": "recall"}],
    "quiet_hours": {"start": "22:00:00", "end": "08:00:00"}}}]"#;

#[test]
fn plan_keeps_recurring_posts_out_of_blackouts_and_places_what_it_can() {
    let dir = scratch("plan");
    let channels = write(&dir, "channels.json", CHANNELS);
    let drafts = write(
        &dir,
        "drafts.json",
        r#"[{"id": "launch", "platform": "facebook", "earliest": "2026-05-04T00:00:00Z", "latest": "2026-05-10T00:00:00Z", "text": "Glow Serum is here"},
            {"id": "night", "platform": "facebook", "earliest": "2026-05-06T22:00:00Z", "latest": "2026-05-06T23:00:00Z"}]"#,
    );
    let recurring = write(
        &dir,
        "recurring.json",
        r#"[{"id": "tips", "channel": "es", "weekday": "Tue", "time": "09:00:00"},
            {"id": "late", "channel": "es", "weekday": "Wed", "time": "23:00:00"}]"#,
    );
    let args = [
        "plan",
        &drafts,
        "--channels",
        &channels,
        "--recurring",
        &recurring,
        "--days",
        "14",
    ];
    let o = tertulia(&[&args[..], &["--json"]].concat());
    assert_eq!(o.status.code(), Some(1), "a draft not placed: {}", err(&o));
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let placed: Vec<(&str, &str)> = plan["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["draft"].as_str().unwrap(), a["local"].as_str().unwrap()))
        .collect();
    assert!(
        placed.contains(&("launch", "Mon 2026-05-04 08:00 Europe/Madrid")),
        "{placed:?}"
    );
    assert!(
        !placed
            .iter()
            .any(|(_, local)| local.contains("2026-05-05") || local.contains(" 23:00")),
        "nothing in the recall or the quiet hours: {placed:?}"
    );
    assert_eq!(plan["assignments"][0]["text"], "Glow Serum is here");
    let unplaced = plan["unplaced"].as_array().unwrap();
    assert_eq!(unplaced[0]["what"], "draft");
    assert_eq!(unplaced[0]["draft"], "night");
    let weeks: Vec<&str> = unplaced[1..]
        .iter()
        .map(|u| u["reason"].as_str().unwrap())
        .collect();
    assert!(
        weeks.iter().any(|r| r.contains("blackout \"recall\"")),
        "{weeks:?}"
    );
    assert_eq!(
        weeks.iter().filter(|r| r.contains("quiet hours")).count(),
        2,
        "{weeks:?}"
    );
    assert_eq!(
        err(&o),
        "tertulia: 1 draft could not be placed (see the reasons under \"unplaced\"); the others are planned\n"
    );

    // Text for people lists what was left out, and why.
    let o = tertulia(&args);
    assert!(
        out(&o).contains("Not placed: draft \"night\": all 2 candidate times"),
        "{}",
        out(&o)
    );
    assert!(
        out(&o).contains("Left out: recurring \"tips\" on Tue 2026-05-05 09:00"),
        "{}",
        out(&o)
    );

    // --kpi chooses what the history's best times optimise.
    let o = tertulia(&[
        "plan",
        &drafts,
        "--channels",
        &channels,
        "--kpi",
        "engagement_per_post",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--kpi needs --history: {}",
        err(&o)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A small Facebook Insights export with weekday numbers only, as the UCI
/// data set has: a month, a weekday number 1-7 and an hour.
fn insights(dir: &Path) -> String {
    let mut csv = String::from(
        "Type;Post Month;Post Weekday;Post Hour;Lifetime Post Total Reach;like;comment;share\n",
    );
    for i in 0..300u32 {
        let (month, day, hour) = (1 + i % 12, 1 + i % 7, (i * 5) % 24);
        let likes = 20 + (i * 37) % 50 + if day == 7 && hour < 12 { 40 } else { 0 };
        csv.push_str(&format!(
            "Photo;{month};{day};{hour};{};{likes};{};{}\n",
            1000 + (i * 13) % 400,
            i % 5,
            i % 3
        ));
    }
    write(dir, "insights.csv", &csv)
}

#[test]
fn numbered_weekdays_stay_numbers_in_json_and_in_the_picture() {
    let dir = scratch("days");
    let file = insights(&dir);
    let svg = dir.join("map.svg");
    let o = tertulia(&[
        "best-times",
        &file,
        "--tz",
        "UTC",
        "--year",
        "2014",
        "--json",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let json = out(&o);
    assert!(
        !json.contains("\"weekday\""),
        "no weekday name the file never gave"
    );
    let r: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(r["numbered_days"], true);
    assert!(
        r["ranked"][0]["slot"]["day"]
            .as_u64()
            .is_some_and(|d| (1..=7).contains(&d))
    );
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(
        picture.contains("day 7") && !picture.contains(">Sun<"),
        "the map names days as the file does"
    );
    let o = tertulia(&["backtest", &file, "--tz", "UTC", "--year", "2014", "--json"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(!out(&o).contains("\"weekday\""));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn best_times_says_whose_times_and_ranks_only_slots_with_posts() {
    let dir = scratch("best");
    simulate(&dir, "4");
    let posts = dir.join("posts.jsonl");
    let posts = posts.to_str().unwrap();
    // --tz is required, as the README says.
    let o = tertulia(&["best-times", posts]);
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("--tz"), "{}", err(&o));
    // Three accounts in three zones are not one account's best times.
    let o = tertulia(&["best-times", posts, "--tz", "Europe/Madrid"]);
    one_line(&o, "holds posts of 3 accounts");
    // Bluesky reports no reach: the default KPI is undefined, and the
    // error names the KPIs the file does have.
    let o = tertulia(&[
        "best-times",
        posts,
        "--tz",
        "America/New_York",
        "--account",
        "aurora.bsky.social",
    ]);
    one_line(
        &o,
        "Use --kpi with one the file has: engagement_by_followers",
    );
    let o = tertulia(&[
        "best-times",
        posts,
        "--tz",
        "Europe/Madrid",
        "--account",
        "aurora.es",
        "--top",
        "200",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    // The posts column of every ranked row is at least 1.
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("│ ") && !l.contains("rank"))
        .collect();
    assert!(!rows.is_empty());
    for row in &rows {
        let cells: Vec<&str> = row.split(['│', '┆']).map(str::trim).collect();
        assert_ne!(cells[5], "0", "a slot with no post ranked: {row}");
    }
    assert!(text.contains("have no post: not ranked"), "{text}");
    // Intervals of rates never reach below zero.
    let o = tertulia(&[
        "best-times",
        posts,
        "--tz",
        "Europe/Madrid",
        "--account",
        "aurora.es",
        "--json",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        r["ranked"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["low"].as_f64().unwrap() >= 0.0)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn backtest_figures_say_what_they_are_or_are_absent() {
    let dir = scratch("backtest");
    // Every post alike: a flat fit, and a model that abstains.
    let mut flat = String::from("created_at,likes,comments,shares,reach\n");
    for i in 0..400 {
        let day = 1 + i % 28;
        let hour = (i * 7) % 24;
        let month = 1 + (i / 28) % 12;
        flat.push_str(&format!(
            "2025-{month:02}-{day:02}T{hour:02}:00:00Z,10,1,1,400\n"
        ));
    }
    let file = write(&dir, "flat.csv", &flat);
    let o = tertulia(&["backtest", &file, "--tz", "UTC"]);
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    assert!(text.contains("recommended: abstains"), "{text}");
    assert!(
        text.contains("recommended vs naive: n/a (the model abstains)"),
        "{text}"
    );
    assert!(text.contains("flat fit ranks nothing"), "{text}");
    let o = tertulia(&["backtest", &file, "--tz", "UTC", "--json"]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r["lift_vs_naive"].is_null());
    assert!(
        r["recommended"]["lift_vs_random"].is_null(),
        "not random's figure under its name"
    );
    assert!(r["model"]["top"].as_array().unwrap().is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn intervals_stay_where_the_figure_can_be() {
    let dir = scratch("intervals");
    let file = write(
        &dir,
        "two.csv",
        "created_at,likes\n2026-01-01T10:00:00Z,1\n2026-01-02T10:00:00Z,42\n",
    );
    let o = tertulia(&["kpi", &file, "--json"]);
    assert!(o.status.success(), "{}", err(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mean = &r["posts"]["rates"]["applause_per_post"]["mean_of_rates"];
    assert_eq!(mean["value"], 21.5);
    assert_eq!(
        mean["interval"]["low"], 0.0,
        "likes per post are never negative"
    );
    assert!(out(&tertulia(&["kpi", &file])).contains("21.50 [0.00–"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dry_runs_need_no_credentials_and_check_every_limit() {
    let o = tertulia(&[
        "post",
        "--platform",
        "mastodon",
        "--text",
        "hola",
        "--dry-run",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        out(&o).contains("checked against Mastodon's default limits"),
        "{}",
        out(&o)
    );
    assert!(out(&o).contains("500 characters"), "{}", out(&o));
    let o = tertulia(&[
        "post",
        "--platform",
        "bluesky",
        "--text",
        "hola",
        "--dry-run",
    ]);
    assert!(
        out(&o).contains("300 graphemes and 3,000 bytes"),
        "{}",
        out(&o)
    );
    // 200 family emoji: 200 graphemes, 5,000 bytes.
    let family = "👨‍👩‍👧‍👦".repeat(200);
    let o = tertulia(&[
        "post",
        "--platform",
        "bluesky",
        "--text",
        &family,
        "--dry-run",
    ]);
    one_line(&o, "5000 bytes of UTF-8, 2000 over the limit of 3000");
    // Bytes that are no image, named .png.
    let dir = scratch("dry");
    let fake = dir.join("photo.png");
    std::fs::write(&fake, vec![0x5a; 4096]).unwrap();
    let image = |path: &Path| {
        tertulia(&[
            "post",
            "--platform",
            "bluesky",
            "--text",
            "hi",
            "--image",
            path.to_str().unwrap(),
            "--alt",
            "x",
            "--dry-run",
        ])
    };
    one_line(&image(&fake), "says image/png but its bytes are no image");
    let big = dir.join("big.png");
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.resize(2_000_001, 0);
    std::fs::write(&big, png).unwrap();
    one_line(&image(&big), "2000001 bytes, 1 over the limit of 2000000");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn messages_speak_of_options_not_of_rust() {
    let dir = scratch("messages");
    let file = insights(&dir);
    let cases: [(&[&str], &str); 6] = [
        (
            &["kpi", &file, "--weekday-one", "sundy"],
            "[possible values: monday, tuesday",
        ),
        (
            &["best-times", &file, "--tz", "UTC", "--kpi", "foo"],
            "[possible values: engagement_by_reach",
        ),
        (
            &["best-times", &file, "--tz", "UTC", "--half-life", "0"],
            "--half-life",
        ),
        (&["best-times", &file, "--tz", "UTC", "--top", "0"], "--top"),
        (&["kpi", &file, "--confidence", "1.5"], "between 0 and 1"),
        (
            &["crisis", "watch", "--bucket-minutes", "7"],
            "--bucket-minutes 7: a day (1,440 minutes)",
        ),
    ];
    for (args, says) in cases {
        let o = run(args, Some(""), &[]);
        one_line(&o, says);
        for internal in ["Error {", "Some(", "::", "{ .."] {
            assert!(!err(&o).contains(internal), "{args:?}: {}", err(&o));
        }
    }
    let help = out(&tertulia(&["best-times", "--help"]));
    assert!(
        help.contains("[possible values: engagement_by_reach, "),
        "{help}"
    );
    let help = out(&tertulia(&["kpi", "--help"]));
    assert!(help.contains("[possible values: kind, weekday"), "{help}");
    // A bucket wider than the detector's default neighbours allows works.
    let sim = scratch("wide");
    simulate(&sim, "2");
    let mentions = std::fs::read_to_string(sim.join("mentions.jsonl")).unwrap();
    let o = run(
        &["crisis", "watch", "--bucket-minutes", "360"],
        Some(&mentions),
        &[],
    );
    assert!(o.status.success(), "{}", err(&o));
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&sim).unwrap();
}

#[test]
fn typos_in_files_people_write_are_refused_with_file_line_and_key() {
    let dir = scratch("typos");
    let policies = [
        (
            "policy.yaml",
            "name: brand\nlevels:\n  - {targets: [cm], delay_minutes: 15}\nloopz: 2\n",
            "policy.yaml: unknown field `loopz`, expected one of name, levels, loops, high_urgency_from, playbooks at line 4",
        ),
        (
            "broken.yaml",
            "name: brand\nlevels: [\n  - {targets: [cm]\n",
            "broken.yaml: ",
        ),
        (
            "statement.yaml",
            "name: brand\nlevels: [{targets: [cm], delay_minutes: 15}]\nplaybooks: [{severity: error, statement: \"We know about {summary}.\"}]\n",
            "read by the public",
        ),
    ];
    for (name, text, says) in policies {
        let policy = write(&dir, name, text);
        let o = run(&["crisis", "watch", "--policy", &policy], Some(""), &[]);
        one_line(&o, says);
    }
    let channels = write(
        &dir,
        "channels.json",
        &CHANNELS.replace("max_per_day", "max_per_dya"),
    );
    let drafts = write(&dir, "drafts.json", "[]");
    let o = tertulia(&[
        "plan",
        &drafts,
        "--channels",
        &channels,
        "--start",
        "2026-05-04",
    ]);
    one_line(&o, "unknown field `max_per_dya`");
    let notify = write(
        &dir,
        "notify.yaml",
        "notifiers:\n  - {name: cm, kind: slack, url_env: X, timeout_secs: 5}\n",
    );
    let o = run(&["crisis", "watch", "--notify", &notify], Some(""), &[]);
    one_line(&o, "unknown field `timeout_secs`");
    let posts = write(
        &dir,
        "posts.jsonl",
        r#"{"id":"p1","platform":"mastodon","author":{"id":"1","handle":"aurora"},"created_at":"2026-01-05T13:11:00Z","text":"","kind":"photo","metrics":{"lieks":4}}"#,
    );
    let o = tertulia(&["kpi", &posts]);
    one_line(&o, "unknown field `lieks`");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dates_are_read_as_exports_write_them_and_bad_rows_can_be_skipped() {
    let dir = scratch("dates");
    let ambiguous = write(&dir, "a.csv", "created_at,likes\n05/03/2026 18:00,4\n");
    let o = tertulia(&["kpi", &ambiguous]);
    one_line(&o, "could be 5 March 2026 or 3 May 2026");
    assert!(err(&o).contains("--date-order dmy or mdy"));
    let o = tertulia(&[
        "kpi",
        &ambiguous,
        "--date-order",
        "dmy",
        "--by",
        "month",
        "--json",
    ]);
    assert!(o.status.success(), "{}", err(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["groups"][0]["label"], "2026-03");
    let forms = write(
        &dir,
        "forms.csv",
        "created_at,likes\n2014-01-21T20:26:05.383,4\n04-11-2018 04:53,2\n1343516756.0,1\n21/01/2014 20:26,5\n",
    );
    let o = tertulia(&["kpi", &forms, "--tz", "Europe/Madrid"]);
    assert!(o.status.success(), "{}", err(&o));
    assert!(out(&o).starts_with("KPIs of 4 posts"), "{}", out(&o));
    let bad = write(
        &dir,
        "bad.csv",
        "created_at,likes\n2026-01-02T10:00:00Z,3\n2026-01-03T10:00:00Z,-4\n2099-01-01T10:00:00Z,1\n",
    );
    let o = tertulia(&["kpi", &bad]);
    one_line(&o, "line 3, column \"likes\"");
    let o = tertulia(&["kpi", &bad, "--skip-bad-rows"]);
    assert!(o.status.success(), "{}", err(&o));
    let e = err(&o);
    assert!(
        e.contains("bad.csv: skipped line 3, column \"likes\": \"-4\""),
        "{e}"
    );
    assert!(e.contains("1 row skipped, 2 read"), "{e}");
    assert!(
        e.contains("1 post is dated in the future (first on line 4)"),
        "{e}"
    );
    assert!(out(&o).starts_with("KPIs of 2 posts"));
    // Empty files say they are empty.
    let empty = write(&dir, "empty.csv", "");
    one_line(&tertulia(&["kpi", &empty]), "empty.csv: the file is empty");
    let header = write(&dir, "header.csv", "created_at,likes\n");
    one_line(
        &tertulia(&["kpi", &header]),
        "header.csv: the file has a header but no rows",
    );
    let o = tertulia(&[
        "kpi",
        &write(
            &dir,
            "typo.csv",
            "created_at,likes,lieks\n2026-01-02T10:00:00Z,3,4\n",
        ),
    ]);
    assert!(
        err(&o).contains("column \"lieks\" is not used: did you mean \"likes\"?"),
        "{}",
        err(&o)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_words_agree_with_the_numbers_and_tables_fit_the_terminal() {
    let dir = scratch("words");
    let one = write(
        &dir,
        "one.csv",
        "created_at,likes\n2026-01-02T10:00:00Z,3\n",
    );
    assert!(out(&tertulia(&["kpi", &one])).starts_with("KPIs of 1 post in "));
    let rules = write(&dir, "rules.yaml", RULES);
    let cases = write(&dir, "cases.yaml", "- body: fine\n  expect: hide\n");
    let o = tertulia(&["moderate", "--rules", &rules, "--test", &cases]);
    assert_eq!(err(&o), "tertulia: 1 case failed\n");
    assert!(out(&o).contains("0 of 1 case pass"), "{}", out(&o));
    // The demo at 80 columns: every table line fits.
    let o = run(&["demo", "--weeks", "3"], None, &[("COLUMNS", "80")]);
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    for line in text.lines().filter(|l| l.starts_with(['┌', '│', '╞', '└'])) {
        assert!(
            line.chars().count() <= 80,
            "{} wide: {line}",
            line.chars().count()
        );
    }
    assert!(!text.contains("about 0 expected"), "{text}");
    assert!(
        !text.contains(" 1 posts") && !text.contains(" 1 incidents"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_demo_says_how_many_steps_it_leaves_out_and_when_days_change() {
    let o = tertulia(&["demo"]);
    assert!(o.status.success(), "{}", err(&o));
    let text = out(&o);
    let watch: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Crisis watch"))
        .take_while(|l| !l.is_empty())
        .collect();
    let json: serde_json::Value =
        serde_json::from_slice(&tertulia(&["demo", "--json"]).stdout).unwrap();
    let steps = json["crisis"]["steps"].as_array().unwrap();
    let start = json["planted"]["crisis"]["start"].as_str().unwrap();
    let after = steps
        .iter()
        .filter(|s| s["at"].as_str().unwrap() >= start)
        .count();
    assert!(after > 10, "{after}");
    let shown = watch
        .iter()
        .filter(|l| l.starts_with("    ") && !l.contains("… and"))
        .count();
    assert_eq!(shown, 10, "{watch:#?}");
    let more = format!("… and {} more steps", after - 10);
    assert!(watch.iter().any(|l| l.contains(&more)), "{watch:#?}");
    // The first step carries its date.
    assert!(
        watch[2]
            .trim_start()
            .chars()
            .take(3)
            .all(char::is_alphabetic),
        "{}",
        watch[2]
    );
    // The holding statement is for the public: no alert figures.
    let statements: Vec<&str> = watch
        .iter()
        .copied()
        .filter(|l| l.contains("holding statement"))
        .collect();
    assert!(!statements.is_empty());
    assert!(
        statements.iter().all(|l| !l.contains("mentions in")),
        "{statements:?}"
    );
}

#[test]
fn crisis_nab_prints_nab_scores_out_of_100() {
    let dir = scratch("nab");
    let mut data = String::from("timestamp,value\n");
    let start = chrono::NaiveDate::from_ymd_opt(2015, 3, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    for i in 0..4_000i64 {
        let at = start + chrono::TimeDelta::minutes(5 * i);
        let value = if (3_000..3_020).contains(&i) {
            400
        } else {
            20 + (i * 7) % 9
        };
        data.push_str(&format!("{},{value}\n", at.format("%Y-%m-%d %H:%M:%S")));
    }
    let file = write(&dir, "spike.csv", &data);
    let window = |i: i64| {
        (start + chrono::TimeDelta::minutes(5 * i))
            .format("%Y-%m-%d %H:%M:%S.000000")
            .to_string()
    };
    let windows = write(
        &dir,
        "windows.json",
        &format!(
            r#"{{"test/spike.csv": [["{}", "{}"]]}}"#,
            window(2_990),
            window(3_040)
        ),
    );
    let o = tertulia(&["crisis", "nab", &file, "--windows", &windows]);
    assert!(o.status.success(), "{}", err(&o));
    let e = err(&o);
    assert!(
        e.contains("standard: score ") && e.contains(" of 100, raw "),
        "{e}"
    );
    assert!(e.contains("1 of 1 window detected"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
