//! A regex set asked of several texts at once.
//!
//! Whether a regex set matches a text is a walk of its automaton, one
//! transition per byte, and each transition waits for the one before: the
//! walk costs a memory load's latency per byte, however fast the processor
//! could go. Walking two texts in lock step keeps two loads in flight, and
//! the plain transition (a table lookup, the states not yet computed
//! checked only when the walk stops) keeps each step short. On the
//! moderation benchmark's tweets and 50 regex rules this takes the question
//! from 2.0 ns a byte (`RegexSet::is_match`, one tweet at a time) to 1.2.

use regex_automata::hybrid::LazyStateID;
use regex_automata::hybrid::dfa::{Cache, Config, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::start;

/// How many texts walk together. Measured on the benchmark's tweets and
/// regex rules: two lanes 1.17 ns a byte, three 1.18, four 1.30 (the
/// registers run out).
const LANES: usize = 2;

/// The lazy automaton of a regex set, with its cache.
#[derive(Debug, Clone)]
pub(crate) struct Lockstep {
    dfa: DFA,
    cache: Cache,
}

/// A text being walked: its index, the bytes left, and the state reached.
#[derive(Debug, Clone, Copy)]
struct Lane<'t> {
    text: usize,
    rest: &'t [u8],
    state: LazyStateID,
    /// The automaton could not go on (its cache failed).
    failed: bool,
}

impl Lockstep {
    /// The automaton of `patterns` (regex syntax, as a `RegexSet` reads
    /// them), or `None` where it cannot be built: the caller asks the set.
    /// Its cache holds 2 MiB, the regex crate's default for its own lazy
    /// automata; a set that needs more is left to itself.
    pub(crate) fn new(patterns: &[&str], size_limit: usize) -> Option<Self> {
        Self::with(patterns, size_limit, DFA::config())
    }

    fn with(patterns: &[&str], size_limit: usize, config: Config) -> Option<Self> {
        let dfa = DFA::builder()
            .configure(
                config
                    // Unicode `\b` is read on ASCII text; elsewhere the walk
                    // gives up and the caller asks the set.
                    .unicode_word_boundary(true)
                    .specialize_start_states(false),
            )
            .thompson(thompson::Config::new().nfa_size_limit(Some(size_limit)))
            .build_many(patterns)
            .ok()?;
        let cache = dfa.create_cache();
        Some(Lockstep { dfa, cache })
    }

    /// Writes into `out`, for each of `texts`, whether a pattern matches it,
    /// or `None` where the walk gave up (Unicode `\b` on text that is not
    /// ASCII).
    pub(crate) fn is_match_each(&mut self, texts: &[&[u8]], out: &mut Vec<Option<bool>>) {
        out.clear();
        out.resize(texts.len(), None);
        // A start state that is already tagged (a set that can never match)
        // is left to the set: the walk below steps only untagged states.
        let start = match self.dfa.start_state(&mut self.cache, &start::Config::new()) {
            Ok(s) if !s.is_tagged() => s,
            _ => return,
        };
        let (dfa, cache) = (&self.dfa, &mut self.cache);
        // Computing a state may clear a full cache, and a clear voids every
        // state but the one computed: the walk then stops, and the texts it
        // has not answered go to the set.
        let clears = cache.clear_count();
        let mut waiting = texts.iter().enumerate();
        let mut take = || {
            waiting.next().map(|(text, rest)| Lane {
                text,
                rest,
                state: start,
                failed: false,
            })
        };
        let mut lanes: [Option<Lane>; LANES] = std::array::from_fn(|_| take());
        loop {
            let busy = lanes.iter().flatten().count();
            if busy == 0 {
                return;
            }
            if busy == LANES {
                let mut l = lanes.map(|l| l.expect("every lane is busy"));
                // The walk's own copies, kept in registers.
                let mut states = l.map(|l| l.state);
                let rests = l.map(|l| l.rest);
                let run = rests.iter().map(|r| r.len()).min().unwrap_or(0);
                let (mut i, mut failed) = (0, false);
                while i < run {
                    // Every state is untagged here: the plain transition
                    // (no check for states not yet computed), checked after.
                    let before = states;
                    let mut tagged = false;
                    for (s, rest) in states.iter_mut().zip(rests) {
                        *s = dfa.next_state_untagged(cache, *s, rest[i]);
                        tagged |= s.is_tagged();
                    }
                    if tagged {
                        for ((s, before), rest) in states.iter_mut().zip(before).zip(rests) {
                            if s.is_unknown() {
                                match dfa.next_state(cache, before, rest[i]) {
                                    Ok(next) => *s = next,
                                    Err(_) => failed = true,
                                }
                                if cache.clear_count() != clears {
                                    return;
                                }
                            }
                        }
                        i += 1;
                        break;
                    }
                    i += 1;
                }
                for (lane, s) in l.iter_mut().zip(states) {
                    // A failure gives every lane's text to the set.
                    lane.failed = failed;
                    (lane.state, lane.rest) = (s, &lane.rest[i..]);
                }
                lanes = l.map(Some);
            } else {
                // Too few texts left to walk together: each to its end.
                for lane in lanes.iter_mut().flatten() {
                    while let Some((&b, rest)) = lane.rest.split_first() {
                        let Ok(s) = dfa.next_state(cache, lane.state, b) else {
                            lane.failed = true;
                            break;
                        };
                        if cache.clear_count() != clears {
                            return;
                        }
                        (lane.state, lane.rest) = (s, rest);
                        if s.is_tagged() {
                            break;
                        }
                    }
                }
            }
            for slot in &mut lanes {
                let Some(lane) = slot else { continue };
                let s = lane.state;
                let answer = if lane.failed || s.is_quit() {
                    Some(None)
                } else if s.is_match() {
                    Some(Some(true))
                } else if s.is_dead() {
                    Some(Some(false))
                } else if lane.rest.is_empty() {
                    let end = dfa.next_eoi_state(cache, s);
                    if cache.clear_count() != clears {
                        return;
                    }
                    Some(end.ok().map(|s| s.is_match()))
                } else {
                    None
                };
                if let Some(answer) = answer {
                    out[lane.text] = answer;
                    *slot = take();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::RegexSet;

    const PATTERNS: [&str; 5] = [
        r"(?i)free\s+money",
        r"\d{3}-\d{4}",
        r"[!?]{4,}",
        r"(?i)\bcat\b",
        r"^$",
    ];

    fn answers(texts: &[&str]) -> Vec<Option<bool>> {
        let mut l = Lockstep::new(&PATTERNS, 1 << 24).expect("builds");
        let bytes: Vec<&[u8]> = texts.iter().map(|t| t.as_bytes()).collect();
        let mut out = Vec::new();
        l.is_match_each(&bytes, &mut out);
        out
    }

    #[test]
    fn a_cache_cleared_on_the_way_leaves_the_rest_to_the_set() {
        // The smallest cache: the texts that need many states clear it, and
        // every answer given is still right.
        let small = DFA::config()
            .cache_capacity(1)
            .skip_cache_capacity_check(true);
        let mut l = Lockstep::with(&PATTERNS, 1 << 24, small).expect("builds");
        // Plain texts first (few states), then texts that need many.
        let texts: Vec<String> = (0..100)
            .map(|_| "no no".to_owned())
            .chain((0..100).map(|i| format!("free {i:03}-{:04} money cat!!!!? {i}", i * 7)))
            .collect();
        let bytes: Vec<&[u8]> = texts.iter().map(|t| t.as_bytes()).collect();
        let set = RegexSet::new(PATTERNS).expect("compiles");
        let (mut out, mut answered) = (Vec::new(), 0);
        for _ in 0..3 {
            l.is_match_each(&bytes, &mut out);
            for (t, a) in texts.iter().zip(&out) {
                if let Some(a) = a {
                    assert_eq!(*a, set.is_match(t), "{t}");
                    answered += 1;
                }
            }
        }
        assert!(l.cache.clear_count() > 0, "the cache was never cleared");
        // The plain texts, walked before the first clear, were answered.
        assert!(answered >= 300, "{answered}");
    }

    #[test]
    fn gives_up_only_where_the_set_must_answer() {
        // Unicode \b on text that is not ASCII: the lazy automaton quits.
        assert_eq!(
            answers(&["a cat", "a caté", "FREE  money", "", "555-1234", "no"]),
            [
                Some(true),
                None,
                Some(true),
                Some(true),
                Some(true),
                Some(false)
            ]
        );
    }

    proptest! {
        #[test]
        fn agrees_with_the_set(texts in prop::collection::vec("[a-c !?0-9é-]{0,12}", 0..12)) {
            let set = RegexSet::new(PATTERNS).expect("compiles");
            let got = answers(&texts.iter().map(String::as_str).collect::<Vec<_>>());
            prop_assert_eq!(got.len(), texts.len());
            for (t, a) in texts.iter().zip(got) {
                if let Some(a) = a {
                    prop_assert_eq!(a, set.is_match(t), "{:?}", t);
                }
                else {
                    prop_assert!(!t.is_ascii());
                }
            }
        }
    }
}
