//! Reading a Reddit AutoModerator configuration, with the meaning reddit
//! gives it.
//!
//! What is read:
//! - documents separated by `---`, one rule each; an empty document is skipped;
//! - text checks on `title`, `body`, `domain` and `url`, fields joined by `+`
//!   (ORed), `~` to negate, modifiers in parentheses (`includes`,
//!   `includes-word` (default), `starts-with`, `ends-with`, `full-exact`,
//!   `full-text`, `regex`, `case-sensitive`) or in a `modifiers` key for
//!   every check of the rule; a value or a list of values (ORed);
//! - `author`: `account_age`, `comment_karma`, `post_karma`,
//!   `combined_karma` (all three read as reputation), `is_moderator`,
//!   `is_contributor` (member), `has_verified_email` (verified), `name`
//!   (a text check on the author's name), `satisfy_any_threshold`;
//! - `type`: `any`, `comment`, `submission` (a submission has a title);
//! - `action` (`remove`, `spam`, `filter` (held for review), `approve`,
//!   `report`), `action_reason` (kept as a label), `comment` (the reply),
//!   `priority`, `moderators_exempt`, `body_longer_than`,
//!   `body_shorter_than`.
//!
//! Any other key is an error that names it: nothing is silently ignored.
//! Imported rules compare text exactly as reddit does (no normalization)
//! unless asked otherwise.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::normalize::NormalizeOptions;
use crate::rule::{
    Action, AuthorCondition, Compare, Field, MatchKind, Rule, ShapeCondition, TextCondition,
};

/// Reads an AutoModerator configuration. With `normalize`, imported text
/// checks also get tertulia's evasion-resistant normalization.
///
/// ```
/// let config = "\
/// type: comment
/// body (includes): [\"free crypto\", \"airdrop\"]
/// action: remove
/// action_reason: \"crypto spam: {{match}}\"
/// ---
/// author:
///   account_age: \"< 2 days\"
///   comment_karma: \"< 10\"
///   satisfy_any_threshold: true
/// action: filter
/// ";
/// let rules = tertulia_moderation::parse_automoderator(config, None)?;
/// assert_eq!(rules.len(), 2);
/// assert!(tertulia_moderation::parse_automoderator("colour: red\naction: remove\n", None)
///     .unwrap_err()
///     .to_string()
///     .contains("\"colour\""));
/// # Ok::<(), tertulia_moderation::Error>(())
/// ```
pub fn parse_automoderator(source: &str, normalize: Option<NormalizeOptions>) -> Result<Vec<Rule>> {
    let docs: Vec<Value> =
        serde_saphyr::from_multiple_with_options(source, crate::yaml::one_line())
            .map_err(|e| Error::Yaml(e.to_string()))?;
    let starts = document_lines(source);
    let mut rules = Vec::new();
    for (i, doc) in docs.into_iter().enumerate() {
        let line = starts.get(i).copied().unwrap_or(1);
        let map = match doc {
            Value::Object(map) => map,
            Value::Null => continue,
            other => {
                return Err(Error::Yaml(format!(
                    "rule {} (line {line}) is {other}, not a map of checks",
                    i + 1
                )));
            }
        };
        let name = format!("automoderator rule {} (line {line})", i + 1);
        let rule = rule_from(map, &name, normalize).map_err(|problem| Error::Rule {
            rule: name.clone(),
            problem,
        })?;
        rule.check()?;
        rules.push(rule);
    }
    Ok(rules)
}

/// The line each document starts on.
fn document_lines(source: &str) -> Vec<usize> {
    let mut starts = vec![1];
    for (n, l) in source.lines().enumerate() {
        if l.trim_end() == "---" {
            if n == 0 {
                starts[0] = 2;
            } else {
                starts.push(n + 2);
            }
        }
    }
    starts
}

fn texts(key: &str, v: Value) -> std::result::Result<Vec<String>, String> {
    match v {
        Value::String(s) => Ok(vec![s]),
        Value::Number(n) => Ok(vec![n.to_string()]),
        Value::Array(items) => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => Ok(s),
                Value::Number(n) => Ok(n.to_string()),
                other => Err(format!("key {key:?} holds {other}, not text")),
            })
            .collect(),
        other => Err(format!(
            "key {key:?} is {other}, not text or a list of texts"
        )),
    }
}

fn compare(key: &str, v: &Value) -> std::result::Result<Compare, String> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => {
            return Err(format!(
                "key {key:?} is {other}, not a comparison such as \"< 7 days\""
            ));
        }
    };
    s.parse().map_err(|e| format!("key {key:?}: {e}"))
}

fn flag(key: &str, v: &Value) -> std::result::Result<bool, String> {
    v.as_bool()
        .ok_or_else(|| format!("key {key:?} is {v}, not true or false"))
}

fn rule_from(
    map: Map<String, Value>,
    name: &str,
    normalize: Option<NormalizeOptions>,
) -> std::result::Result<Rule, String> {
    let mut rule = Rule::new(name, Action::None);
    rule.normalize = normalize;
    let default_modifiers: Vec<String> = match map.get("modifiers") {
        Some(v) => texts("modifiers", v.clone())?,
        None => Vec::new(),
    };
    for (key, value) in map {
        match key.as_str() {
            "modifiers" => {}
            "type" => match value.as_str() {
                Some("any" | "comment") => {}
                Some("submission") => rule.text.push(TextCondition {
                    fields: vec![Field::Title],
                    kind: MatchKind::Regex,
                    values: vec!["(?s).".into()],
                    case_sensitive: false,
                    negate: false,
                    allow: Vec::new(),
                }),
                _ => {
                    return Err(format!(
                        "type {value} is not supported: use any, comment or submission"
                    ));
                }
            },
            "action" => {
                rule.action = match value.as_str() {
                    Some("remove") => Action::Remove,
                    Some("spam") => Action::Spam,
                    Some("filter") => Action::Review,
                    Some("approve") => Action::Approve,
                    Some("report") => Action::Report,
                    _ => {
                        return Err(format!(
                            "action {value} is not one of remove, spam, filter, approve, report"
                        ));
                    }
                }
            }
            "action_reason" => rule
                .labels
                .push(format!("reason: {}", value.as_str().unwrap_or_default())),
            "comment" => {
                rule.reply = Some(
                    value
                        .as_str()
                        .ok_or_else(|| "comment is not text".to_owned())?
                        .to_owned(),
                )
            }
            "priority" => {
                rule.priority = value
                    .as_i64()
                    .and_then(|p| i32::try_from(p).ok())
                    .ok_or_else(|| format!("priority {value} is not a whole number"))?
            }
            "moderators_exempt" => rule.moderators_exempt = Some(flag(&key, &value)?),
            "body_longer_than" | "body_shorter_than" => {
                let n = value
                    .as_f64()
                    .ok_or_else(|| format!("{key} {value} is not a number"))?;
                let shape = rule.shape.get_or_insert_with(ShapeCondition::default);
                shape.length = Some(if key == "body_longer_than" {
                    Compare {
                        op: crate::rule::Op::Gt,
                        value: n,
                    }
                } else {
                    Compare {
                        op: crate::rule::Op::Lt,
                        value: n,
                    }
                });
            }
            "author" => author(&mut rule, value, &default_modifiers)?,
            _ => rule.text.push(check(&key, value, &default_modifiers)?),
        }
    }
    Ok(rule)
}

fn author(rule: &mut Rule, value: Value, modifiers: &[String]) -> std::result::Result<(), String> {
    let Value::Object(map) = value else {
        return Err(format!("author is {value}, not a map of author checks"));
    };
    let mut a = AuthorCondition::default();
    for (key, v) in map {
        match key.as_str() {
            "account_age" => a.account_age_days = Some(compare(&key, &v)?),
            "comment_karma" | "post_karma" | "combined_karma" => {
                a.reputation = Some(compare(&key, &v)?)
            }
            "is_moderator" => a.moderator = Some(flag(&key, &v)?),
            "is_contributor" => a.member = Some(flag(&key, &v)?),
            "has_verified_email" => a.verified = Some(flag(&key, &v)?),
            "satisfy_any_threshold" => a.satisfy_any_threshold = flag(&key, &v)?,
            k if k.trim_start_matches('~').starts_with("name") => {
                let renamed = k.replacen("name", "author_name", 1);
                rule.text.push(check(&renamed, v, modifiers)?);
            }
            _ => {
                return Err(format!(
                    "author check {key:?} is not supported: use account_age, comment_karma, post_karma, combined_karma, is_moderator, is_contributor, has_verified_email, name or satisfy_any_threshold"
                ));
            }
        }
    }
    rule.author = Some(a);
    Ok(())
}

/// A text check from a key such as `~body+title (includes, case-sensitive)`.
fn check(
    key: &str,
    value: Value,
    defaults: &[String],
) -> std::result::Result<TextCondition, String> {
    let (head, modifiers) = match key.split_once('(') {
        Some((head, rest)) => {
            let inner = rest
                .strip_suffix(')')
                .ok_or_else(|| format!("key {key:?} has an unclosed modifier list"))?;
            (
                head.trim(),
                inner
                    .split(',')
                    .map(|m| m.trim().to_owned())
                    .collect::<Vec<_>>(),
            )
        }
        None => (key.trim(), defaults.to_vec()),
    };
    let (negate, fields) = match head.strip_prefix('~') {
        Some(rest) => (true, rest),
        None => (false, head),
    };
    let fields = fields
        .split('+')
        .map(|f| match f.trim() {
            "title" => Ok(Field::Title),
            "body" => Ok(Field::Body),
            "domain" => Ok(Field::Domain),
            "url" => Ok(Field::Url),
            "author_name" => Ok(Field::AuthorName),
            other => Err(format!("key {key:?}: {other:?} is not a check tertulia supports (title, body, domain, url, author, type, action, action_reason, comment, priority, moderators_exempt, modifiers, body_longer_than, body_shorter_than)")),
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let mut c = TextCondition {
        fields,
        kind: MatchKind::IncludesWord,
        values: texts(key, value)?,
        case_sensitive: false,
        negate,
        allow: Vec::new(),
    };
    for m in modifiers.iter().filter(|m| !m.is_empty()) {
        if m == "case-sensitive" {
            c.case_sensitive = true;
        } else if let Some(kind) = MatchKind::ALL.into_iter().find(|k| k.name() == m) {
            c.kind = kind;
        } else {
            return Err(format!("key {key:?} has an unknown modifier {m:?}"));
        }
    }
    Ok(c)
}
