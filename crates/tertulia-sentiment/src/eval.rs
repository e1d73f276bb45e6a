//! Measuring a model against human ratings: read a rated corpus, then
//! compare the model's scores with the people's.

use serde::{Deserialize, Serialize};
use tertulia_core::{Polarity, Sentiment};

use crate::error::{Error, Result};
use crate::lexicon::MAX_VALENCE;

/// One text with the mean of its human ratings, from -4 to 4.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rated {
    /// The mean human rating.
    pub rating: f64,
    /// The text.
    pub text: String,
}

/// Reads VADER's ground-truth files: `id<TAB>mean rating<TAB>text` per line.
/// `source_name` names the file in errors.
pub fn parse_ground_truth(text: &str, source_name: &str) -> Result<Vec<Rated>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |problem: String| Error::Lexicon {
            source_name: source_name.to_owned(),
            line: n + 1,
            problem,
        };
        let mut fields = line.splitn(3, '\t');
        let (Some(_id), Some(rating), Some(text)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(bad("expected id, TAB, mean rating, TAB, text".to_owned()));
        };
        let rating: f64 = rating
            .trim()
            .parse()
            .ok()
            .filter(|r: &f64| r.is_finite() && r.abs() <= MAX_VALENCE)
            .ok_or_else(|| {
                bad(format!(
                    "the rating {rating:?} is not a number from -4 to 4"
                ))
            })?;
        out.push(Rated {
            rating,
            text: text.to_owned(),
        });
    }
    Ok(out)
}

/// How far from zero a human mean rating must be to count as negative or
/// positive: half a point of the 9-point scale.
pub const HUMAN_NEUTRAL_BAND: f64 = 0.5;

/// The three classes of a human mean rating, with [`HUMAN_NEUTRAL_BAND`].
pub fn human_polarity(rating: f64) -> Polarity {
    if rating >= HUMAN_NEUTRAL_BAND {
        Polarity::Positive
    } else if rating <= -HUMAN_NEUTRAL_BAND {
        Polarity::Negative
    } else {
        Polarity::Neutral
    }
}

/// How well a model's scores agree with people's ratings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Texts compared.
    pub texts: usize,
    /// Pearson correlation between the compound score and the mean rating.
    pub pearson: f64,
    /// Share of texts whose class (negative, neutral, positive) is the same:
    /// the model's with [`Sentiment::NEUTRAL_BAND`], the people's with
    /// [`HUMAN_NEUTRAL_BAND`].
    pub three_class: f64,
}

/// Compares scores with ratings, pair by pair. `None` when there are fewer
/// than two pairs, or either side does not vary (no correlation exists).
pub fn agreement(pairs: impl IntoIterator<Item = (Sentiment, f64)>) -> Option<Agreement> {
    let (mut n, mut sx, mut sy, mut sxx, mut syy, mut sxy, mut same) =
        (0usize, 0.0, 0.0, 0.0, 0.0, 0.0, 0usize);
    for (score, rating) in pairs {
        let x = score.score();
        n += 1;
        sx += x;
        sy += rating;
        sxx += x * x;
        syy += rating * rating;
        sxy += x * rating;
        same += usize::from(score.polarity() == human_polarity(rating));
    }
    let nf = n as f64;
    let (vx, vy) = (sxx - sx * sx / nf, syy - sy * sy / nf);
    if n < 2 || vx <= 0.0 || vy <= 0.0 {
        return None;
    }
    Some(Agreement {
        texts: n,
        pearson: (sxy - sx * sy / nf) / (vx * vy).sqrt(),
        three_class: same as f64 / nf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: f64) -> Sentiment {
        Sentiment::new(x).unwrap()
    }

    #[test]
    fn agreement_by_hand() {
        // Scores 0.5, -0.5, 0 against ratings 2, -1, 0.4: perfectly linear
        // would be r = 1; here x = (0.5, -0.5, 0), y = (2, -1, 0.4).
        // mean x 0, mean y 0.4667; cov = 0.5*1.5333 + -0.5*-1.4667 + 0 = 1.5
        // var x = 0.5, var y = 2.3511 + 2.1511 + 0.0044 = 4.5067
        // r = 1.5 / sqrt(0.5 * 4.5067) = 0.99926...
        let a = agreement([(s(0.5), 2.0), (s(-0.5), -1.0), (s(0.0), 0.4)]).unwrap();
        assert!((a.pearson - 1.5 / (0.5f64 * 4.506_666_666_666_667).sqrt()).abs() < 1e-12);
        assert_eq!(a.three_class, 1.0);
        let a = agreement([(s(0.5), -2.0), (s(-0.5), 2.0)]).unwrap();
        assert_eq!(a.pearson, -1.0);
        assert_eq!(a.three_class, 0.0);
        assert_eq!(agreement([(s(0.1), 1.0), (s(0.1), 2.0)]), None);
    }

    #[test]
    fn ground_truth_lines() {
        let rated = parse_ground_truth("1\t2.5\tgreat\ttab inside\n\n2\t-1\tmeh\n", "gt").unwrap();
        assert_eq!(rated.len(), 2);
        assert_eq!(rated[0].text, "great\ttab inside");
        let err = parse_ground_truth("1\tx\ttext\n", "gt").unwrap_err();
        assert!(err.to_string().starts_with("gt, line 1"), "{err}");
        assert!(parse_ground_truth("1\t2.5\n", "gt").is_err());
    }
}
