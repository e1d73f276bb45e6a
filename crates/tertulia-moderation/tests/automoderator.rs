//! AutoModerator configurations mean what reddit makes them mean.

use tertulia_moderation::{
    Action, Engine, Item, ItemAuthor, MatchKind, parse_automoderator, pattern,
};

fn item(body: &str) -> Item {
    Item {
        id: "c".into(),
        body: body.into(),
        author: Some(ItemAuthor {
            name: "someone".into(),
            account_age_days: Some(100.0),
            reputation: Some(500),
            ..ItemAuthor::default()
        }),
        ..Item::default()
    }
}

fn engine(config: &str) -> Engine {
    Engine::new(parse_automoderator(config, None).unwrap()).unwrap()
}

#[test]
fn patterns_are_reddits() {
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        pattern(MatchKind::IncludesWord, &v(&["a.b", "c"]), false),
        r"(?is)(?:^|\W|\b)(?:a\.b|c)(?:$|\W|\b)"
    );
    assert_eq!(
        pattern(MatchKind::FullText, &v(&["x"]), true),
        r"(?s)^\W*(?:x)\W*$"
    );
    assert_eq!(
        pattern(MatchKind::Regex, &v(&["a+", "b"]), false),
        "(?is)(?:a+|b)"
    );
}

#[test]
fn checks_match_as_written_without_normalization() {
    let mut e = engine("body: [\"free crypto\", airdrop]\naction: remove\n");
    assert_eq!(
        e.decide(&item("Claim your AIRDROP now")).action,
        Action::Remove
    );
    assert_eq!(
        e.decide(&item("airdrops are fun")).action,
        Action::None,
        "includes-word"
    );
    // Imported rules keep reddit's meaning: leetspeak is not read...
    assert_eq!(e.decide(&item("a1rdr0p")).action, Action::None);
    // ...unless normalization is asked for.
    let mut n = Engine::new(
        parse_automoderator(
            "body: [airdrop]\naction: remove\n",
            Some(Default::default()),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(n.decide(&item("a1rdr0p")).action, Action::Remove);
}

#[test]
fn modifiers_negation_fields_and_removal_order() {
    let config = "\
title+body (includes, case-sensitive): [\"BUY\"]
action: report
---
~body (starts-with): [\"Hi\"]
body_longer_than: 5
action: filter
priority: 1
---
body (regex): ['\\d{4}-\\d{4}']
action: spam
priority: 5
comment: \"Removed: {{match}}\"
";
    let mut e = engine(config);
    let d = e.decide(&item("call 5555-1234 to BUY"));
    assert_eq!(
        d.action,
        Action::Spam,
        "the higher-priority removal wins and stops the filter"
    );
    assert_eq!(
        d.rules(),
        [
            "automoderator rule 3 (line 9)",
            "automoderator rule 1 (line 1)"
        ]
    );
    assert_eq!(d.fired[0].reply.as_deref(), Some("Removed: 5555-1234"));
    assert_eq!(e.decide(&item("Hi there, nice post")).action, Action::None);
    assert_eq!(e.decide(&item("hello there")).action, Action::Review);
}

#[test]
fn author_checks_and_moderator_exemption() {
    let config = "\
author:
  account_age: \"< 2 days\"
  combined_karma: \"< 10\"
  satisfy_any_threshold: true
action: filter
---
body: [spoiler]
action: remove
moderators_exempt: false
";
    let mut e = engine(config);
    let mut fresh = item("hello");
    fresh.author.as_mut().unwrap().account_age_days = Some(1.0);
    assert_eq!(e.decide(&fresh).action, Action::Review);
    let mut moderator = item("spoiler alert");
    moderator.author.as_mut().unwrap().moderator = true;
    assert_eq!(
        e.decide(&moderator).action,
        Action::Remove,
        "exemption turned off"
    );
}

#[test]
fn unsupported_keys_are_named() {
    for (config, says) in [
        ("colour: red\naction: remove\n", "\"colour\""),
        ("body (sideways): [x]\naction: remove\n", "\"sideways\""),
        (
            "author:\n  flair_text: [x]\naction: remove\n",
            "\"flair_text\"",
        ),
        ("action: banish\n", "banish"),
        (
            "body: [x]\naction: remove\n---\nreports: 3\naction: approve\n",
            "rule 2 (line 4)",
        ),
    ] {
        let err = parse_automoderator(config, None).unwrap_err().to_string();
        assert!(err.contains(says), "{config:?}: {err}");
    }
}
