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
