//! The compiled engine: every rule's text conditions in one pass per field,
//! decisions that explain themselves.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::ops::Range;

use chrono::{DateTime, TimeDelta, Utc};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::{Deserialize, Serialize};
use tertulia_core::Mention;

use crate::error::{Error, Result};
use crate::lockstep::Lockstep;
use crate::normalize::{NormalizeOptions, Normalized, Normalizer, is_word};
use crate::rule::{Action, Field, MatchKind, RateCondition, Rule};
use crate::terms::TermMatcher;

/// The compiled size a regex may reach (each, and each set): a larger one
/// is an error, never a slow match.
const REGEX_SIZE_LIMIT: usize = 4 << 20;

/// How many items [`Engine::decide_each`] reads ahead, for their regex sets
/// to be walked together.
const BATCH: usize = 64;

/// The author of an item, as conditions see it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemAuthor {
    /// The name or handle.
    #[serde(default)]
    pub name: String,
    /// Days since the account was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_age_days: Option<f64>,
    /// Followers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<u64>,
    /// Reputation (karma).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reputation: Option<i64>,
    /// Verified by the platform.
    #[serde(default)]
    pub verified: bool,
    /// A member of the community.
    #[serde(default)]
    pub member: bool,
    /// A moderator.
    #[serde(default)]
    pub moderator: bool,
}

/// One comment, mention or post to moderate.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Its id.
    pub id: String,
    /// Its text.
    #[serde(default)]
    pub body: String,
    /// Its title, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Its author, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<ItemAuthor>,
    /// When it was posted (needed by rate conditions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// A human moderator's decision on it, which no rule overrides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderated: Option<Action>,
}

impl From<&Mention> for Item {
    fn from(m: &Mention) -> Self {
        let at = m.created_at;
        Item {
            id: m.id.as_str().to_owned(),
            body: m.text.clone(),
            title: None,
            author: Some(ItemAuthor {
                name: m.author.handle.as_str().to_owned(),
                account_age_days: m
                    .author
                    .account_age(at)
                    .map(|d| d.num_seconds() as f64 / 86_400.0),
                followers: m.author.followers,
                reputation: m.author.reputation,
                verified: m.author.flags.verified,
                member: m.author.flags.member,
                moderator: m.author.flags.moderator,
            }),
            created_at: Some(at),
            moderated: None,
        }
    }
}

/// Where a text condition matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The field.
    pub field: Field,
    /// The byte range in that field's original text.
    pub span: Range<usize>,
    /// The original text of the match.
    pub text: String,
    /// The normalized form that matched (the text itself without
    /// normalization).
    pub normalized: String,
}

/// One rule that fired, and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fired {
    /// The rule.
    pub rule: String,
    /// Its action.
    pub action: Action,
    /// Where its text conditions matched.
    pub matches: Vec<Evidence>,
    /// Its other conditions that held, in words.
    pub because: Vec<String>,
    /// Its reply, filled in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<String>,
    /// Its labels.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Whether it raises a crisis signal.
    pub escalate: bool,
    /// Whether a human moderator's decision kept it from acting.
    pub overridden: bool,
}

/// What the engine decided for one item, and why: an audit-log record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The item.
    pub id: String,
    /// The final action (`none` when nothing acted).
    pub action: Action,
    /// Every rule that fired, in the order they ran.
    pub fired: Vec<Fired>,
}

impl Decision {
    /// The names of the rules that fired.
    pub fn rules(&self) -> Vec<&str> {
        self.fired.iter().map(|f| f.rule.as_str()).collect()
    }
}

/// Evidence written into the buffers of a spare one, if there is one.
fn evidence(
    spare: &mut Vec<Evidence>,
    field: Field,
    span: Range<usize>,
    text: &str,
    normalized: &str,
) -> Evidence {
    let mut e = spare.pop().unwrap_or_else(|| Evidence {
        field,
        span: 0..0,
        text: String::new(),
        normalized: String::new(),
    });
    e.field = field;
    e.span = span;
    e.text.clear();
    e.text.push_str(text);
    e.normalized.clear();
    e.normalized.push_str(normalized);
    e
}

/// Where a literal of the term matchers comes from.
#[derive(Debug, Clone, Copy)]
struct Literal {
    condition: usize,
    kind: MatchKind,
}

/// The literal values of one field under one normalization, before
/// compiling.
struct LiteralList {
    field: Field,
    options: NormalizeOptions,
    /// Each value and whether it must match a whole word.
    values: Vec<(String, bool)>,
    literals: Vec<Literal>,
}

/// The literals of one field under one normalization.
#[derive(Debug)]
struct LiteralGroup {
    field: Field,
    options: NormalizeOptions,
    matcher: TermMatcher,
    literals: Vec<Literal>,
}

/// The regex conditions of one field.
#[derive(Debug)]
struct RegexGroup {
    field: Field,
    set: RegexSet,
    /// The set's automaton, for several items at once (`None` if it could
    /// not be built: the set answers alone).
    lockstep: Option<Lockstep>,
    /// Whether the set matches each item of the batch being decided (`None`
    /// where the automaton left it to the set).
    batch: Vec<Option<bool>>,
    conditions: Vec<(usize, Regex)>,
}

#[derive(Debug, Clone)]
struct Condition {
    rule: usize,
    negate: bool,
    /// Allowed words that a match may fall inside: normalized, for a
    /// condition read on the skeleton.
    allow: Vec<String>,
    /// ... and as written, found in any case, for one read on the text.
    allow_written: Vec<Regex>,
}

/// Recent items, for rate conditions.
#[derive(Debug, Default)]
struct RateState {
    by_author: HashMap<String, VecDeque<DateTime<Utc>>>,
    by_text: HashMap<String, VecDeque<(DateTime<Utc>, String)>>,
    window: TimeDelta,
}

/// Rules compiled together.
///
/// Text conditions are compiled per field: every normalized literal into one
/// automaton per normalization, every regex (and every literal compared as
/// written) into one regex set. An item costs one normalization and one pass
/// per field, however many rules there are.
///
/// ```
/// use tertulia_moderation::{Action, Engine, Field, Item, MatchKind, Rule};
///
/// let rules = vec![Rule::new("insults", Action::Hide)
///     .matching(Field::Body, MatchKind::IncludesWord, ["idiot"])
///     .with_reply("{{author}}, please keep it civil.")];
/// let mut engine = Engine::new(rules)?;
/// let item = Item { id: "c1".into(), body: "what an 1d10t".into(), ..Item::default() };
/// let d = engine.decide(&item);
/// assert_eq!(d.action, Action::Hide);
/// assert_eq!(d.fired[0].matches[0].text, "1d10t");
/// assert_eq!(d.fired[0].matches[0].normalized, "idiot");
/// # Ok::<(), tertulia_moderation::Error>(())
/// ```
#[derive(Debug)]
pub struct Engine {
    rules: Vec<Rule>,
    /// Rules in the order they run: removal rules by priority, then the rest.
    order: Vec<usize>,
    conditions: Vec<Condition>,
    /// Per rule, its condition ids.
    rule_conditions: Vec<Vec<usize>>,
    literals: Vec<LiteralGroup>,
    regexes: Vec<RegexGroup>,
    rate: RateState,
    /// Scratch, reused across items.
    hits: Vec<Option<Evidence>>,
    /// Evidence and decisions given back by [`Engine::decide_into`], whose
    /// buffers the next item writes into.
    spare_evidence: Vec<Evidence>,
    spare_fired: Vec<Fired>,
    /// Conditions hit for the current item, to reset only those.
    hit_ids: Vec<usize>,
    /// Each rule's position in `order`.
    rank: Vec<usize>,
    /// How many removal rules there are (the first in `order`).
    removals: usize,
    /// Rules that may fire with no text matched (no positive text
    /// condition), by rank: checked for every item.
    unconditional: Vec<usize>,
    /// Scratch: the ranks of the rules to check for the current item.
    candidates: Vec<usize>,
    /// Whether any condition looks at domains or URLs.
    reads_links: bool,
    normalized: Normalized,
    /// Scratch: why the rule being checked holds, beyond its text.
    because: Vec<String>,
}

impl Engine {
    /// Compiles `rules`.
    pub fn new(rules: Vec<Rule>) -> Result<Self> {
        let mut conditions = Vec::new();
        let mut rule_conditions = Vec::new();
        // (field, options) -> literal values and their origins.
        let mut literal_lists: Vec<LiteralList> = Vec::new();
        let mut regex_lists: BTreeMap<Field, Vec<(usize, String)>> = BTreeMap::new();
        let mut window = TimeDelta::zero();
        for (r, rule) in rules.iter().enumerate() {
            rule.check()?;
            if let Some(rate) = rule.rate {
                let (RateCondition::SameAuthor { within_minutes, .. }
                | RateCondition::SameText { within_minutes, .. }) = rate;
                window = window.max(TimeDelta::minutes(i64::from(within_minutes)));
            }
            let mut ids = Vec::new();
            for c in &rule.text {
                let id = conditions.len();
                ids.push(id);
                let normalize = rule
                    .normalize
                    .filter(|_| !c.case_sensitive && c.kind != MatchKind::Regex);
                let (allow, allow_written) = match normalize {
                    Some(o) => (
                        c.allow
                            .iter()
                            .map(|a| Normalizer::new(o).normalize(a).as_str().to_owned())
                            .collect(),
                        Vec::new(),
                    ),
                    // Found in the text itself: offsets in a lowercased copy
                    // move where lowercasing changes a character's length.
                    None => (
                        Vec::new(),
                        c.allow
                            .iter()
                            .map(|a| {
                                RegexBuilder::new(&regex::escape(a))
                                    .case_insensitive(true)
                                    .size_limit(REGEX_SIZE_LIMIT)
                                    .build()
                                    .map_err(|e| Error::Rule {
                                        rule: rule.name.clone(),
                                        problem: format!("has an allowed word too large: {e}"),
                                    })
                            })
                            .collect::<Result<_>>()?,
                    ),
                };
                conditions.push(Condition {
                    rule: r,
                    negate: c.negate,
                    allow,
                    allow_written,
                });
                for &field in &c.fields {
                    match normalize {
                        Some(options) => {
                            let group = match literal_lists
                                .iter_mut()
                                .position(|g| (g.field, g.options) == (field, options))
                            {
                                Some(i) => &mut literal_lists[i],
                                None => {
                                    literal_lists.push(LiteralList {
                                        field,
                                        options,
                                        values: Vec::new(),
                                        literals: Vec::new(),
                                    });
                                    literal_lists.last_mut().expect("just pushed")
                                }
                            };
                            for v in &c.values {
                                group
                                    .values
                                    .push((v.clone(), c.kind == MatchKind::IncludesWord));
                                group.literals.push(Literal {
                                    condition: id,
                                    kind: c.kind,
                                });
                            }
                        }
                        None => regex_lists
                            .entry(field)
                            .or_default()
                            .push((id, pattern(c.kind, &c.values, c.case_sensitive))),
                    }
                }
            }
            rule_conditions.push(ids);
        }
        let literals = literal_lists
            .into_iter()
            .map(|l| {
                Ok(LiteralGroup {
                    field: l.field,
                    options: l.options,
                    matcher: TermMatcher::new(Normalizer::new(l.options), l.values)?,
                    literals: l.literals,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let regexes = regex_lists
            .into_iter()
            .map(|(field, list)| {
                let compile_error = |id: usize, e: regex::Error| Error::Rule {
                    rule: rules[conditions[id].rule].name.clone(),
                    problem: format!("has a {field} pattern that does not compile: {e}"),
                };
                let conditions_of = list
                    .iter()
                    .map(|(id, p)| {
                        RegexBuilder::new(p)
                            .size_limit(REGEX_SIZE_LIMIT)
                            .build()
                            .map(|r| (*id, r))
                            .map_err(|e| compile_error(*id, e))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let patterns: Vec<&str> = list.iter().map(|(_, p)| p.as_str()).collect();
                let set = RegexSetBuilder::new(&patterns)
                    .size_limit(REGEX_SIZE_LIMIT * 4)
                    .build()
                    .map_err(|e| compile_error(list[0].0, e))?;
                Ok(RegexGroup {
                    field,
                    set,
                    lockstep: Lockstep::new(&patterns, REGEX_SIZE_LIMIT * 4),
                    batch: Vec::new(),
                    conditions: conditions_of,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut order: Vec<usize> = (0..rules.len()).collect();
        order.sort_by_key(|&r| (!rules[r].action.is_removal(), -rules[r].priority));
        let mut rank = vec![0; rules.len()];
        for (i, &r) in order.iter().enumerate() {
            rank[r] = i;
        }
        let mut unconditional: Vec<usize> = (0..rules.len())
            .filter(|&r| rules[r].text.iter().all(|c| c.negate))
            .map(|r| rank[r])
            .collect();
        unconditional.sort_unstable();
        let reads_links = rules.iter().flat_map(|r| &r.text).any(|c| {
            c.fields
                .iter()
                .any(|f| matches!(f, Field::Domain | Field::Url))
        });
        Ok(Engine {
            removals: rules.iter().filter(|r| r.action.is_removal()).count(),
            reads_links,
            rank,
            unconditional,
            hits: vec![None; conditions.len()],
            spare_evidence: Vec::new(),
            spare_fired: Vec::new(),
            hit_ids: Vec::new(),
            candidates: Vec::new(),
            rules,
            order,
            conditions,
            rule_conditions,
            literals,
            regexes,
            rate: RateState {
                window,
                ..RateState::default()
            },
            normalized: Normalized::default(),
            because: Vec::new(),
        })
    }

    /// The rules, as given.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Decides one item. Items with rate conditions should come in time
    /// order: the engine remembers recent items for them.
    pub fn decide(&mut self, item: &Item) -> Decision {
        let mut decision = Decision::default();
        self.decide_into(item, &mut decision);
        decision
    }

    /// Decides one item into `out`, reusing the buffers of the decision it
    /// held: deciding a stream this way allocates only while decisions
    /// grow.
    ///
    /// ```
    /// use tertulia_moderation::{Action, Decision, Engine, Field, Item, MatchKind, Rule};
    ///
    /// let mut engine = Engine::new(vec![Rule::new("insults", Action::Hide)
    ///     .matching(Field::Body, MatchKind::IncludesWord, ["idiot"])])?;
    /// let mut d = Decision::default();
    /// let mut hidden = 0;
    /// for body in ["hello", "you idiot", "what an 1d10t"] {
    ///     engine.decide_into(&Item { body: body.into(), ..Item::default() }, &mut d);
    ///     hidden += usize::from(d.action == Action::Hide);
    /// }
    /// assert_eq!(hidden, 2);
    /// # Ok::<(), tertulia_moderation::Error>(())
    /// ```
    pub fn decide_into(&mut self, item: &Item, out: &mut Decision) {
        self.decide_in_batch(item, None, out);
    }

    /// Decides `items` in order, handing each decision to `f`: the same
    /// decisions as [`Engine::decide_into`] on each in turn, with one
    /// reused decision, and faster on a stream. It reads up to 64 items
    /// ahead and asks each regex set about them together, walking the set's
    /// automaton over two texts at once (its memory loads then overlap).
    ///
    /// ```
    /// use tertulia_moderation::{Action, Engine, Field, Item, MatchKind, Rule};
    ///
    /// let mut engine = Engine::new(vec![Rule::new("phones", Action::Review)
    ///     .matching(Field::Body, MatchKind::Regex, [r"\d{3}-\d{4}"])])?;
    /// let items: Vec<Item> = ["call 555-1234", "hello", "or 555-9876"]
    ///     .into_iter()
    ///     .map(|b| Item { body: b.into(), ..Item::default() })
    ///     .collect();
    /// let mut reviewed = Vec::new();
    /// engine.decide_each(&items, |item, d| {
    ///     if d.action == Action::Review {
    ///         reviewed.push(item.body.as_str());
    ///     }
    /// });
    /// assert_eq!(reviewed, ["call 555-1234", "or 555-9876"]);
    /// # Ok::<(), tertulia_moderation::Error>(())
    /// ```
    pub fn decide_each<'a>(
        &mut self,
        items: impl IntoIterator<Item = &'a Item>,
        mut f: impl FnMut(&'a Item, &Decision),
    ) {
        let mut items = items.into_iter();
        let (mut batch, mut texts) = (Vec::with_capacity(BATCH), Vec::with_capacity(BATCH));
        let mut decision = Decision::default();
        loop {
            batch.clear();
            batch.extend(items.by_ref().take(BATCH));
            if batch.is_empty() {
                return;
            }
            for g in &mut self.regexes {
                g.batch.clear();
                // Links are extracted later, one item at a time.
                let Some(lockstep) = g
                    .lockstep
                    .as_mut()
                    .filter(|_| !matches!(g.field, Field::Domain | Field::Url))
                else {
                    continue;
                };
                texts.clear();
                texts.extend(
                    batch
                        .iter()
                        .map(|item| written(item, g.field).unwrap_or_default().as_bytes()),
                );
                lockstep.is_match_each(&texts, &mut g.batch);
            }
            for (k, &item) in batch.iter().enumerate() {
                self.decide_in_batch(item, Some(k), &mut decision);
                f(item, &decision);
            }
        }
    }

    /// Decides `item`: the `k`th of the batch whose regex answers the groups
    /// hold, or (`None`) one alone.
    fn decide_in_batch(&mut self, item: &Item, k: Option<usize>, out: &mut Decision) {
        for mut f in out.fired.drain(..) {
            self.spare_evidence.append(&mut f.matches);
            self.spare_fired.push(f);
        }
        for &c in &self.hit_ids {
            if let Some(e) = self.hits[c].take() {
                self.spare_evidence.push(e);
            }
        }
        self.hit_ids.clear();
        // Links are extracted only when a rule looks at them.
        let (domains, urls) = if self.reads_links {
            let links = links(&item.body, item.title.as_deref());
            let domains: Vec<String> = links.iter().filter_map(|l| domain(l)).collect();
            (domains.join(" "), links.join(" "))
        } else {
            (String::new(), String::new())
        };
        let author_name = written(item, Field::AuthorName).unwrap_or_default();
        let text_of = |field: Field| -> Option<&str> {
            match field {
                Field::Domain => Some(domains.as_str()),
                Field::Url => Some(urls.as_str()),
                _ => written(item, field),
            }
        };
        for g in &self.literals {
            let Some(text) = text_of(g.field) else {
                continue;
            };
            Normalizer::new(g.options).normalize_into(text, &mut self.normalized);
            let (hits, hit_ids, conditions) = (&mut self.hits, &mut self.hit_ids, &self.conditions);
            let spare = &mut self.spare_evidence;
            let normalized = &self.normalized;
            g.matcher.for_each(normalized, |term, at| {
                let lit = g.literals[term];
                if hits[lit.condition].is_some()
                    || !anchored(lit.kind, normalized, at.clone())
                    || allowed(&conditions[lit.condition].allow, normalized, at.clone())
                {
                    return true;
                }
                let span = normalized.original(at.clone());
                hit_ids.push(lit.condition);
                let mut e = evidence(spare, g.field, span.clone(), &text[span], "");
                normalized.push_at(at, &mut e.normalized);
                hits[lit.condition] = Some(e);
                true
            });
        }
        for g in &self.regexes {
            let Some(text) = text_of(g.field) else {
                continue;
            };
            // Most texts match no regex: the cheap question first.
            let matched = k.and_then(|k| *g.batch.get(k)?);
            if !matched.unwrap_or_else(|| g.set.is_match(text)) {
                continue;
            }
            for i in g.set.matches(text).iter() {
                let (id, re) = &g.conditions[i];
                if self.hits[*id].is_some() {
                    continue;
                }
                if let Some(m) = re.find(text) {
                    let inside = |w: regex::Match| w.start() <= m.start() && m.end() <= w.end();
                    let allow = &self.conditions[*id].allow_written;
                    if allow.iter().any(|a| a.find_iter(text).any(inside)) {
                        continue;
                    }
                    self.hit_ids.push(*id);
                    self.hits[*id] = Some(evidence(
                        &mut self.spare_evidence,
                        g.field,
                        m.range(),
                        m.as_str(),
                        m.as_str(),
                    ));
                }
            }
        }
        let rate_counts = self.record(item);

        let mut removal: Option<Action> = None;
        let mut other: Option<(i32, Action)> = None;
        let is_moderator = item.author.as_ref().is_some_and(|a| a.moderator);
        // Only rules with a condition hit, and rules that need none, can fire.
        self.candidates.clear();
        self.candidates.extend(
            self.hit_ids
                .iter()
                .map(|&c| self.rank[self.conditions[c].rule]),
        );
        self.candidates.extend_from_slice(&self.unconditional);
        self.candidates.sort_unstable();
        self.candidates.dedup();
        for &position in &self.candidates {
            // Removal rules come first: once one fired, the rest are passed
            // over without reading them.
            if position < self.removals && removal.is_some() {
                continue;
            }
            let r = self.order[position];
            let rule = &self.rules[r];
            if is_moderator && rule.exempts_moderators() {
                continue;
            }
            let text_ok = self.rule_conditions[r]
                .iter()
                .all(|&c| self.hits[c].is_some() != self.conditions[c].negate);
            if !text_ok {
                continue;
            }
            let mut because = std::mem::take(&mut self.because);
            because.clear();
            let holds = author_holds(rule, item, &mut because)
                && shape_holds(rule, &item.body, &mut because)
                && self.rate_holds(rule, &rate_counts, &mut because);
            if !holds {
                self.because = because;
                continue;
            }
            // Written in place (a `Fired` is large to move).
            out.fired.push(self.spare_fired.pop().unwrap_or_default());
            let f = out.fired.last_mut().expect("just pushed");
            self.because = std::mem::replace(&mut f.because, because);
            let overridden = item.moderated.is_some();
            if !overridden {
                if rule.action.is_removal() {
                    removal = Some(rule.action);
                } else if rule.action != Action::None
                    && other.is_none_or(|(p, _)| rule.priority > p)
                {
                    other = Some((rule.priority, rule.action));
                }
            }
            // A condition belongs to one rule, and a rule fires once: its
            // evidence moves into the decision.
            f.matches.extend(
                self.rule_conditions[r]
                    .iter()
                    .filter_map(|&c| self.hits[c].take()),
            );
            let first = f.matches.first();
            f.reply = rule.reply.as_ref().map(|t| {
                t.replace("{{author}}", author_name)
                    .replace("{{match}}", first.map_or("", |m| m.text.as_str()))
                    .replace("{{field}}", first.map_or("", |m| m.field.name()))
                    .replace("{{rule}}", &rule.name)
                    .replace("{{id}}", &item.id)
            });
            f.rule.clone_from(&rule.name);
            f.action = rule.action;
            f.labels.clone_from(&rule.labels);
            f.escalate = rule.escalate;
            f.overridden = overridden;
        }
        out.id.clone_from(&item.id);
        out.action = item
            .moderated
            .or(removal)
            .or(other.map(|(_, a)| a))
            .unwrap_or(Action::None);
    }

    /// Remembers `item` for rate conditions and returns (items by its author,
    /// distinct authors of its text) within each window that matters.
    fn record(&mut self, item: &Item) -> Option<(DateTime<Utc>, String, String)> {
        if self.rate.window.is_zero() {
            return None;
        }
        let at = item.created_at?;
        let author = item
            .author
            .as_ref()
            .map(|a| a.name.clone())
            .unwrap_or_default();
        let key = Normalizer::default()
            .normalize(&item.body)
            .as_str()
            .to_owned();
        let horizon = at - self.rate.window;
        let times = self.rate.by_author.entry(author.clone()).or_default();
        times.push_back(at);
        while times.front().is_some_and(|t| *t < horizon) {
            times.pop_front();
        }
        let texts = self.rate.by_text.entry(key.clone()).or_default();
        texts.push_back((at, author.clone()));
        while texts.front().is_some_and(|(t, _)| *t < horizon) {
            texts.pop_front();
        }
        Some((at, author, key))
    }

    /// Decides every item and counts how often each rule would fire, to try
    /// rules before they go live.
    pub fn dry_run<'a>(&mut self, items: impl IntoIterator<Item = &'a Item>) -> DryRun {
        let mut run = DryRun::default();
        self.decide_each(items, |_, decision| run.add(decision));
        run
    }

    fn rate_holds(
        &self,
        rule: &Rule,
        recent: &Option<(DateTime<Utc>, String, String)>,
        because: &mut Vec<String>,
    ) -> bool {
        let Some(rate) = rule.rate else { return true };
        // Without an instant a rate cannot be measured: the rule does not fire.
        let Some(recent) = recent else { return false };
        let (count, minutes) = self.rate_count(recent, rate);
        let (ok, why) = match rate {
            RateCondition::SameAuthor { max, .. } => (
                count > u64::from(max),
                format!("{count} items by this author within {minutes} minutes (more than {max})"),
            ),
            RateCondition::SameText { authors, .. } => (
                count >= u64::from(authors),
                format!("the same text from {count} authors within {minutes} minutes"),
            ),
        };
        if ok {
            because.push(why);
        }
        ok
    }

    fn rate_count(
        &self,
        recent: &(DateTime<Utc>, String, String),
        rate: RateCondition,
    ) -> (u64, u32) {
        let (at, author, key) = recent;
        match rate {
            RateCondition::SameAuthor { within_minutes, .. } => {
                let from = *at - TimeDelta::minutes(i64::from(within_minutes));
                let n = self
                    .rate
                    .by_author
                    .get(author)
                    .map_or(0, |q| q.iter().filter(|t| **t >= from).count());
                (n as u64, within_minutes)
            }
            RateCondition::SameText { within_minutes, .. } => {
                let from = *at - TimeDelta::minutes(i64::from(within_minutes));
                let mut authors: Vec<&str> = self
                    .rate
                    .by_text
                    .get(key)
                    .map(|q| {
                        q.iter()
                            .filter(|(t, _)| *t >= from)
                            .map(|(_, a)| a.as_str())
                            .collect()
                    })
                    .unwrap_or_default();
                authors.sort_unstable();
                authors.dedup();
                (authors.len() as u64, within_minutes)
            }
        }
    }
}

/// How often each rule fired over a corpus.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DryRun {
    /// Items decided.
    pub items: u64,
    /// Items each rule fired on.
    pub by_rule: BTreeMap<String, u64>,
    /// Items by final action.
    pub by_action: BTreeMap<Action, u64>,
}

impl DryRun {
    /// Counts one decision.
    pub fn add(&mut self, d: &Decision) {
        self.items += 1;
        *self.by_action.entry(d.action).or_default() += 1;
        for f in &d.fired {
            *self.by_rule.entry(f.rule.clone()).or_default() += 1;
        }
    }
}

/// AutoModerator's pattern for a check: the values joined into one
/// alternation (escaped unless `regex`), wrapped by the match kind;
/// case-insensitive unless asked, `.` matching newlines.
pub fn pattern(kind: MatchKind, values: &[String], case_sensitive: bool) -> String {
    let alternation = values
        .iter()
        .map(|v| {
            if kind == MatchKind::Regex {
                v.clone()
            } else {
                regex::escape(v)
            }
        })
        .collect::<Vec<_>>()
        .join("|");
    let x = format!("(?:{alternation})");
    let body = match kind {
        MatchKind::IncludesWord => format!(r"(?:^|\W|\b){x}(?:$|\W|\b)"),
        MatchKind::Includes | MatchKind::Regex => x,
        MatchKind::StartsWith => format!("^{x}"),
        MatchKind::EndsWith => format!("{x}$"),
        MatchKind::FullExact => format!("^{x}$"),
        MatchKind::FullText => format!(r"^\W*{x}\W*$"),
    };
    let flags = if case_sensitive { "(?s)" } else { "(?is)" };
    format!("{flags}{body}")
}

/// The text of a field the item holds as written: all but the links, which
/// are extracted from it.
fn written(item: &Item, field: Field) -> Option<&str> {
    match field {
        Field::Body => Some(&item.body),
        Field::Title => item.title.as_deref(),
        Field::AuthorName => Some(item.author.as_ref().map_or("", |a| a.name.as_str())),
        Field::Domain | Field::Url => None,
    }
}

/// Whether a match sits where its kind requires.
fn anchored(kind: MatchKind, text: &Normalized, at: Range<usize>) -> bool {
    // The skeleton is read as text only for the kinds that look around.
    let around = || {
        let s = text.as_str();
        (&s[..at.start], &s[at.end..])
    };
    let blank = |t: &str| !t.chars().any(is_word);
    match kind {
        MatchKind::Includes | MatchKind::IncludesWord | MatchKind::Regex => true,
        MatchKind::StartsWith => around().0.trim().is_empty(),
        MatchKind::EndsWith => around().1.trim().is_empty(),
        MatchKind::FullExact => {
            let (b, a) = around();
            b.trim().is_empty() && a.trim().is_empty()
        }
        MatchKind::FullText => {
            let (b, a) = around();
            blank(b) && blank(a)
        }
    }
}

/// Whether a match at skeleton bytes `at` lies inside one of the allowed
/// words (the skeleton is read as text only when there are some).
fn allowed(allow: &[String], text: &Normalized, at: Range<usize>) -> bool {
    if allow.is_empty() {
        return false;
    }
    let s = text.as_str();
    allow.iter().any(|a| {
        s.match_indices(a.as_str())
            .any(|(i, w)| i <= at.start && at.end <= i + w.len())
    })
}

fn author_holds(rule: &Rule, item: &Item, because: &mut Vec<String>) -> bool {
    let Some(c) = &rule.author else { return true };
    let Some(a) = &item.author else { return false };
    // Thresholds set, and how many held.
    let (mut set, mut held) = (0, 0);
    let mut check = |name: &str, value: Option<f64>, cmp: Option<crate::rule::Compare>| {
        if let Some(cmp) = cmp {
            set += 1;
            if let Some(v) = value.filter(|&v| cmp.holds(v)) {
                held += 1;
                because.push(format!("author {name} {v} {}", String::from(cmp)));
            }
        }
    };
    check("account_age_days", a.account_age_days, c.account_age_days);
    check("followers", a.followers.map(|f| f as f64), c.followers);
    check("reputation", a.reputation.map(|r| r as f64), c.reputation);
    let thresholds_ok = if c.satisfy_any_threshold {
        set == 0 || held > 0
    } else {
        held == set
    };
    let flags_ok = [
        (c.verified, a.verified, "verified"),
        (c.member, a.member, "member"),
        (c.moderator, a.moderator, "moderator"),
    ]
    .into_iter()
    .all(|(want, has, name)| match want {
        Some(w) => {
            if w == has {
                because.push(format!("author {name}: {has}"));
            }
            w == has
        }
        None => true,
    });
    thresholds_ok && flags_ok
}

/// The body's shape: length, links, mentions, capitals, repeats, emoji.
fn shape_holds(rule: &Rule, body: &str, because: &mut Vec<String>) -> bool {
    let Some(c) = &rule.shape else { return true };
    let letters = body.chars().filter(|c| c.is_alphabetic()).count();
    let caps = body.chars().filter(|c| c.is_uppercase()).count();
    let mut longest = 0usize;
    let mut run = 0usize;
    let mut prev = None;
    for ch in body.chars() {
        run = if Some(ch) == prev { run + 1 } else { 1 };
        longest = longest.max(run);
        prev = Some(ch);
    }
    let measures = [
        ("length", body.chars().count() as f64, c.length),
        ("links", links(body, None).len() as f64, c.links),
        (
            "mentions",
            body.split_whitespace()
                .filter(|w| w.starts_with('@') && w.len() > 1)
                .count() as f64,
            c.mentions,
        ),
        (
            "caps_ratio",
            if letters == 0 {
                0.0
            } else {
                caps as f64 / letters as f64
            },
            c.caps_ratio,
        ),
        ("repeated_chars", longest as f64, c.repeated_chars),
        (
            "emoji",
            body.chars().filter(|&ch| is_emoji(ch)).count() as f64,
            c.emoji,
        ),
    ];
    measures.into_iter().all(|(name, value, cmp)| match cmp {
        Some(cmp) => {
            let ok = cmp.holds(value);
            if ok {
                because.push(format!("{name} {value} {}", String::from(cmp)));
            }
            ok
        }
        None => true,
    })
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F300..=0x1FAFF | 0x2600..=0x27BF | 0x1F000..=0x1F2FF)
}

/// The links in a text: `http(s)://` up to the next space.
fn links(body: &str, title: Option<&str>) -> Vec<String> {
    [Some(body), title]
        .into_iter()
        .flatten()
        .flat_map(str::split_whitespace)
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(|w| w.trim_end_matches(['.', ',', ')', '!', '?']).to_owned())
        .collect()
}

/// The host of a link, lower-cased, without `www.`.
fn domain(link: &str) -> Option<String> {
    let rest = link.split_once("://")?.1;
    let host = rest
        .split(['/', '?', '#', ':'])
        .next()?
        .to_ascii_lowercase();
    Some(host.strip_prefix("www.").unwrap_or(&host).to_owned())
}
