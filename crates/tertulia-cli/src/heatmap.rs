//! The weekday × hour heat map of a best-time model, as text and as SVG.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tertulia_schedule::{BestTimes, Verdict};

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Each hour's estimate (the mean of its slots when slots are narrower).
fn grid(model: &BestTimes) -> [[f64; 24]; 7] {
    let mut sum = [[0.0; 24]; 7];
    let mut n = [[0.0; 24]; 7];
    for s in &model.ranked {
        let (d, h) = (
            s.slot.weekday.num_days_from_monday() as usize,
            usize::from(s.slot.hour()),
        );
        sum[d][h] += s.estimate;
        n[d][h] += 1.0;
    }
    let mut out = [[0.0; 24]; 7];
    for d in 0..7 {
        for h in 0..24 {
            out[d][h] = sum[d][h] / n[d][h];
        }
    }
    out
}

/// The heat map in text: one row a weekday, one character an hour. With
/// `numbered_days`, rows are "d1".."d7" (the source did not say which day 1 is).
pub(crate) fn text(model: &BestTimes, numbered_days: bool) -> String {
    const SHADES: [char; 5] = [' ', '░', '▒', '▓', '█'];
    let g = grid(model);
    let (lo, hi) = bounds(&g);
    let mut out = String::from("     0     6     12    18   23\n");
    for (d, row) in g.iter().enumerate() {
        if numbered_days {
            out.push_str(&format!("d{}   ", d + 1));
        } else {
            out.push_str(DAYS[d]);
            out.push_str("  ");
        }
        for v in row {
            let k = if hi > lo {
                ((v - lo) / (hi - lo) * 4.0).round() as usize
            } else {
                2
            };
            out.push(SHADES[k.min(4)]);
        }
        out.push('\n');
    }
    out
}

fn bounds(g: &[[f64; 24]; 7]) -> (f64, f64) {
    let all = g.iter().flatten().copied();
    let lo = all.clone().fold(f64::INFINITY, f64::min);
    let hi = all.fold(f64::NEG_INFINITY, f64::max);
    (lo, hi)
}

/// The heat map as an SVG picture: colour is the estimate, a ring marks
/// the slots called better than the account's level.
pub(crate) fn svg(
    model: &BestTimes,
    title: &str,
    outcome: &str,
    numbered_days: bool,
    path: &Path,
) -> Result<(), String> {
    let (cell, left, top) = (34i32, 60i32, 70i32);
    let (w, h) = ((left + 24 * cell + 20) as u32, (top + 7 * cell + 60) as u32);
    let root = SVGBackend::new(path, (w, h)).into_drawing_area();
    let err = |e: DrawingAreaErrorKind<_>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let g = grid(model);
    let (lo, hi) = bounds(&g);
    let label = |size| ("sans-serif", size).into_font().color(&BLACK);
    root.draw(&Text::new(title.to_owned(), (left, 24), label(18)))
        .map_err(err)?;
    root.draw(&Text::new(
        format!(
            "estimate of {} by local weekday and hour ({}); darker is better; ringed: better than the account's level at {:.0}%",
            outcome,
            model.zone,
            100.0 * model.level
        ),
        (left, 46),
        label(12),
    ))
    .map_err(err)?;
    let better: Vec<(usize, usize)> = model
        .ranked
        .iter()
        .filter(|s| s.verdict == Verdict::Better)
        .map(|s| {
            (
                s.slot.weekday.num_days_from_monday() as usize,
                usize::from(s.slot.hour()),
            )
        })
        .collect();
    for (d, row) in g.iter().enumerate() {
        let y = top + d as i32 * cell;
        let day = if numbered_days {
            format!("day {}", d + 1)
        } else {
            DAYS[d].to_owned()
        };
        root.draw(&Text::new(day, (10, y + cell / 2 - 6), label(13)))
            .map_err(err)?;
        for (hour, v) in row.iter().enumerate() {
            let x = left + hour as i32 * cell;
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.5 };
            let shade = (235.0 - 200.0 * t) as u8;
            let colour = RGBColor(
                shade,
                (shade as f64 * 0.9 + 20.0) as u8,
                255u8.saturating_sub((t * 60.0) as u8),
            );
            root.draw(&Rectangle::new(
                [(x, y), (x + cell - 2, y + cell - 2)],
                colour.filled(),
            ))
            .map_err(err)?;
            if better.contains(&(d, hour)) {
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell - 2, y + cell - 2)],
                    RED.stroke_width(3),
                ))
                .map_err(err)?;
            }
        }
    }
    let centred = label(11).pos(Pos::new(HPos::Center, VPos::Top));
    for hour in (0..24).step_by(2) {
        root.draw(&Text::new(
            format!("{hour:02}"),
            (left + hour * cell + cell / 2, top + 7 * cell + 6),
            centred.clone(),
        ))
        .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}
