//! Facets of any text: in order, apart, on character boundaries, each
//! starting with its marker; and each found again, alone, from its own
//! slice (a round trip).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tertulia_bluesky::{Feature, spans};

fuzz_target!(|text: &str| {
    let found = spans(text);
    let mut end = 0;
    for s in &found {
        let (a, z) = (s.at.byte_start, s.at.byte_end);
        assert!(end <= a && a < z && z <= text.len(), "{a}..{z} after {end}");
        assert!(text.is_char_boundary(a) && text.is_char_boundary(z));
        end = z;
        let slice = &text[a..z];
        match &s.feature {
            Feature::Link(uri) => assert_eq!(slice, uri),
            Feature::Mention(handle) => assert_eq!(slice[1..].to_ascii_lowercase(), *handle),
            Feature::Tag(tag) => assert!(slice.ends_with(tag.as_str()) && slice.starts_with(['#', '＃'])),
        }
        let alone = spans(slice);
        assert_eq!(alone.len(), 1, "{slice:?} alone gives {alone:?}");
        assert_eq!(alone[0].feature, s.feature);
        assert_eq!((alone[0].at.byte_start, alone[0].at.byte_end), (0, slice.len()));
    }
});
