//! A synthetic catalog for benchmarks: listings with believable titles, descriptions,
//! tags, languages, prices, ratings and next free slots, the same for the same seed.

use crate::ListingDoc;

const TOPICS: &[(&str, &str, &[&str])] = &[
    (
        "art-music",
        "guitar",
        &[
            "guitar",
            "chords",
            "strumming",
            "fingerstyle",
            "blues",
            "riffs",
        ],
    ),
    (
        "art-music",
        "piano",
        &[
            "piano",
            "scales",
            "sight-reading",
            "chords",
            "jazz",
            "classical",
        ],
    ),
    (
        "art-music",
        "drawing",
        &[
            "drawing",
            "sketching",
            "portraits",
            "perspective",
            "charcoal",
        ],
    ),
    (
        "computers-electronics",
        "repair",
        &["laptop", "battery", "fan", "screen", "keyboard", "repair"],
    ),
    (
        "computers-electronics",
        "networking",
        &["wifi", "router", "mesh", "network", "firewall"],
    ),
    (
        "computers-electronics",
        "programming",
        &["python", "javascript", "sql", "rust", "debugging"],
    ),
    (
        "cooking",
        "baking",
        &[
            "sourdough",
            "bread",
            "croissants",
            "pastry",
            "cake",
            "starter",
        ],
    ),
    (
        "cooking",
        "world-cuisine",
        &["pasta", "dumplings", "curry", "tacos", "ramen", "sushi"],
    ),
    (
        "education-careers",
        "languages",
        &[
            "spanish",
            "french",
            "german",
            "japanese",
            "conversation",
            "grammar",
        ],
    ),
    (
        "education-careers",
        "tutoring",
        &["calculus", "physics", "chemistry", "algebra", "essay"],
    ),
    (
        "fitness-nutrition",
        "yoga",
        &["yoga", "flexibility", "breathing", "mobility", "posture"],
    ),
    (
        "home-garden",
        "gardening",
        &["tomatoes", "compost", "pruning", "seedlings", "houseplants"],
    ),
];
const OPENERS: &[&str] = &[
    "Intro to",
    "Mastering",
    "Quick help with",
    "Practical",
    "Fix your",
    "Beginner",
    "Advanced",
    "Weekend",
];
const CLOSERS: &[&str] = &[
    "for beginners",
    "step by step",
    "in one session",
    "for busy adults",
    "clinic",
    "workshop",
    "coaching",
    "review",
];
const FILLER: &[&str] = &[
    "together",
    "practice",
    "questions",
    "feedback",
    "patient",
    "clear",
    "hands-on",
    "examples",
    "homework",
    "confidence",
    "tips",
    "routine",
];
const LANGUAGES: &[&str] = &["en", "es", "fr", "de", "ja", "pt", "it", "zh", "hi"];
const NAMES: &[&str] = &[
    "Ana", "Ben", "Chen", "Dara", "Emil", "Fatima", "Goro", "Hana", "Ivan", "Jules", "Kofi",
    "Lucia",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// `n` listings from `seed`, with next free slots measured from `now_ms`.
pub fn catalog(n: usize, seed: u64, now_ms: i64) -> Vec<ListingDoc> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let (category, sub, words) = *rng.pick(TOPICS);
            let a = *rng.pick(words);
            let b = *rng.pick(words);
            let title = format!("{} {a} and {b} {}", rng.pick(OPENERS), rng.pick(CLOSERS));
            let mut description = format!("We work on {a} and {b}");
            for _ in 0..25 {
                description.push(' ');
                let word: &str = if rng.next().is_multiple_of(3) {
                    rng.pick::<&str>(words)
                } else {
                    rng.pick::<&str>(FILLER)
                };
                description.push_str(word);
            }
            let mut languages = vec![LANGUAGES[(rng.next() % 3) as usize].to_string()];
            if rng.next().is_multiple_of(3) {
                let extra = rng.pick(LANGUAGES).to_string();
                if !languages.contains(&extra) {
                    languages.push(extra);
                }
            }
            let (price_model, price_minor) = match rng.next() % 10 {
                0 => ("free", 0),
                1 | 2 => ("per_minute", 20 + rng.next() % 300),
                _ => ("fixed", 500 + (rng.next() % 150) * 100),
            };
            let reviews = rng.next() % 200;
            ListingDoc {
                listing_id: i as u64 + 1,
                provider_id: i as u64 / 4 + 1,
                title,
                description,
                provider_name: format!("{} {}", rng.pick(NAMES), rng.pick(NAMES)),
                organization_name: None,
                category: category.into(),
                category_name: category.replace('-', " "),
                subcategory: sub.into(),
                subcategory_name: sub.replace('-', " "),
                tags: vec![a.to_string(), b.to_string()],
                languages,
                price_model: price_model.into(),
                price_minor,
                rating: if reviews == 0 {
                    0.0
                } else {
                    3.0 + (rng.next() % 200) as f64 / 100.0
                },
                review_count: reviews,
                next_free_ms: (!rng.next().is_multiple_of(5))
                    .then(|| now_ms + (rng.next() % (14 * 24)) as i64 * 3_600_000),
                group_size: if rng.next().is_multiple_of(8) { 6 } else { 1 },
            }
        })
        .collect()
}
