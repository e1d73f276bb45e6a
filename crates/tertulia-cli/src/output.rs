//! How the command talks: one-line errors, progress bars, tables, JSON.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use comfy_table::{ContentArrangement, Table, presets};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::CliError;

/// Prints a clap error as one line (help and version as clap prints them).
pub(crate) fn argument_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        // Help asked for without a subcommand is still a usage error.
        let code = if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
        let _ = err.print();
        return code;
    }
    // The message is the first paragraph of clap's text, folded onto one line.
    let rendered = err.render().to_string();
    let message: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty())
        .collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    eprintln!("tertulia: {message} (see tertulia --help)");
    ExitCode::from(2)
}

/// A progress bar over the weeks of the simulated period, drawn on standard
/// error only when it is a terminal and the output is for people.
pub(crate) struct Progress {
    bar: ProgressBar,
    start: DateTime<Utc>,
}

impl Progress {
    pub fn new(start: DateTime<Utc>, weeks: u32, json: bool) -> Progress {
        let bar = if json || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let bar =
                ProgressBar::with_draw_target(Some(u64::from(weeks)), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{msg:<32} {wide_bar} week {pos}/{len}")
                    .expect("a valid template"),
            );
            bar
        };
        Progress { bar, start }
    }

    /// Starts a pass over the period, named `what`.
    pub fn phase(&self, what: &'static str) {
        self.bar.set_message(what);
        self.bar.set_position(0);
    }

    /// Shows that the items up to `at` are done.
    pub fn reached(&self, at: DateTime<Utc>) {
        let weeks = (at - self.start).num_weeks().max(0) as u64;
        let weeks = weeks.min(self.bar.length().unwrap_or(weeks));
        if weeks > self.bar.position() {
            self.bar.set_position(weeks);
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A table for people, as wide as the terminal allows: the terminal's
/// width when standard output is one, else `COLUMNS` if set; cells wrap to
/// fit. Piped into a file with no `COLUMNS`, it keeps its natural width.
pub(crate) fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED);
    t.set_header(header.iter().copied());
    if let Some(width) = width() {
        t.set_content_arrangement(ContentArrangement::Dynamic);
        t.set_width(width);
    }
    t
}

/// The width output should fit, if there is one.
fn width() -> Option<u16> {
    let term = console::Term::stdout();
    if term.is_term()
        && let Some((_, columns)) = term.size_checked()
    {
        return Some(columns);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|&c| c >= 20)
}

/// `n` and the noun, singular or plural: "1 case", "3 cases", "1,200 posts".
pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// Reads a file a person writes, in YAML (JSON is YAML too), refusing what
/// does not fit `T` in one line that names the file, the line and the key.
pub(crate) fn read_yaml<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
) -> Result<T, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_owned(),
        source,
    })?;
    let options = serde_saphyr::options! { with_snippet: false };
    serde_saphyr::from_str_with_options(&text, options).map_err(|e| {
        let said = e.to_string();
        let said = said.split_whitespace().collect::<Vec<_>>().join(" ");
        CliError::Usage(format!("{}: {said}", path.display()))
    })
}

/// A warning on standard error: what looks wrong but did not stop the work.
pub(crate) fn warn(what: &str) {
    eprintln!("tertulia: warning: {what}");
}

/// Writes `value` as pretty JSON and a newline to standard output.
pub(crate) fn print_json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| CliError::Stdout(e.into()))?;
    writeln!(out).map_err(CliError::Stdout)
}

/// Writes text to standard output.
pub(crate) fn print_text(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).map_err(CliError::Stdout)?;
    out.flush().map_err(CliError::Stdout)
}

/// `n` with thousands separated by commas: 12,345.
pub(crate) fn count(n: u64) -> String {
    tertulia_core::thousands(n)
}

/// A share as a percentage with one decimal: 12.3%.
pub(crate) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "n/a".to_owned()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

/// A one-line chart of `values`, scaled to their maximum.
pub(crate) fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    values
        .iter()
        .map(|&v| BARS[((v * 7 + max / 2) / max) as usize])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_for_people() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(1, 0), "n/a");
        assert_eq!(sparkline(&[0, 5, 10]), "▁▅█");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(plural(1, "case", "cases"), "1 case");
        assert_eq!(plural(1_200, "post", "posts"), "1,200 posts");
        assert_eq!(plural(0, "post", "posts"), "0 posts");
    }
}
