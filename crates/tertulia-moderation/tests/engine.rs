//! The engine's semantics: conditions, ordering, exemptions, rates, errors.

use chrono::{TimeDelta, TimeZone, Utc};
use tertulia_moderation::{Action, Engine, Item, ItemAuthor, parse_rules};

fn item(id: &str, body: &str) -> Item {
    Item {
        id: id.into(),
        body: body.into(),
        author: Some(ItemAuthor {
            name: "ana".into(),
            account_age_days: Some(400.0),
            followers: Some(120),
            ..ItemAuthor::default()
        }),
        ..Item::default()
    }
}

fn engine(yaml: &str) -> Engine {
    Engine::new(parse_rules(yaml).unwrap()).unwrap()
}

#[test]
fn removal_rules_run_first_and_the_first_stops_the_others() {
    let mut e = engine(
        r#"
- name: flag-words
  action: report
  priority: 50
  body: [scam]
- name: remove-spam
  action: spam
  priority: 10
  body: [scam]
- name: remove-low
  action: remove
  priority: 1
  body: [scam]
- name: label
  action: none
  body: [scam]
  labels: [fraud]
"#,
    );
    let d = e.decide(&item("1", "this is a SCAM"));
    assert_eq!(d.action, Action::Spam);
    assert_eq!(d.rules(), ["remove-spam", "flag-words", "label"]);
    assert_eq!(d.fired[2].labels, ["fraud"]);
    let json = serde_json::to_string(&d).unwrap();
    assert!(json.contains(r#""span":{"start":10,"end":14}"#), "{json}");
}

#[test]
fn moderators_are_exempt_and_humans_are_never_overridden() {
    let mut e = engine(
        "- name: r\n  action: remove\n  body: [scam]\n- name: l\n  action: none\n  labels: [x]\n  body: [scam]\n",
    );
    let mut mod_item = item("1", "scam");
    mod_item.author.as_mut().unwrap().moderator = true;
    assert_eq!(e.decide(&mod_item).rules(), ["l"]);
    let mut approved = item("2", "scam");
    approved.moderated = Some(Action::Approve);
    let d = e.decide(&approved);
    assert_eq!(d.action, Action::Approve);
    assert!(d.fired.iter().all(|f| f.overridden));
}

#[test]
fn modifiers_negation_allow_lists_and_regexes() {
    let mut e = engine(
        r#"
- name: starts
  action: report
  body: {starts-with: [hello]}
- name: full
  action: report
  body: {full-text: [spam]}
- name: not-title
  action: report
  ~title: [question]
  body: [help]
- name: allow
  action: report
  body: {includes: [ass], allow: [class, assessment]}
- name: pattern
  action: report
  body+title: {regex: ['free\s+money']}
- name: exact-case
  action: report
  body: {includes: [ACME], case-sensitive: true}
"#,
    );
    assert_eq!(e.decide(&item("1", "Hello there")).rules(), ["starts"]);
    assert_eq!(
        e.decide(&item("2", "well hello")).rules(),
        Vec::<&str>::new()
    );
    assert_eq!(e.decide(&item("3", "  ¡¡SPAM!! ")).rules(), ["full"]);
    let mut titled = item("4", "please help");
    titled.title = Some("A question".into());
    assert_eq!(e.decide(&titled).rules(), Vec::<&str>::new());
    titled.title = Some("Broken".into());
    assert_eq!(e.decide(&titled).rules(), ["not-title"]);
    assert_eq!(
        e.decide(&item("5", "my class assessment")).rules(),
        Vec::<&str>::new()
    );
    assert_eq!(e.decide(&item("6", "kick ass")).rules(), ["allow"]);
    let d = e.decide(&item("7", "get FREE   money now"));
    assert_eq!(d.rules(), ["pattern"]);
    assert_eq!(d.fired[0].matches[0].text, "FREE   money");
    assert_eq!(
        e.decide(&item("8", "acme is great")).rules(),
        Vec::<&str>::new()
    );
    assert_eq!(
        e.decide(&item("9", "ACME is great")).rules(),
        ["exact-case"]
    );
}

#[test]
fn authors_shapes_and_replies() {
    let mut e = engine(
        r#"
- name: new-accounts
  action: review
  author: {account_age_days: "< 2", followers: "< 5", satisfy_any_threshold: true}
  shape: {links: ">= 1"}
  reply: "Hi {{author}}, a moderator will check your link ({{rule}})."
- name: shouting
  action: report
  shape: {caps_ratio: "> 0.8", length: ">= 10"}
"#,
    );
    let mut fresh = item("1", "see https://example.com/offer");
    fresh.author.as_mut().unwrap().account_age_days = Some(0.5);
    let d = e.decide(&fresh);
    assert_eq!(d.action, Action::Review);
    assert_eq!(
        d.fired[0].reply.as_deref(),
        Some("Hi ana, a moderator will check your link (new-accounts).")
    );
    assert!(
        d.fired[0]
            .because
            .iter()
            .any(|b| b.starts_with("author account_age_days 0.5")),
        "{:?}",
        d.fired[0].because
    );
    assert_eq!(
        e.decide(&item("2", "see https://example.com")).action,
        Action::None,
        "old account"
    );
    assert_eq!(
        e.decide(&item("3", "WHY IS THIS BROKEN")).rules(),
        ["shouting"]
    );
}

#[test]
fn rates_catch_floods_and_spam_waves() {
    let mut e = engine(
        r#"
- name: flood
  action: review
  rate: {same_author: {max: 3, within_minutes: 10}}
- name: wave
  action: spam
  rate: {same_text: {authors: 3, within_minutes: 5}}
"#,
    );
    let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
    let at = |i: &mut Item, minutes: i64| i.created_at = Some(t0 + TimeDelta::minutes(minutes));
    let mut decisions = Vec::new();
    for k in 0..4 {
        let mut i = item(&k.to_string(), &format!("message {k}"));
        at(&mut i, k);
        decisions.push(e.decide(&i).action);
    }
    assert_eq!(
        decisions,
        [Action::None, Action::None, Action::None, Action::Review]
    );
    for (k, who) in ["b", "c", "d"].iter().enumerate() {
        let mut i = item(&format!("w{k}"), "Win a FREE phone!!! https://x.example");
        i.author.as_mut().unwrap().name = (*who).into();
        at(&mut i, 20 + k as i64);
        decisions.push(e.decide(&i).action);
    }
    assert_eq!(&decisions[4..], [Action::None, Action::None, Action::Spam]);
    let mut undated = item("u", "x");
    undated.created_at = None;
    assert_eq!(
        e.decide(&undated).action,
        Action::None,
        "no instant, no rate"
    );
}

#[test]
fn bad_rules_are_errors_that_say_where() {
    let err = Engine::new(
        parse_rules("- name: bad\n  action: hide\n  body: {regex: ['(unclosed']}\n").unwrap(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("rule bad: has a body pattern that does not compile"),
        "{err}"
    );
    let huge = "- name: huge\n  action: hide\n  body: {regex: ['(?:a{1000}){1000}']}\n";
    assert!(
        Engine::new(parse_rules(huge).unwrap()).is_err(),
        "an oversized regex is refused"
    );
    let err =
        parse_rules("- name: ok\n  action: hide\n  body: [x]\n- name: second\n  action: explode\n")
            .unwrap_err();
    assert!(err.to_string().contains("second (line 4)"), "{err}");
    let err = parse_rules("- name: x\n  action: hide\n  body: [a\n").unwrap_err();
    assert!(err.to_string().contains("line"), "{err}");
    let err = parse_rules(
        "- name: w\n  action: hide\n  rate: {same_author: {max: 1, within_minutes: 0}}\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("0 minutes"), "{err}");
}

#[test]
fn dry_runs_count_what_would_fire() {
    let mut e = engine("- name: scam\n  action: remove\n  body: [scam]\n");
    let items = [item("1", "scam"), item("2", "fine"), item("3", "$cam")];
    let run = e.dry_run(&items);
    assert_eq!(run.items, 3);
    assert_eq!(run.by_rule["scam"], 2);
    assert_eq!(run.by_action[&Action::None], 1);
}

#[test]
fn deciding_into_a_reused_decision_leaves_nothing_behind() {
    let rules = r#"
- name: insults
  action: hide
  body: [idiot, scam]
  reply: "{{author}}: {{match}}"
  labels: [civility]
- name: young
  action: review
  author:
    account_age_days: "< 30"
- name: shouting
  action: report
  shape:
    caps_ratio: "> 0.8"
"#;
    let mut fresh = engine(rules);
    let mut reused = engine(rules);
    let mut young = item("y", "WHAT A SCAM");
    young.author.as_mut().unwrap().account_age_days = Some(3.0);
    let stream = [
        item("1", "you idiot, a scam"),
        young,
        item("2", "hello"),
        item("3", "an 1d10t"),
        item("4", "SHOUTING HERE"),
        item("5", ""),
    ];
    let mut d = tertulia_moderation::Decision::default();
    for it in stream.iter().chain(stream.iter().rev()) {
        reused.decide_into(it, &mut d);
        assert_eq!(d, fresh.decide(it), "{}", it.id);
    }
}

proptest::proptest! {
    /// Deciding a stream in batches (regex sets asked of several items at
    /// once) decides exactly as one item at a time, in order: with regexes
    /// on several fields, Unicode `\b` on text that is not ASCII (which the
    /// batch leaves to the set), link fields and a rate over the stream.
    #[test]
    fn deciding_in_batches_is_deciding_one_at_a_time(
        texts in proptest::collection::vec(
            ("[a-c é0-9!?-]{0,24}", proptest::option::of("[a-c é]{0,6}"), "[ab]{1,2}"),
            0..150,
        ),
    ) {
        let rules = r#"
- name: digits
  action: review
  body: {regex: ['\d{2}-\d']}
- name: shouting
  action: report
  body+title: {regex: ['[!?]{3,}', '(?i)\bcab\b']}
- name: authors
  action: none
  labels: [b]
  author_name: {regex: ['^b']}
- name: links
  action: report
  domain: [example.com]
- name: flood
  action: hide
  rate: {same_author: {max: 4, within_minutes: 10}}
"#;
        let (mut batched, mut alone) = (engine(rules), engine(rules));
        let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap();
        let items: Vec<Item> = texts
            .iter()
            .enumerate()
            .map(|(k, (body, title, author))| {
                let mut i = item(&k.to_string(), body);
                if k % 7 == 0 {
                    i.body.push_str(" https://www.example.com/x");
                }
                i.title.clone_from(title);
                i.author.as_mut().unwrap().name.clone_from(author);
                i.created_at = Some(t0 + TimeDelta::minutes(k as i64));
                i
            })
            .collect();
        let mut seen = 0;
        batched.decide_each(&items, |item, d| {
            assert_eq!(item.id, seen.to_string());
            assert_eq!(*d, alone.decide(item), "{item:?}");
            seen += 1;
        });
        proptest::prop_assert_eq!(seen, items.len());
    }
}

#[test]
fn allow_lists_of_rules_compared_as_written_hold_in_text_whose_case_changes_length() {
    // "İ" lowercases to two characters: offsets in the lowercased text move,
    // so an allowed word must be found in the text itself.
    let mut e = engine(
        r#"
- name: exact
  action: report
  body: {includes: [ass], case-sensitive: true, allow: [Class]}
"#,
    );
    assert_eq!(
        e.decide(&item("1", "İİİ class")).rules(),
        Vec::<&str>::new()
    );
    assert_eq!(e.decide(&item("2", "İİİ ass class")).rules(), ["exact"]);
    assert_eq!(
        e.decide(&item("3", "a CLASS act")).rules(),
        Vec::<&str>::new()
    );
}
