//! Text as platforms hand it over.

use std::borrow::Cow;

/// The HTML entities found in social text, and what they stand for;
/// `&amp;` last, so `&amp;lt;` reads as `&lt;`, not `<`.
const ENTITIES: [(&str, &str); 6] = [
    ("&lt;", "<"),
    ("&gt;", ">"),
    ("&quot;", "\""),
    ("&#39;", "'"),
    ("&apos;", "'"),
    ("&amp;", "&"),
];

/// `text` with the HTML entities platforms leave in it decoded (`&amp;`,
/// `&lt;`, `&gt;`, `&quot;`, `&#39;`, `&apos;`); borrowed when it has none.
///
/// ```
/// use tertulia_core::decode_entities;
///
/// assert_eq!(decode_entities("fish &amp; chips &gt;:["), "fish & chips >:[");
/// assert_eq!(decode_entities("&amp;lt;"), "&lt;");
/// assert!(matches!(decode_entities("plain"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn decode_entities(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut decoded = text.to_owned();
    for (entity, c) in ENTITIES {
        if decoded.contains(entity) {
            decoded = decoded.replace(entity, c);
        }
    }
    Cow::Owned(decoded)
}

/// A count for people, its thousands separated by commas: 12,345.
///
/// ```
/// use tertulia_core::thousands;
///
/// assert_eq!(thousands(999), "999");
/// assert_eq!(thousands(2_000_000), "2,000,000");
/// ```
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
