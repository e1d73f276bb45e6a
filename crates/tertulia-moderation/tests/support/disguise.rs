//! The evasion set of the evaluation: each term disguised one way.

/// The disguises, by name.
pub const DISGUISES: [&str; 7] = [
    "leetspeak",
    "lookalike letters",
    "zero-width characters",
    "spacing",
    "repeated letters",
    "fullwidth forms",
    "accents",
];

/// The term disguised one way, as people do to get past a filter.
pub fn disguise(term: &str, how: &str) -> String {
    let multi_word = term.contains(' ');
    match how {
        "leetspeak" => term
            .chars()
            .map(|c| match c {
                'a' => '4',
                'e' => '3',
                'i' => '1',
                'o' => '0',
                's' => '5',
                't' => '7',
                c => c,
            })
            .collect(),
        "lookalike letters" => term
            .chars()
            .map(|c| match c {
                'a' => '\u{0430}',
                'e' => '\u{0435}',
                'o' => '\u{043E}',
                'p' => '\u{0440}',
                'c' => '\u{0441}',
                'x' => '\u{0445}',
                'y' => '\u{0443}',
                'i' => '\u{0456}',
                's' => '\u{0455}',
                'j' => '\u{0458}',
                c => c,
            })
            .collect(),
        "zero-width characters" => {
            let mut out = String::new();
            for (i, c) in term.chars().enumerate() {
                if i > 0 && c != ' ' {
                    out.push('\u{200B}');
                }
                out.push(c);
            }
            out
        }
        "spacing" => {
            let sep = if multi_word { '.' } else { ' ' };
            term.split(' ')
                .map(|w| {
                    w.chars()
                        .map(String::from)
                        .collect::<Vec<_>>()
                        .join(&sep.to_string())
                })
                .collect::<Vec<_>>()
                .join(" ")
        }
        "repeated letters" => term
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i == 1 && c.is_alphabetic() {
                    c.to_string().repeat(4)
                } else {
                    c.to_string()
                }
            })
            .collect(),
        "fullwidth forms" => term
            .chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap(),
                c => c,
            })
            .collect(),
        "accents" => term
            .chars()
            .map(|c| match c {
                'a' => 'á',
                'e' => 'é',
                'i' => 'í',
                'o' => 'ó',
                'u' => 'ú',
                'n' => 'ñ',
                c => c,
            })
            .collect(),
        other => unreachable!("{other}"),
    }
}
