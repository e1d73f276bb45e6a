//! Facets: the links, mentions and hashtags of a post's text, by UTF-8 byte
//! offsets, as Bluesky's `app.bsky.richtext.facet` wants them.

use serde::{Deserialize, Serialize};

/// A span of the text, in UTF-8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ByteSlice {
    /// The first byte.
    pub byte_start: usize,
    /// One past the last byte.
    pub byte_end: usize,
}

/// What a span of text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feature {
    /// A link to this URI.
    Link(String),
    /// A mention of this handle (the DID is looked up when publishing).
    Mention(String),
    /// A hashtag, without its `#`.
    Tag(String),
}

/// A feature and its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Where.
    pub at: ByteSlice,
    /// What.
    pub feature: Feature,
}

/// The links, mentions and hashtags of `text`, in order.
///
/// A link starts with `http://` or `https://` and ends at white space,
/// without trailing punctuation (`.`, `,`, `;`, `:`, `!`, `?`, a closing
/// bracket with no opening one). A mention is `@` and a handle with at
/// least one dot (`@aurora.bsky.social`). A hashtag is `#` and up to 64
/// characters that are not white space or punctuation, not all digits. Each
/// starts the text or follows white space or an opening bracket.
///
/// ```
/// use tertulia_bluesky::{Feature, spans};
///
/// let text = "¡Hola @aurora.bsky.social! Mira https://aurora.example/glow. #GlowSerum";
/// let found = spans(text);
/// assert_eq!(found[0].feature, Feature::Mention("aurora.bsky.social".into()));
/// assert_eq!(&text[found[0].at.byte_start..found[0].at.byte_end], "@aurora.bsky.social");
/// assert_eq!(found[1].feature, Feature::Link("https://aurora.example/glow".into()));
/// assert_eq!(found[2].feature, Feature::Tag("GlowSerum".into()));
/// ```
pub fn spans(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let after_boundary = text[..i].chars().next_back().is_none_or(|c| {
            c.is_whitespace() || matches!(c, '(' | '[' | '{' | '"' | '\'' | '¡' | '¿')
        });
        let found = if !after_boundary {
            None
        } else if rest.starts_with("http://") || rest.starts_with("https://") {
            link(rest)
        } else if let Some(handle) = rest.strip_prefix('@') {
            mention(handle)
        } else if let Some(tag) = rest.strip_prefix('#').or_else(|| rest.strip_prefix('＃')) {
            hashtag(tag, rest.len() - tag.len())
        } else {
            None
        };
        match found {
            Some((len, feature)) => {
                out.push(Span {
                    at: ByteSlice {
                        byte_start: i,
                        byte_end: i + len,
                    },
                    feature,
                });
                i += len;
            }
            None => i += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    out
}

/// Without the trailing characters that end a sentence, not a link: `.`,
/// `,`, `;`, `:`, `!`, `?`, quotes, and a closing bracket that opened
/// nothing, until none is left (so trimming again changes nothing).
fn trim_trailing(mut s: &str) -> &str {
    loop {
        let t = s.trim_end_matches(['.', ',', ';', ':', '!', '?', '"', '\'']);
        let t = match t.strip_suffix(')') {
            Some(shorter) if t.matches('(').count() < t.matches(')').count() => shorter,
            _ => t,
        };
        if t.len() == s.len() {
            return s;
        }
        s = t;
    }
}

fn link(rest: &str) -> Option<(usize, Feature)> {
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let uri = trim_trailing(&rest[..end]);
    let scheme_len = if uri.starts_with("https://") { 8 } else { 7 };
    (uri.len() > scheme_len).then(|| (uri.len(), Feature::Link(uri.to_owned())))
}

fn mention(handle: &str) -> Option<(usize, Feature)> {
    let end = handle
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .unwrap_or(handle.len());
    let h = handle[..end].trim_end_matches(['.', '-']);
    let labels: Vec<&str> = h.split('.').collect();
    let valid = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-'))
        && labels
            .last()
            .is_some_and(|tld| tld.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        && h.len() <= 253;
    valid.then(|| (1 + h.len(), Feature::Mention(h.to_ascii_lowercase())))
}

fn hashtag(tag: &str, marker: usize) -> Option<(usize, Feature)> {
    let end = tag
        .find(|c: char| c.is_whitespace() || (c.is_ascii_punctuation() && c != '_' && c != '-'))
        .unwrap_or(tag.len());
    let t = tag[..end].trim_end_matches(['-']);
    let chars = t.chars().count();
    let valid = (1..=64).contains(&chars) && !t.chars().all(|c| c.is_ascii_digit());
    valid.then(|| (marker + t.len(), Feature::Tag(t.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(&str, Feature)> {
        spans(text)
            .into_iter()
            .map(|s| (&text[s.at.byte_start..s.at.byte_end], s.feature))
            .collect()
    }

    #[test]
    fn offsets_are_utf8_bytes() {
        let text = "ñandú 👍🏽 @luis.example.com";
        let s = spans(text);
        assert_eq!(s[0].at.byte_start, "ñandú 👍🏽 ".len());
        assert_eq!(s[0].at.byte_end, text.len());
    }

    #[test]
    fn sentence_punctuation_is_not_part_of_a_link() {
        assert_eq!(
            found(
                "see (https://en.wikipedia.org/wiki/Rust_(video_game)), and https://a.example/x."
            ),
            vec![
                (
                    "https://en.wikipedia.org/wiki/Rust_(video_game)",
                    Feature::Link("https://en.wikipedia.org/wiki/Rust_(video_game)".into())
                ),
                (
                    "https://a.example/x",
                    Feature::Link("https://a.example/x".into())
                ),
            ]
        );
    }

    #[test]
    fn trimming_a_link_is_done_once_and_for_all() {
        // Found by the fuzzer: a quote before an unopened bracket.
        let text = "@2.nR'https:///'ϼü')";
        let s = spans(text);
        let link = &text[s[1].at.byte_start..s[1].at.byte_end];
        assert_eq!(link, "https:///'ϼü");
        assert_eq!(spans(link)[0].feature, s[1].feature);
    }

    #[test]
    fn what_is_not_a_facet_is_left_alone() {
        assert!(found("email me@aurora.example or @nodot or #123 or a#b or https://").is_empty());
        assert_eq!(
            found("#launch2026!")[0].1,
            Feature::Tag("launch2026".into())
        );
        assert_eq!(found("¿#Glow?")[0].1, Feature::Tag("Glow".into()));
        assert_eq!(
            found("@Aurora.BSKY.social.")[0].1,
            Feature::Mention("aurora.bsky.social".into())
        );
    }
}
