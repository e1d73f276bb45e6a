//! The YAML rule file.
//!
//! ```yaml
//! - name: insults
//!   priority: 10
//!   action: hide
//!   body:
//!     includes-word: [idiot, imbecile]
//!     allow: [idiotic]
//!   ~title: [giveaway]          # a list is includes-word; ~ negates
//!   body+title:                 # fields joined by + are ORed
//!     regex: ['free\s+money']
//!   author: {account_age_days: "< 2", followers: "< 5", satisfy_any_threshold: true}
//!   shape: {links: ">= 3"}
//!   rate: {same_author: {max: 5, within_minutes: 10}}
//!   reply: "{{author}}, please keep it civil."
//!   labels: [insult]
//!   normalize: true             # default; false compares text as written
//! ```

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::normalize::NormalizeOptions;
use crate::rule::{Action, Field, MatchKind, Rule, TextCondition};

/// YAML reading whose errors are one line ("... at line 4, column 3"),
/// without the snippet of source the reader draws by default.
pub(crate) fn one_line() -> serde_saphyr::Options {
    serde_saphyr::options! { with_snippet: false }
}

/// Reads a YAML rule file: a list of rules. Syntax errors carry the line and
/// column; errors inside a rule name the rule, the key and the line where the
/// rule starts.
///
/// ```
/// let rules = tertulia_moderation::parse_rules("- name: links\n  action: review\n  shape: {links: '>= 3'}\n")?;
/// assert_eq!(rules[0].name, "links");
/// let err = tertulia_moderation::parse_rules("- name: x\n  action: hide\n  colour: red\n").unwrap_err();
/// assert!(err.to_string().contains("line 1"), "{err}");
/// assert!(err.to_string().contains("\"colour\""), "{err}");
/// # Ok::<(), tertulia_moderation::Error>(())
/// ```
pub fn parse_rules(source: &str) -> Result<Vec<Rule>> {
    let docs: Vec<Value> = serde_saphyr::from_str_with_options(source, one_line())
        .map_err(|e| Error::Yaml(e.to_string()))?;
    let mut rules = Vec::with_capacity(docs.len());
    for (i, doc) in docs.into_iter().enumerate() {
        let Value::Object(map) = doc else {
            return Err(Error::Yaml(format!(
                "rule {} is not a map of keys: write `- name: ...`",
                i + 1
            )));
        };
        let name = map
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let line = rule_line(source, &name, i);
        let rule = rule_from(map).map_err(|problem| Error::Rule {
            rule: format!("{name} (line {line})"),
            problem,
        })?;
        rule.check()?;
        rules.push(rule);
    }
    Ok(rules)
}

/// The line where a rule starts: its `name:` line, or the i-th list item.
fn rule_line(source: &str, name: &str, index: usize) -> usize {
    let by_name = (!name.is_empty())
        .then(|| {
            source.lines().position(|l| {
                let l = l.trim_start().trim_start_matches("- ").trim_start();
                l.strip_prefix("name:")
                    .is_some_and(|v| v.trim().trim_matches(['"', '\'']) == name)
            })
        })
        .flatten();
    by_name
        .or_else(|| {
            source
                .lines()
                .enumerate()
                .filter(|(_, l)| l.starts_with('-'))
                .nth(index)
                .map(|(n, _)| n)
        })
        .map_or(0, |n| n + 1)
}

fn rule_from(map: Map<String, Value>) -> std::result::Result<Rule, String> {
    let mut rule = Rule::new(String::new(), Action::None);
    for (key, value) in map {
        match key.as_str() {
            "name" => rule.name = typed(&key, value)?,
            "priority" => rule.priority = typed(&key, value)?,
            "action" => rule.action = typed(&key, value)?,
            "reply" => rule.reply = Some(typed(&key, value)?),
            "labels" => rule.labels = typed(&key, value)?,
            "escalate" => rule.escalate = typed(&key, value)?,
            "moderators_exempt" => rule.moderators_exempt = Some(typed(&key, value)?),
            "author" => rule.author = Some(typed(&key, value)?),
            "shape" => rule.shape = Some(typed(&key, value)?),
            "rate" => rule.rate = Some(typed(&key, value)?),
            "normalize" => {
                rule.normalize = match value {
                    Value::Bool(true) => Some(NormalizeOptions::default()),
                    Value::Bool(false) => None,
                    other => Some(typed(&key, other)?),
                }
            }
            _ => rule.text.push(condition(&key, value)?),
        }
    }
    Ok(rule)
}

/// A typed value, with an error that names its key.
fn typed<T: serde::de::DeserializeOwned>(key: &str, v: Value) -> std::result::Result<T, String> {
    serde_json::from_value(v).map_err(|e| format!("key {key:?}: {e}"))
}

/// A text condition from a key such as `~body+title` and its value.
fn condition(key: &str, value: Value) -> std::result::Result<TextCondition, String> {
    let (negate, fields) = match key.strip_prefix('~') {
        Some(rest) => (true, rest),
        None => (false, key),
    };
    let fields = fields
        .split('+')
        .map(str::parse::<Field>)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| format!("unknown key {key:?}: {e}; other keys are name, priority, action, reply, labels, escalate, moderators_exempt, author, shape, rate, normalize"))?;
    let mut c = TextCondition {
        fields,
        kind: MatchKind::IncludesWord,
        values: Vec::new(),
        case_sensitive: false,
        negate,
        allow: Vec::new(),
    };
    let strings = |v: Value, what: &str| -> std::result::Result<Vec<String>, String> {
        match v {
            Value::String(s) => Ok(vec![s]),
            Value::Array(items) => items
                .into_iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s),
                    Value::Number(n) => Ok(n.to_string()),
                    other => Err(format!("key {key:?}: {what} holds {other}, not text")),
                })
                .collect(),
            other => Err(format!(
                "key {key:?}: {what} is {other}, not text or a list of texts"
            )),
        }
    };
    match value {
        Value::Object(spec) => {
            for (k, v) in spec {
                if let Some(kind) = MatchKind::ALL.into_iter().find(|m| m.name() == k) {
                    if !c.values.is_empty() {
                        return Err(format!(
                            "key {key:?} has two ways to match: use one of includes, includes-word, starts-with, ends-with, full-exact, full-text, regex"
                        ));
                    }
                    c.kind = kind;
                    c.values = strings(v, &k)?;
                } else if k == "case-sensitive" {
                    c.case_sensitive = v
                        .as_bool()
                        .ok_or_else(|| format!("key {key:?}: case-sensitive is true or false"))?;
                } else if k == "allow" {
                    c.allow = strings(v, "allow")?;
                } else {
                    return Err(format!(
                        "key {key:?} has an unknown setting {k:?}: use a match kind, case-sensitive or allow"
                    ));
                }
            }
        }
        other => c.values = strings(other, "the value")?,
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_are_one_line_with_where() {
        let err = parse_rules("- name: x\n  body: [idiot\n  action: }\n")
            .unwrap_err()
            .to_string();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("line "), "{err}");
        assert!(!err.contains("-->"), "no snippet: {err}");
    }
}
