//! The words of the simulated community: post and comment templates in English
//! and Spanish, a small list of insults (our own, for tests only), and the
//! disguises people use to slip an insult past a filter.

use chrono_tz::Tz;
use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;
use tertulia_core::{Language, Polarity, PostKind};

use crate::truth::Evasion;

/// True for the languages the simulation writes in Spanish.
pub(crate) fn is_spanish(lang: &Language) -> bool {
    lang.primary() == "es"
}

/// The language people living in `zone` write in: Spanish for Spain and
/// Spanish-speaking Latin America, English elsewhere.
pub(crate) fn language_of(zone: Tz) -> Language {
    const SPANISH: [&str; 17] = [
        "Europe/Madrid",
        "Atlantic/Canary",
        "Africa/Ceuta",
        "America/Mexico_City",
        "America/Monterrey",
        "America/Cancun",
        "America/Tijuana",
        "America/Bogota",
        "America/Lima",
        "America/Santiago",
        "America/Argentina/Buenos_Aires",
        "America/Caracas",
        "America/Guatemala",
        "America/Montevideo",
        "America/Asuncion",
        "America/La_Paz",
        "America/Guayaquil",
    ];
    if SPANISH.contains(&zone.name()) {
        Language::es()
    } else {
        Language::en()
    }
}

fn pick<'a>(rng: &mut Xoshiro256PlusPlus, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

const PRODUCTS: [&str; 4] = [
    "Glow Serum",
    "Hydra Cream",
    "Sun Shield SPF50",
    "Night Repair Oil",
];
const CITIES_EN: [&str; 4] = ["Boston", "Chicago", "Dallas", "Toronto"];
const CITIES_ES: [&str; 4] = ["Monterrey", "Sevilla", "Bogotá", "Valparaíso"];

/// Fills `{brand}`, `{brandtag}` (the brand without spaces, for a hashtag),
/// `{product}` and `{city}` in `template`, in one pass.
fn fill(template: &str, rng: &mut Xoshiro256PlusPlus, brand: &str, spanish: bool) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(len) = rest[open..].find('}') else {
            rest = &rest[open..];
            break;
        };
        match &rest[open + 1..open + len] {
            "brand" => out.push_str(brand),
            "brandtag" => out.extend(brand.chars().filter(|c| !c.is_whitespace())),
            "product" => out.push_str(pick(rng, &PRODUCTS)),
            "city" => out.push_str(pick(rng, if spanish { &CITIES_ES } else { &CITIES_EN })),
            other => {
                out.push('{');
                out.push_str(other);
                out.push('}');
            }
        }
        rest = &rest[open + len + 1..];
    }
    out.push_str(rest);
    out
}

/// The text of a post of `kind` by the brand.
pub(crate) fn post_text(
    rng: &mut Xoshiro256PlusPlus,
    kind: PostKind,
    lang: &Language,
    brand: &str,
) -> String {
    let spanish = is_spanish(lang);
    let template = match (kind, spanish) {
        (PostKind::Link, false) => pick(
            rng,
            &[
                "Our guide to a 3-step routine with {product}: https://aurora.example/guide #skincare",
                "Read how we test {product} without animals https://aurora.example/lab",
            ],
        ),
        (PostKind::Link, true) => pick(
            rng,
            &[
                "Nuestra guía de rutina en 3 pasos con {product}: https://aurora.example/guia #skincare",
                "Así probamos {product} sin animales https://aurora.example/laboratorio",
            ],
        ),
        (k, false) if k.is_video() => pick(
            rng,
            &[
                "Watch: {product} from lab to shelf 🎬",
                "60 seconds with our chemists on {product} #behindthescenes",
            ],
        ),
        (k, true) if k.is_video() => pick(
            rng,
            &[
                "Mira: {product} del laboratorio a la tienda 🎬",
                "60 segundos con nuestras químicas hablando de {product} #detrás",
            ],
        ),
        (_, false) => pick(
            rng,
            &[
                "New: {product} is here ✨ #{brandtag}",
                "Tip of the day: apply {product} on damp skin 💧",
                "Weekend giveaway! Comment to win {product} 🎁",
                "What should we launch next? Tell us below 👇",
            ],
        ),
        (_, true) => pick(
            rng,
            &[
                "Novedad: ya llegó {product} ✨",
                "Consejo del día: aplica {product} con la piel húmeda 💧",
                "¡Sorteo de fin de semana! Comenta para ganar {product} 🎁",
                "¿Qué lanzamos ahora? Cuéntanos 👇",
            ],
        ),
    };
    fill(template, rng, brand, spanish)
}

/// The text of an ordinary comment or mention with `polarity`.
pub(crate) fn benign_text(
    rng: &mut Xoshiro256PlusPlus,
    polarity: Polarity,
    lang: &Language,
    brand: &str,
) -> String {
    let spanish = is_spanish(lang);
    let template = match (polarity, spanish) {
        (Polarity::Positive, false) => pick(
            rng,
            &[
                "Love this! 😍",
                "This is exactly what I needed",
                "Great work, {brand} team!",
                "Best purchase I made this year",
                "Can't wait to try {product}",
                "Amazing quality, thanks!",
            ],
        ),
        (Polarity::Positive, true) => pick(
            rng,
            &[
                "¡Me encanta! 😍",
                "Justo lo que necesitaba",
                "¡Gran trabajo, equipo de {brand}!",
                "La mejor compra del año",
                "Qué ganas de probar {product}",
                "Calidad increíble, ¡gracias!",
            ],
        ),
        (Polarity::Neutral, false) => pick(
            rng,
            &[
                "When will {product} be available in {city}?",
                "Is there a fragrance-free version?",
                "How much does {product} cost?",
                "Does it ship to Canada?",
                "Saw this in a store today",
            ],
        ),
        (Polarity::Neutral, true) => pick(
            rng,
            &[
                "¿Cuándo llega {product} a {city}?",
                "¿Hay versión sin perfume?",
                "¿Cuánto cuesta {product}?",
                "¿Hacen envíos a Chile?",
                "Lo vi hoy en una tienda",
            ],
        ),
        (Polarity::Negative, false) => pick(
            rng,
            &[
                "My order arrived broken",
                "Still waiting for my refund",
                "Customer service never answers",
                "Disappointed with the new {product}",
                "Too expensive for what it is",
            ],
        ),
        (Polarity::Negative, true) => pick(
            rng,
            &[
                "Mi pedido llegó roto",
                "Sigo esperando el reembolso",
                "Atención al cliente no contesta nunca",
                "Qué decepción el nuevo {product}",
                "Demasiado caro para lo que es",
            ],
        ),
    };
    fill(template, rng, brand, spanish)
}

/// The words the planted crisis is about.
pub(crate) const CRISIS_KEYWORDS: [&str; 7] = [
    "recall",
    "boycott",
    "lawsuit",
    "retiro",
    "boicot",
    "demanda",
    "intoxicación",
];

/// The text of a mention caused by the crisis.
pub(crate) fn crisis_text(
    rng: &mut Xoshiro256PlusPlus,
    polarity: Polarity,
    lang: &Language,
    brand: &str,
) -> String {
    let spanish = is_spanish(lang);
    let template = match (polarity, spanish) {
        (Polarity::Negative, false) => pick(
            rng,
            &[
                "Is it true {product} is being recalled? My skin burned",
                "Joining the boycott until {brand} explains the recall",
                "Heard about the lawsuit against {brand}. Shameful",
                "{brand} hiding the recall? Not ok",
            ],
        ),
        (Polarity::Negative, true) => pick(
            rng,
            &[
                "¿Es verdad lo del retiro de {product}? Me quemó la piel",
                "Me uno al boicot hasta que {brand} dé explicaciones",
                "Leí lo de la demanda contra {brand}. Qué vergüenza",
                "Intoxicación tras usar {product}, retírenlo ya",
            ],
        ),
        (_, false) => pick(
            rng,
            &[
                "Does anyone know which batches of {product} are in the recall?",
                "Waiting for {brand}'s statement on the recall",
            ],
        ),
        (_, true) => pick(
            rng,
            &[
                "¿Alguien sabe qué lotes de {product} entran en el retiro?",
                "Esperando el comunicado de {brand} sobre el retiro",
            ],
        ),
    };
    fill(template, rng, brand, spanish)
}

/// Insults used in the planted abusive comments: our own short list of
/// common, mild ones, for tests only.
const INSULTS_EN: [&str; 8] = [
    "idiot", "moron", "stupid", "loser", "clown", "scumbag", "jerk", "dumbass",
];
const INSULTS_ES: [&str; 8] = [
    "idiota",
    "imbécil",
    "estúpido",
    "pendejo",
    "tarado",
    "payaso",
    "gilipollas",
    "cabrón",
];

/// An abusive comment: its text and the insult as a plain word. The insult
/// is disguised by `evasion` when given.
pub(crate) fn abusive_text(
    rng: &mut Xoshiro256PlusPlus,
    lang: &Language,
    evasion: Option<Evasion>,
) -> (String, String) {
    let spanish = is_spanish(lang);
    let term = pick(rng, if spanish { &INSULTS_ES } else { &INSULTS_EN });
    let shown = if rng.random_bool(0.2) {
        term.to_uppercase()
    } else {
        term.to_owned()
    };
    let shown = match evasion {
        Some(e) => disguise(rng, &shown, e),
        None => shown,
    };
    let template = if spanish {
        pick(
            rng,
            &[
                "cállate, {x}",
                "vaya {x} el que lleva esta cuenta",
                "{x}, nadie te preguntó",
                "solo un {x} compraría esto",
            ],
        )
    } else {
        pick(
            rng,
            &[
                "shut up, {x}",
                "what a {x} runs this account",
                "{x}, nobody asked",
                "only a {x} would buy this",
            ],
        )
    };
    (template.replace("{x}", &shown), term.to_owned())
}

/// The texts of the spam the simulation plants.
pub(crate) fn spam_text(rng: &mut Xoshiro256PlusPlus, lang: &Language) -> String {
    if is_spanish(lang) {
        pick(
            rng,
            &[
                "Gana dinero desde casa, escríbeme 💰 https://ganar-ya.example",
                "Seguidores reales por 5€ 👉 https://seguidores-baratos.example",
            ],
        )
    } else {
        pick(
            rng,
            &[
                "Get 10k followers for $5 👉 https://cheap-followers.example",
                "I made $3000 this week from home, DM me 💰 https://easy-cash.example",
                "Free gift cards here https://giftcards-free.example/claim",
            ],
        )
    }
    .to_owned()
}

/// `word` disguised by `evasion`. The result never contains `word` itself.
pub(crate) fn disguise(rng: &mut Xoshiro256PlusPlus, word: &str, evasion: Evasion) -> String {
    match evasion {
        Evasion::Leetspeak => word
            .chars()
            .map(|c| match c.to_ascii_lowercase() {
                'a' => '4',
                'e' => '3',
                'i' => '1',
                'o' => '0',
                's' => '5',
                't' => '7',
                _ => c,
            })
            .collect(),
        Evasion::Lookalike => word
            .chars()
            .map(|c| match c {
                'a' => 'а',
                'c' => 'с',
                'e' => 'е',
                'o' => 'о',
                'p' => 'р',
                'x' => 'х',
                'y' => 'у',
                'i' => 'і',
                's' => 'ѕ',
                'A' => 'А',
                'C' => 'С',
                'E' => 'Е',
                'O' => 'О',
                'P' => 'Р',
                'I' => 'І',
                'S' => 'Ѕ',
                _ => c,
            })
            .collect(),
        Evasion::ZeroWidth => {
            const INVISIBLE: [char; 4] = ['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}'];
            let mut out = String::new();
            for (i, c) in word.chars().enumerate() {
                if i > 0 {
                    out.push(INVISIBLE[rng.random_range(0..INVISIBLE.len())]);
                }
                out.push(c);
            }
            out
        }
        Evasion::Spacing => {
            let sep = if rng.random_bool(0.5) { " " } else { "." };
            word.chars().map(String::from).collect::<Vec<_>>().join(sep)
        }
        Evasion::Repetition => {
            // Stretch the last vowel inside the word: a stretched first or
            // last letter would leave the word itself in the text.
            let chars: Vec<char> = word.chars().collect();
            let inner = 1..chars.len().saturating_sub(1);
            let at = inner
                .clone()
                .rev()
                .find(|&i| "aeiouáéíóúAEIOUÁÉÍÓÚ".contains(chars[i]))
                .unwrap_or(inner.start.min(chars.len().saturating_sub(1)));
            let mut out = String::new();
            for (i, &c) in chars.iter().enumerate() {
                let times = if i == at { rng.random_range(3..=6) } else { 1 };
                out.extend(std::iter::repeat_n(c, times));
            }
            out
        }
        Evasion::Fullwidth => word
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() {
                    char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c)
                } else {
                    c
                }
            })
            .collect(),
        Evasion::Accents => word
            .chars()
            .map(|c| match c {
                'a' => 'á',
                'e' => 'é',
                'i' => 'í',
                'o' => 'ó',
                'u' => 'ü',
                'A' => 'Á',
                'E' => 'É',
                'I' => 'Í',
                'O' => 'Ó',
                'U' => 'Ü',
                'á' => 'à',
                'é' => 'è',
                'í' => 'ì',
                'ó' => 'ò',
                'ú' => 'ù',
                _ => c,
            })
            .collect(),
    }
}

const FIRST_EN: [&str; 8] = [
    "james", "olivia", "noah", "emma", "liam", "ava", "ethan", "mia",
];
const LAST_EN: [&str; 6] = ["smith", "jones", "brown", "miller", "davis", "wilson"];
const FIRST_ES: [&str; 8] = [
    "lucia", "mateo", "sofia", "hugo", "valeria", "diego", "martina", "pablo",
];
const LAST_ES: [&str; 6] = ["garcia", "lopez", "martinez", "sanchez", "perez", "gomez"];

/// A person's name for `lang`, as (first, last).
pub(crate) fn person_name(
    rng: &mut Xoshiro256PlusPlus,
    lang: &Language,
) -> (&'static str, &'static str) {
    if is_spanish(lang) {
        (pick(rng, &FIRST_ES), pick(rng, &LAST_ES))
    } else {
        (pick(rng, &FIRST_EN), pick(rng, &LAST_EN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_disguise_hides_every_insult() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        for word in INSULTS_EN.iter().chain(&INSULTS_ES) {
            for upper in [false, true] {
                let word = if upper {
                    word.to_uppercase()
                } else {
                    word.to_string()
                };
                for e in Evasion::ALL {
                    let shown = disguise(&mut rng, &word, e);
                    assert!(!shown.contains(&word), "{e}: {word} -> {shown}");
                    assert!(
                        !shown.to_lowercase().contains(&word.to_lowercase()),
                        "{e}: {word} -> {shown}"
                    );
                }
            }
        }
    }

    #[test]
    fn templates_are_filled_in_one_pass() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let text = fill(
            "{brand} #{brandtag} {product} {x}",
            &mut rng,
            "Aurora Cosmetics",
            false,
        );
        assert!(
            text.starts_with("Aurora Cosmetics #AuroraCosmetics "),
            "{text}"
        );
        assert!(PRODUCTS.iter().any(|p| text.contains(p)));
        assert!(
            text.ends_with(" {x}"),
            "unknown keys stay as they are: {text}"
        );
        assert_eq!(fill("no keys {", &mut rng, "B", true), "no keys {");
    }

    #[test]
    fn languages_follow_zones() {
        assert_eq!(language_of(chrono_tz::Europe::Madrid), Language::es());
        assert_eq!(language_of(chrono_tz::America::Mexico_City), Language::es());
        assert_eq!(language_of(chrono_tz::America::New_York), Language::en());
    }
}
