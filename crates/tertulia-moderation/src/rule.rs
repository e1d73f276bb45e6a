//! Rules as community managers write them: YAML or a Rust builder.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::normalize::NormalizeOptions;

/// A text field of an item a condition looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The text of the comment or post.
    Body,
    /// The title, where the platform has one.
    Title,
    /// The author's name.
    AuthorName,
    /// The domains of the links in the body and title.
    Domain,
    /// The links in the body and title.
    Url,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 5] = [
        Field::Body,
        Field::Title,
        Field::AuthorName,
        Field::Domain,
        Field::Url,
    ];

    /// The name in rule files.
    pub fn name(self) -> &'static str {
        match self {
            Field::Body => "body",
            Field::Title => "title",
            Field::AuthorName => "author_name",
            Field::Domain => "domain",
            Field::Url => "url",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Field {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Field, String> {
        Field::ALL
            .into_iter()
            .find(|f| f.name() == s.trim())
            .ok_or_else(|| {
                format!("{s:?} is not a field: use body, title, author_name, domain or url")
            })
    }
}

/// How a condition's values are compared with a field (AutoModerator's
/// modifiers).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchKind {
    /// Anywhere, even inside a word.
    Includes,
    /// As a whole word (the default).
    #[default]
    IncludesWord,
    /// At the start of the field.
    StartsWith,
    /// At the end of the field.
    EndsWith,
    /// The whole field, exactly.
    FullExact,
    /// The whole field, ignoring surrounding punctuation and spaces.
    FullText,
    /// A regular expression (Rust `regex` syntax, linear time).
    Regex,
}

impl MatchKind {
    /// Every kind.
    pub const ALL: [MatchKind; 7] = [
        MatchKind::Includes,
        MatchKind::IncludesWord,
        MatchKind::StartsWith,
        MatchKind::EndsWith,
        MatchKind::FullExact,
        MatchKind::FullText,
        MatchKind::Regex,
    ];

    /// The name in rule files.
    pub fn name(self) -> &'static str {
        match self {
            MatchKind::Includes => "includes",
            MatchKind::IncludesWord => "includes-word",
            MatchKind::StartsWith => "starts-with",
            MatchKind::EndsWith => "ends-with",
            MatchKind::FullExact => "full-exact",
            MatchKind::FullText => "full-text",
            MatchKind::Regex => "regex",
        }
    }
}

/// A condition on text: any of `values` found in any of `fields`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextCondition {
    /// The fields looked at; a match in any one is enough.
    pub fields: Vec<Field>,
    /// How values compare.
    pub kind: MatchKind,
    /// The values; any one is enough.
    pub values: Vec<String>,
    /// Compare case-sensitively (turns normalization off for this condition).
    pub case_sensitive: bool,
    /// The condition holds when nothing matches.
    pub negate: bool,
    /// Words a match may fall inside without counting ("classic" for "ass"
    /// under `includes`).
    pub allow: Vec<String>,
}

/// A comparison with a number, written `"< 7"`, `">= 3"`, `"10"` (equal).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Threshold", into = "String")]
pub struct Compare {
    /// The operator.
    pub op: Op,
    /// The number.
    pub value: f64,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `=` (or no operator)
    Eq,
}

impl Compare {
    /// Whether `x` satisfies the comparison.
    pub fn holds(&self, x: f64) -> bool {
        match self.op {
            Op::Lt => x < self.value,
            Op::Le => x <= self.value,
            Op::Gt => x > self.value,
            Op::Ge => x >= self.value,
            Op::Eq => x == self.value,
        }
    }
}

/// A threshold as written in a file: a number or a string with an operator.
#[derive(Deserialize)]
#[serde(untagged)]
enum Threshold {
    Number(f64),
    Text(String),
}

impl TryFrom<Threshold> for Compare {
    type Error = String;
    fn try_from(t: Threshold) -> std::result::Result<Self, String> {
        match t {
            Threshold::Number(value) => Ok(Compare { op: Op::Eq, value }),
            Threshold::Text(s) => s.parse(),
        }
    }
}

impl FromStr for Compare {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let t = s.trim();
        let (op, rest) = [
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("<", Op::Lt),
            (">", Op::Gt),
            ("==", Op::Eq),
            ("=", Op::Eq),
        ]
        .into_iter()
        .find_map(|(p, op)| t.strip_prefix(p).map(|r| (op, r)))
        .unwrap_or((Op::Eq, t));
        // AutoModerator writes units: "< 7 days", "> 100"; days are the unit.
        let number = rest
            .trim()
            .trim_end_matches("days")
            .trim_end_matches("day")
            .trim();
        let value: f64 = number.parse().map_err(|_| {
            format!("{s:?} is not a comparison: write for example \"< 7\" or \">= 3\"")
        })?;
        if !value.is_finite() {
            return Err(format!("{s:?} is not a finite number"));
        }
        Ok(Compare { op, value })
    }
}

impl From<Compare> for String {
    fn from(c: Compare) -> String {
        let op = match c.op {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "=",
        };
        format!("{op} {}", c.value)
    }
}

/// Conditions on the author.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthorCondition {
    /// Days since the account was created.
    pub account_age_days: Option<Compare>,
    /// Followers.
    pub followers: Option<Compare>,
    /// Reputation (karma).
    pub reputation: Option<Compare>,
    /// Verified by the platform.
    pub verified: Option<bool>,
    /// A member of the community.
    pub member: Option<bool>,
    /// A moderator.
    pub moderator: Option<bool>,
    /// Any one of the thresholds (age, followers, reputation) is enough,
    /// instead of all.
    pub satisfy_any_threshold: bool,
}

/// Conditions on the text's shape (the body).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShapeCondition {
    /// Characters.
    pub length: Option<Compare>,
    /// Links.
    pub links: Option<Compare>,
    /// @-mentions.
    pub mentions: Option<Compare>,
    /// Upper-case letters over all letters, 0 to 1.
    pub caps_ratio: Option<Compare>,
    /// The longest run of one repeated character.
    pub repeated_chars: Option<Compare>,
    /// Emoji.
    pub emoji: Option<Compare>,
}

/// A condition on how often something happens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RateCondition {
    /// The same author posted more than `max` items within the window.
    SameAuthor {
        /// Items allowed in the window.
        max: u32,
        /// The window, in minutes.
        within_minutes: u32,
    },
    /// The same text came from at least `authors` different authors within
    /// the window: a spam wave.
    SameText {
        /// Distinct authors that make a wave.
        authors: u32,
        /// The window, in minutes.
        within_minutes: u32,
    },
}

/// What a rule does.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Approve it (undoes filters; never overrides a human moderator).
    Approve,
    /// Hide it from everyone but its author.
    Hide,
    /// Remove it.
    Remove,
    /// Remove it as spam.
    Spam,
    /// Hold it for a moderator's review.
    Review,
    /// Report it to moderators, leaving it up.
    Report,
    /// Only reply, label or escalate; as a decision, nothing acted.
    #[default]
    None,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Approve => "approve",
            Action::Hide => "hide",
            Action::Remove => "remove",
            Action::Spam => "spam",
            Action::Review => "review",
            Action::Report => "report",
            Action::None => "none",
        })
    }
}

impl Action {
    /// Whether it takes the item down (AutoModerator's removal actions): such
    /// rules run first by priority, and the first that fires stops the others.
    pub fn is_removal(self) -> bool {
        matches!(
            self,
            Action::Remove | Action::Spam | Action::Review | Action::Hide
        )
    }
}

/// A moderation rule.
///
/// ```
/// use tertulia_moderation::{Action, Field, MatchKind, Rule};
///
/// let rule = Rule::new("insults", Action::Hide)
///     .matching(Field::Body, MatchKind::IncludesWord, ["idiot", "imbecile"])
///     .with_reply("{{author}}, please keep it civil.");
/// assert_eq!(rule.text.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Its name, as decisions cite it.
    pub name: String,
    /// Higher runs first. Default 0.
    pub priority: i32,
    /// Text conditions, all required.
    pub text: Vec<TextCondition>,
    /// Author conditions.
    pub author: Option<AuthorCondition>,
    /// Shape conditions.
    pub shape: Option<ShapeCondition>,
    /// A rate condition.
    pub rate: Option<RateCondition>,
    /// What it does.
    pub action: Action,
    /// A reply, with `{{author}}`, `{{match}}`, `{{field}}`, `{{rule}}`.
    pub reply: Option<String>,
    /// Labels to put on the item.
    pub labels: Vec<String>,
    /// Raise a signal for crisis detection.
    pub escalate: bool,
    /// Moderators are exempt (default: for removal and report rules).
    pub moderators_exempt: Option<bool>,
    /// Normalization of text conditions: `None` compares text as written.
    pub normalize: Option<NormalizeOptions>,
}

impl Rule {
    /// A rule with no conditions yet (it matches everything), normalizing
    /// text with the default steps.
    pub fn new(name: impl Into<String>, action: Action) -> Self {
        Rule {
            name: name.into(),
            priority: 0,
            text: Vec::new(),
            author: None,
            shape: None,
            rate: None,
            action,
            reply: None,
            labels: Vec::new(),
            escalate: false,
            moderators_exempt: None,
            normalize: Some(NormalizeOptions::default()),
        }
    }

    /// This rule with another text condition.
    #[must_use]
    pub fn matching<S: Into<String>>(
        mut self,
        field: Field,
        kind: MatchKind,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        self.text.push(TextCondition {
            fields: vec![field],
            kind,
            values: values.into_iter().map(Into::into).collect(),
            case_sensitive: false,
            negate: false,
            allow: Vec::new(),
        });
        self
    }

    /// This rule with a priority.
    #[must_use]
    pub fn with_priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// This rule with a reply template.
    #[must_use]
    pub fn with_reply(mut self, template: impl Into<String>) -> Self {
        self.reply = Some(template.into());
        self
    }

    /// This rule with author conditions.
    #[must_use]
    pub fn with_author(mut self, author: AuthorCondition) -> Self {
        self.author = Some(author);
        self
    }

    /// Whether moderators are exempt from it.
    pub fn exempts_moderators(&self) -> bool {
        self.moderators_exempt
            .unwrap_or(self.action.is_removal() || self.action == Action::Report)
    }

    /// Checks what a parser cannot: a name, values, sane windows.
    pub fn check(&self) -> Result<()> {
        let bad = |problem: String| Error::Rule {
            rule: self.name.clone(),
            problem,
        };
        if self.name.trim().is_empty() {
            return Err(bad(
                "has no name: give every rule a name decisions can cite".into(),
            ));
        }
        for c in &self.text {
            if c.fields.is_empty() || c.values.is_empty() {
                return Err(bad(format!(
                    "has a {} condition with no {}: give at least one",
                    c.kind.name(),
                    if c.fields.is_empty() {
                        "field"
                    } else {
                        "value"
                    }
                )));
            }
        }
        if let Some(
            RateCondition::SameAuthor {
                within_minutes: 0, ..
            }
            | RateCondition::SameText {
                within_minutes: 0, ..
            },
        ) = self.rate
        {
            return Err(bad(
                "has a rate window of 0 minutes: give a positive window".into(),
            ));
        }
        Ok(())
    }
}
