//! What people type, as the index's terms: lowercased words split like the index's
//! default tokenizer splits text, "quoted phrases" kept together, stop words dropped,
//! and whether the last word is still being typed (no space after it yet).

/// Words that carry no meaning in a search ("fix my laptop fan" looks for laptop fans).
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "i", "in", "is", "it",
    "me", "my", "of", "on", "or", "the", "to", "with", "want", "need", "help",
];

/// The longest query we read; the rest is ignored.
pub const QUERY_CHARS_MAX: usize = 200;
/// At most this many words count.
pub const QUERY_WORDS_MAX: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedText {
    /// Loose words, in order.
    pub words: Vec<String>,
    /// Quoted phrases, each as its words.
    pub phrases: Vec<Vec<String>>,
    /// The text does not end in a space or quote: the last word may be a prefix.
    pub last_is_prefix: bool,
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.chars().count() <= 40)
        .map(str::to_lowercase)
        .collect()
}

pub fn parse_text(raw: &str) -> ParsedText {
    let raw: String = raw.chars().take(QUERY_CHARS_MAX).collect();
    let mut parsed = ParsedText::default();
    for (i, part) in raw.split('"').enumerate() {
        // Odd parts are inside quotes (an unclosed quote runs to the end).
        if !i.is_multiple_of(2) {
            let phrase = words(part);
            if !phrase.is_empty() {
                parsed.phrases.push(phrase);
            }
        } else {
            parsed.words.extend(
                words(part)
                    .into_iter()
                    .filter(|w| !STOP_WORDS.contains(&w.as_str())),
            );
        }
    }
    parsed.words.truncate(QUERY_WORDS_MAX);
    parsed.last_is_prefix = raw.chars().last().is_some_and(|c| c.is_alphanumeric())
        && raw.matches('"').count().is_multiple_of(2);
    parsed
}

/// How many typos a word may carry: none under 4 letters, one under 8, two after.
pub fn typo_distance(word: &str) -> u8 {
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercased_split_and_stripped_of_stop_words() {
        let p = parse_text("Fix my Laptop-Fan");
        assert_eq!(p.words, ["fix", "laptop", "fan"]);
        assert!(p.last_is_prefix);
        assert!(!parse_text("spanish ").last_is_prefix);
    }

    #[test]
    fn quotes_make_phrases() {
        let p = parse_text("guitar \"first three chords\" beginners");
        assert_eq!(p.words, ["guitar", "beginners"]);
        assert_eq!(p.phrases, [vec!["first", "three", "chords"]]);
        let open = parse_text("\"sourdough star");
        assert_eq!(open.phrases, [vec!["sourdough", "star"]]);
        assert!(!open.last_is_prefix, "an open phrase is not a prefix");
    }

    #[test]
    fn long_or_wordy_queries_are_cut() {
        let p = parse_text(&"word ".repeat(100));
        assert_eq!(p.words.len(), QUERY_WORDS_MAX);
        assert!(
            parse_text(&"x".repeat(500)).words.is_empty(),
            "a 200-letter word is no word"
        );
    }

    #[test]
    fn typo_budget_grows_with_the_word() {
        assert_eq!(typo_distance("fan"), 0);
        assert_eq!(typo_distance("gitar"), 1);
        assert_eq!(typo_distance("sourdoguh"), 2);
    }
}
