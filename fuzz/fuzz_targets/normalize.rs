//! Normalizing any text keeps every offset inside the original, on
//! character boundaries, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tertulia_moderation::Normalizer;

fuzz_target!(|data: &str| {
    let n = Normalizer::default().normalize(data);
    let s = n.as_str();
    let mut last_start = 0;
    for (i, _) in s.char_indices() {
        let span = n.original(i..i + 1);
        assert!(span.start <= span.end && span.end <= data.len());
        assert!(data.is_char_boundary(span.start) && data.is_char_boundary(span.end));
        assert!(span.start >= last_start, "spans go forward");
        last_start = span.start;
        assert!(n.run(i) >= 1);
    }
});
