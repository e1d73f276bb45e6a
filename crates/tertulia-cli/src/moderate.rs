//! `tertulia moderate`: decide each item of a JSON Lines stream.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::{Deserialize, Serialize};
use tertulia_moderation::{
    Action, Decision, Engine, Field, Item, Rule, parse_automoderator, parse_rules,
};

use crate::CliError;
use crate::output::{plural, read_yaml};
use tertulia_core::Mention;

/// Options of `tertulia moderate`.
#[derive(Debug, Args)]
pub(crate) struct ModerateArgs {
    /// The rules: a tertulia YAML rule file, or an AutoModerator configuration with --automoderator.
    #[arg(long, value_name = "FILE")]
    rules: PathBuf,
    /// The rule file is a Reddit AutoModerator configuration.
    #[arg(long)]
    automoderator: bool,
    /// Also normalize imported AutoModerator checks (leetspeak, lookalikes, ...).
    #[arg(long, requires = "automoderator")]
    normalize: bool,
    /// Run the expected-outcome cases of this file (JSON or YAML) instead of reading standard input.
    #[arg(long, value_name = "CASES")]
    test: Option<PathBuf>,
    /// Write full decisions: every rule that fired, with its evidence, reasons, reply and labels.
    #[arg(long)]
    json: bool,
    /// Try the rules on the items without acting: print how often each rule would fire.
    #[arg(long, conflicts_with = "test")]
    dry_run: bool,
}

/// The line written for each item.
#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    action: Action,
    rules: Vec<&'a str>,
    matches: Vec<Match<'a>>,
}

#[derive(Serialize)]
struct Match<'a> {
    rule: &'a str,
    field: Field,
    start: usize,
    end: usize,
    text: &'a str,
    normalized: &'a str,
}

impl<'a> From<&'a Decision> for Line<'a> {
    fn from(d: &'a Decision) -> Self {
        Line {
            id: &d.id,
            action: d.action,
            rules: d.rules(),
            matches: d
                .fired
                .iter()
                .flat_map(|f| {
                    f.matches.iter().map(move |m| Match {
                        rule: &f.rule,
                        field: m.field,
                        start: m.span.start,
                        end: m.span.end,
                        text: &m.text,
                        normalized: &m.normalized,
                    })
                })
                .collect(),
        }
    }
}

/// The rules of a file, in its format.
pub(crate) fn load_rules(
    path: &Path,
    automoderator: bool,
    normalize: bool,
) -> Result<Vec<Rule>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    let rules = if automoderator {
        parse_automoderator(&text, normalize.then(Default::default))
    } else {
        parse_rules(&text)
    };
    rules.map_err(|source| CliError::Moderation {
        path: path.to_owned(),
        source,
    })
}

pub(crate) fn run(args: &ModerateArgs) -> Result<(), CliError> {
    let rules = load_rules(&args.rules, args.automoderator, args.normalize)?;
    let mut engine = Engine::new(rules).map_err(|source| CliError::Moderation {
        path: args.rules.clone(),
        source,
    })?;
    if let Some(cases) = &args.test {
        return run_cases(&mut engine, cases);
    }
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut bad = 0u64;
    let mut dry = tertulia_moderation::DryRun::default();
    for (n, line) in stdin.lines().enumerate() {
        let line = line.map_err(|source| CliError::Read {
            path: "standard input".into(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let written = match item_of(&line) {
            Ok(item) if args.dry_run => {
                dry.add(&engine.decide(&item));
                continue;
            }
            Ok(item) => {
                let d = engine.decide(&item);
                if args.json {
                    serde_json::to_writer(&mut out, &d)
                } else {
                    serde_json::to_writer(&mut out, &Line::from(&d))
                }
            }
            Err(e) => {
                // Reported in place, so the output stays in input order, and
                // on standard error; the stream goes on.
                bad += 1;
                eprintln!("tertulia: line {}: {e}", n + 1);
                serde_json::to_writer(&mut out, &serde_json::json!({"line": n + 1, "error": e}))
            }
        };
        written.map_err(|e| CliError::Stdout(e.into()))?;
        writeln!(out).map_err(CliError::Stdout)?;
    }
    if args.dry_run {
        serde_json::to_writer_pretty(&mut out, &dry).map_err(|e| CliError::Stdout(e.into()))?;
        writeln!(out).map_err(CliError::Stdout)?;
    }
    out.flush().map_err(CliError::Stdout)?;
    if bad > 0 {
        return Err(CliError::Usage(format!(
            "{} not an item with text to check (see above)",
            plural(bad, "input line was", "input lines were")
        )));
    }
    Ok(())
}

/// One line of input as an item: `{"id", "body", "title"?, "author"?, ...}`,
/// a core `Mention` (as `tertulia mentions` and `simulate` write them), or
/// `{"id", "text", ...}`. A line with no text to check is an error, never a
/// clean item.
fn item_of(line: &str) -> Result<Item, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let serde_json::Value::Object(mut map) = value else {
        let what = match value {
            serde_json::Value::Array(_) => "an array",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::Bool(_) => "a boolean",
            _ => "null",
        };
        return Err(format!(
            "{what} is not an item: write one JSON object a line, {{\"id\", \"body\"}} or a core Mention"
        ));
    };
    let has = |k: &str, map: &serde_json::Map<String, serde_json::Value>| map.contains_key(k);
    let item = if has("body", &map) || has("title", &map) {
        if has("text", &map) {
            return Err("has both body and text: give the text to check once".into());
        }
        serde_json::from_value::<Item>(serde_json::Value::Object(map))
            .map_err(|e| format!("not an item: {e}"))?
    } else if has("platform", &map) {
        // The core Mention: its text, its author's handle, age and reach.
        let mention: Mention = serde_json::from_value(serde_json::Value::Object(map))
            .map_err(|e| format!("not a core Mention: {e}"))?;
        Item::from(&mention)
    } else if let Some(text) = map.remove("text") {
        map.insert("body".into(), text);
        serde_json::from_value::<Item>(serde_json::Value::Object(map))
            .map_err(|e| format!("not an item: {e}"))?
    } else {
        return Err(
            "has no text to check: give \"body\" (and \"title\"), or \"text\" as a core Mention has"
                .into(),
        );
    };
    if item.id.trim().is_empty() {
        return Err("has an empty id: give each item an id".into());
    }
    Ok(item)
}

/// One expected outcome.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// The item (or just its body).
    #[serde(default)]
    item: Option<Item>,
    #[serde(default)]
    body: Option<String>,
    /// The action expected.
    expect: Action,
    /// The rules expected to fire, if given (exactly these).
    #[serde(default)]
    rules: Option<Vec<String>>,
}

fn run_cases(engine: &mut Engine, path: &Path) -> Result<(), CliError> {
    let cases: Vec<Case> = read_yaml(path)?;
    let mut failed = 0;
    let mut report = String::new();
    for (i, case) in cases.iter().enumerate() {
        let item = match (&case.item, &case.body) {
            (Some(item), _) => item.clone(),
            (None, Some(body)) => Item {
                id: format!("case {}", i + 1),
                body: body.clone(),
                ..Item::default()
            },
            (None, None) => {
                return Err(CliError::Usage(format!(
                    "{}: case {} has neither item nor body",
                    path.display(),
                    i + 1
                )));
            }
        };
        let d = engine.decide(&item);
        let rules: Vec<String> = d.rules().iter().map(|r| r.to_string()).collect();
        let ok = d.action == case.expect && case.rules.as_ref().is_none_or(|want| *want == rules);
        if !ok {
            failed += 1;
        }
        report.push_str(&format!(
            "{} case {}: {:?} -> {} {:?}{}\n",
            if ok { "ok  " } else { "FAIL" },
            i + 1,
            item.body,
            d.action,
            rules,
            if ok {
                String::new()
            } else {
                format!(
                    " (expected {} {:?})",
                    case.expect,
                    case.rules.as_deref().unwrap_or_default()
                )
            }
        ));
    }
    report.push_str(&format!(
        "{} of {} pass\n",
        cases.len() - failed,
        plural(cases.len() as u64, "case", "cases")
    ));
    crate::output::print_text(&report)?;
    if failed > 0 {
        return Err(CliError::Usage(format!(
            "{} failed",
            plural(failed as u64, "case", "cases")
        )));
    }
    Ok(())
}
