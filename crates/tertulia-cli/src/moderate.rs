//! `tertulia moderate`: decide each item of a JSON Lines stream.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use serde::{Deserialize, Serialize};
use tertulia_moderation::{
    Action, Decision, Engine, Field, Item, Rule, parse_automoderator, parse_rules,
};

use crate::CliError;

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
        let written = match serde_json::from_str::<Item>(&line) {
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
                eprintln!("tertulia: line {}: not an item: {e}", n + 1);
                serde_json::to_writer(
                    &mut out,
                    &serde_json::json!({"line": n + 1, "error": e.to_string()}),
                )
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
            "{bad} input lines were not items (see above)"
        )));
    }
    Ok(())
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
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    let cases: Vec<Case> = serde_saphyr::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
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
        "{} of {} cases pass\n",
        cases.len() - failed,
        cases.len()
    ));
    crate::output::print_text(&report)?;
    if failed > 0 {
        return Err(CliError::Usage(format!("{failed} cases failed")));
    }
    Ok(())
}
