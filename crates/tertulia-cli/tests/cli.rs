//! The `tertulia` binary as people and scripts use it.

use std::path::PathBuf;
use std::process::{Command, Output};

fn tertulia(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tertulia"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 errors")
}

#[test]
fn demo_json_is_valid_and_the_same_every_time() {
    let first = tertulia(&["demo", "--seed", "7", "--json"]);
    assert!(first.status.success(), "{}", stderr(&first));
    // Piped output draws no progress bar and prints nothing else on stderr.
    assert_eq!(stderr(&first), "");
    let second = tertulia(&["demo", "--seed", "7", "--json"]);
    assert_eq!(first.stdout, second.stdout, "same seed, same bytes");

    let report: serde_json::Value = serde_json::from_slice(&first.stdout).expect("valid JSON");
    assert_eq!(report["seed"], 7);
    assert_eq!(report["weeks"], 12);
    assert_eq!(report["accounts"].as_array().unwrap().len(), 3);
    assert!(report["mentions"]["total"].as_u64().unwrap() > 1_000);
    assert!(report["planted"]["crisis"]["start"].is_string());
    // The week after is published through the in-memory platform, faults
    // and all, each planned post once.
    let p = &report["publishing"];
    assert_eq!(p["published"], p["placed"]);
    assert!(p["placed"].as_u64().unwrap() > 0);
    assert!(
        p["failed_calls"].as_u64().unwrap() > 0,
        "the faults were met"
    );
    assert_eq!(p["duplicates"], 0);
    // Through the queue: a worker died mid-publish, and another took over.
    assert_eq!(p["taken_over"], 1);
    assert_eq!(p["states"]["published"], p["placed"]);

    let other = tertulia(&["demo", "--seed", "8", "--json"]);
    assert_ne!(first.stdout, other.stdout);
}

#[test]
fn demo_for_people_prints_tables_and_the_planted_truth() {
    let o = tertulia(&["demo", "--weeks", "3", "--tz", "America/Bogota"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("tertulia demo · seed 7 · 3 weeks"),
        "{text}"
    );
    assert!(text.contains("America/Bogota"));
    assert!(text.contains("Planted truth"));
    assert!(text.contains("┆ posts ┆"));
    assert_eq!(stderr(&o), "");
}

#[test]
fn bad_arguments_give_one_line_and_a_non_zero_exit() {
    let cases: [(&[&str], &str); 9] = [
        (&["demo", "--weeks", "-3"], "--weeks"),
        (&["demo", "--weeks", "0"], "--weeks"),
        (&["demo", "--weeks", "5000"], "--weeks"),
        (&["demo", "--seed", "seven"], "--seed"),
        (
            &["demo", "--tz", "Mars/Olympus_Mons"],
            "unknown time zone \"Mars/Olympus_Mons\"",
        ),
        (&["demo", "--posts-per-week", "-1"], "--posts-per-week"),
        (&["demo", "--colour"], "--colour"),
        (&["simulate"], "--out"),
        (&["publish"], "publish"),
    ];
    for (args, says) in cases {
        let o = tertulia(args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("tertulia: "), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?} should name {says}: {err}");
        assert!(!err.contains("panicked") && !err.contains("backtrace"));
        assert!(o.stdout.is_empty());
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tertulia-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn simulate_writes_the_community_and_its_truth() {
    let dir = scratch("simulate");
    let o = tertulia(&[
        "simulate",
        "--weeks",
        "2",
        "--json",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();

    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let posts: Vec<tertulia_core::Post> = read("posts.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a post"))
        .collect();
    let mentions: Vec<tertulia_core::Mention> = read("mentions.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a mention"))
        .collect();
    assert_eq!(posts.len() as u64, summary["posts"].as_u64().unwrap());
    assert_eq!(mentions.len() as u64, summary["mentions"].as_u64().unwrap());
    assert_eq!(read("post-truth.jsonl").lines().count(), posts.len());
    let labels: Vec<serde_json::Value> = read("mention-truth.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(labels.len(), mentions.len());
    for (m, label) in mentions.iter().zip(&labels) {
        assert_eq!(label["id"], m.id.as_str());
        assert!(label["label"].is_string());
    }
    let truth: serde_json::Value = serde_json::from_str(&read("truth.json")).unwrap();
    assert_eq!(truth["posts"].as_u64().unwrap(), posts.len() as u64);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unwritable_folder_is_one_line_naming_it() {
    let dir = scratch("blocked");
    std::fs::write(&dir, "a file where the folder should go").unwrap();
    let target = dir.join("out");
    let o = tertulia(&[
        "simulate",
        "--weeks",
        "1",
        "--out",
        target.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("tertulia: cannot write "), "{err}");
    assert!(err.contains(target.to_str().unwrap()), "{err}");
    std::fs::remove_file(&dir).unwrap();
}

fn uci_file() -> Option<PathBuf> {
    let root = std::env::var_os("TERTULIA_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    let path = root.join("facebook-metrics/dataset_Facebook.csv");
    if path.is_file() {
        Some(path)
    } else {
        println!("skipped: {} is absent (set TERTULIA_DATA)", path.display());
        None
    }
}

#[test]
fn kpi_reads_the_uci_export_both_ways() {
    let Some(path) = uci_file() else { return };
    let file = path.to_str().unwrap();
    let o = tertulia(&["kpi", file, "--by", "kind"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("KPIs of 500 posts in "), "{text}");
    assert!(
        text.contains("(facebook-insights)"),
        "the format is guessed"
    );
    assert!(
        text.contains("1.526% [1.517–1.535]") && text.contains("2.420%"),
        "{text}"
    );
    assert!(text.contains("By kind"));

    let o = tertulia(&["kpi", file, "--by", "month", "--json", "--missing-as-zero"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let by_reach = &r["posts"]["rates"]["engagement_by_reach"];
    assert_eq!(by_reach["used"], 500);
    let mean = by_reach["mean_of_rates"]["value"].as_f64().unwrap();
    assert!((100.0 * mean - 2.407).abs() < 5e-4, "{mean}");
    assert_eq!(r["groups"].as_array().unwrap().len(), 12);
    assert_eq!(r["format"], "facebook-insights");
    assert!(r["changes"][0]["mean_of_rates"]["p_value"].is_number());
}

#[test]
fn kpi_reads_what_simulate_writes_and_names_bad_cells() {
    let dir = scratch("kpi");
    let o = tertulia(&["simulate", "--weeks", "2", "--out", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let posts = dir.join("posts.jsonl");
    let o = tertulia(&[
        "kpi",
        posts.to_str().unwrap(),
        "--by",
        "weekday",
        "--tz",
        "Europe/Madrid",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["format"], "jsonl");
    assert_eq!(r["zone"], "Europe/Madrid");
    assert_eq!(r["follower_growth"].as_array().unwrap().len(), 3);
    assert!(r["groups"].as_array().unwrap().len() <= 7);

    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "created_at,likes\n2026-03-05T18:00:00Z,12\n2026-03-06T18:00:00Z,-4\n",
    )
    .unwrap();
    let o = tertulia(&["kpi", bad.to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("bad.csv: line 3, column \"likes\": \"-4\" is not a whole number"),
        "{err}"
    );

    let o = tertulia(&["kpi", dir.join("absent.csv").to_str().unwrap()]);
    assert!(
        stderr(&o).starts_with("tertulia: cannot read "),
        "{}",
        stderr(&o)
    );
    let o = tertulia(&["kpi", posts.to_str().unwrap(), "--by", "colour"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("[possible values: kind, weekday, hour"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn demo_reports_the_communitys_kpis() {
    let o = tertulia(&["demo", "--weeks", "2", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let kpis = &r["kpis"];
    assert_eq!(kpis["grouping"], "account");
    assert!(kpis["mentions"]["response_rate"]["value"].as_f64().unwrap() > 0.0);
    assert!(kpis["mentions"]["first_response_business"]["median_seconds"].is_number());
    // Bluesky reports no reach: undefined there, never 0.
    let bluesky = kpis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == "aurora.bsky.social")
        .unwrap();
    assert!(bluesky["report"]["rates"]["engagement_by_reach"]["ratio_of_sums"].is_null());
    assert_eq!(r["kpis_by_kind"].as_array().unwrap().len(), 6);
    let m = &r["moderation"]["by_label"];
    assert_eq!(
        m["abusive"]["acted_on"], m["abusive"]["items"],
        "every planted insult is caught"
    );
    assert_eq!(m["benign"]["acted_on"], 0, "no benign comment is touched");
    assert!(r["moderation"]["examples"][0]["fired"][0]["matches"][0]["normalized"].is_string());
    let best = r["best_times"].as_array().unwrap();
    assert_eq!(best.len(), 3);
    assert!(
        best.iter()
            .all(|b| b["planted_best_rank"].as_u64().unwrap() >= 1)
    );
}

#[test]
fn best_times_and_backtest_on_the_uci_page() {
    let Some(path) = uci_file() else { return };
    let file = path.to_str().unwrap();
    let o = tertulia(&["best-times", file]);
    assert_eq!(o.status.code(), Some(2), "--tz is required");
    assert!(stderr(&o).contains("--tz <ZONE>"), "{}", stderr(&o));
    let o = tertulia(&["best-times", file, "--tz", "UTC"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("give --year"), "{}", stderr(&o));

    let svg = scratch("heatmap.svg");
    let o = tertulia(&[
        "best-times",
        file,
        "--tz",
        "UTC",
        "--year",
        "2014",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("shown as \"day N\""), "{text}");
    assert!(text.contains("Estimate by weekday and hour"));
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(picture.starts_with("<svg") && picture.matches("<rect").count() > 168);
    std::fs::remove_file(&svg).unwrap();

    let o = tertulia(&[
        "backtest",
        file,
        "--tz",
        "UTC",
        "--year",
        "2014",
        "--cutoff",
        "2014-10-01",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["train_posts"], 344);
    assert_eq!(r["test_posts"], 152);
    assert!(r["recommended"]["lift_vs_random"].as_f64().unwrap() >= 0.0);
    assert!(r["coverage"].as_f64().unwrap() >= 0.85);
}

#[test]
fn plan_places_drafts_from_json_files() {
    let dir = scratch("plan");
    std::fs::create_dir_all(&dir).unwrap();
    let channels = dir.join("channels.json");
    std::fs::write(
        &channels,
        r#"[{"id":"es","platform":"mastodon","account":"aurora","zone":"Europe/Madrid",
             "constraints":{"max_per_day":1,"quiet_hours":{"start":"22:00:00","end":"09:00:00"}}}]"#,
    )
    .unwrap();
    let drafts = dir.join("drafts.json");
    std::fs::write(
        &drafts,
        r#"[{"id":"spring","platform":"mastodon","earliest":"2026-03-02T00:00:00Z","latest":"2026-03-09T00:00:00Z"},
            {"id":"guide","platform":"mastodon","priority":2,"earliest":"2026-03-02T00:00:00Z","latest":"2026-03-09T00:00:00Z",
             "evergreen":{"cooldown_days":7,"max_reposts":1}}]"#,
    )
    .unwrap();
    let o = tertulia(&[
        "plan",
        drafts.to_str().unwrap(),
        "--channels",
        channels.to_str().unwrap(),
        "--days",
        "14",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let plan: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let a = plan["assignments"].as_array().unwrap();
    assert_eq!(a.len(), 3, "two drafts and one repost");
    assert_eq!(a[0]["draft"], "guide", "higher priority first");
    assert_eq!(
        a[0]["local"], "Mon 2026-03-02 09:00 Europe/Madrid",
        "after the quiet hours"
    );
    assert_eq!(
        a[1]["local"], "Tue 2026-03-03 09:00 Europe/Madrid",
        "one a day"
    );

    std::fs::write(&drafts, r#"[{"id":"x","platform":"bluesky","earliest":"2026-03-02T00:00:00Z","latest":"2026-03-03T00:00:00Z"}]"#).unwrap();
    let o = tertulia(&[
        "plan",
        drafts.to_str().unwrap(),
        "--channels",
        channels.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("Not placed: draft \"x\": no channel is on bluesky"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        stderr(&o),
        "tertulia: 1 draft could not be placed (see the reasons above); the others are planned\n"
    );
    std::fs::write(&drafts, "[{").unwrap();
    let o = tertulia(&[
        "plan",
        drafts.to_str().unwrap(),
        "--channels",
        channels.to_str().unwrap(),
    ]);
    assert!(
        stderr(&o).starts_with("tertulia: ")
            && stderr(&o).contains("drafts.json: ")
            && stderr(&o).contains("line 1"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tertulia_with_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tertulia"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn moderate_streams_decisions_in_input_order() {
    let dir = scratch("moderate");
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("rules.yaml");
    std::fs::write(&rules, "- name: insults\n  action: hide\n  body: [idiot]\n").unwrap();
    let input =
        "{\"id\":\"1\",\"body\":\"you 1d10t\"}\nnot json\n\n{\"id\":\"2\",\"body\":\"fine\"}\n";
    let o = tertulia_with_stdin(&["moderate", "--rules", rules.to_str().unwrap()], input);
    assert_eq!(o.status.code(), Some(1), "a malformed line is reported");
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["action"], "hide");
    assert_eq!(lines[0]["matches"][0]["text"], "1d10t");
    assert_eq!(lines[0]["matches"][0]["normalized"], "idiot");
    assert_eq!(lines[1]["line"], 2);
    assert_eq!(lines[2]["id"], "2");
    assert_eq!(lines[2]["action"], "none");
    assert!(stderr(&o).contains("line 2: not JSON"), "{}", stderr(&o));

    let o = tertulia_with_stdin(
        &["moderate", "--rules", rules.to_str().unwrap(), "--dry-run"],
        "{\"id\":\"1\",\"body\":\"idiot\"}\n{\"id\":\"2\",\"body\":\"ok\"}\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let run: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (run["items"].as_u64(), run["by_rule"]["insults"].as_u64()),
        (Some(2), Some(1))
    );

    let cases = dir.join("cases.yaml");
    std::fs::write(
        &cases,
        "- body: idiot\n  expect: hide\n- body: fine\n  expect: remove\n",
    )
    .unwrap();
    let o = tertulia(&[
        "moderate",
        "--rules",
        rules.to_str().unwrap(),
        "--test",
        cases.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("FAIL case 2"), "{}", stdout(&o));
    assert!(stdout(&o).contains("1 of 2 cases pass"));

    let automod = dir.join("automod.yaml");
    std::fs::write(
        &automod,
        "body: [spam]\naction: remove\n---\nflair: x\naction: remove\n",
    )
    .unwrap();
    let o = tertulia(&[
        "moderate",
        "--rules",
        automod.to_str().unwrap(),
        "--automoderator",
        "--test",
        cases.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("automod.yaml: rule automoderator rule 2 (line 4)"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
