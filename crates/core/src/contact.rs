//! Finds contact details and outside payment handles in free text, so that
//! listings and profiles keep deals (and the guarantee) on the platform.
//!
//! [`find_contact`] looks, in this order, for email addresses (plain and
//! obfuscated: `name at gmail dot com`, `name [at] gmail [dot] com`, ...),
//! outside payment handles (PayPal, Venmo, `$cashtags`, IBANs, crypto wallet
//! addresses, ...), phone numbers (in digits or spelled out), messaging and
//! social handles, and web addresses. Matching is case-insensitive and works
//! on `char`s, so any UTF-8 input is safe.
//!
//! The filter prefers precision to recall. Words that are also ordinary
//! English ("signal", "wise", "zoom") only count in a context that points off
//! the platform ("on Signal", "pay via Wise", "zoom call"), and runs of
//! numbers that read as dates, years, times, decimals or counting are not
//! phone numbers.

/// What kind of contact detail was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactKind {
    Email,
    Phone,
    PaymentHandle,
    SocialHandle,
    Url,
}

impl ContactKind {
    /// A short English noun phrase for messages: "contains an email address".
    pub fn describe(&self) -> &'static str {
        match self {
            Self::Email => "an email address",
            Self::Phone => "a phone number",
            Self::PaymentHandle => "an outside payment handle",
            Self::SocialHandle => "a social media handle",
            Self::Url => "a web address",
        }
    }
}

/// A contact detail found in text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactFinding {
    pub kind: ContactKind,
    /// The offending text as found, trimmed, at most 60 characters.
    pub excerpt: String,
}

/// Returns the first contact detail found, or None for clean text.
///
/// "First" is by kind, in the order the module documentation gives, then by
/// position in the text.
pub fn find_contact(text: &str) -> Option<ContactFinding> {
    let scan = Scan::new(text);
    scan.email()
        .or_else(|| scan.payment())
        .or_else(|| scan.phone_digits())
        .or_else(|| scan.phone_words())
        .or_else(|| scan.social())
        .or_else(|| scan.url())
}

const MAX_EXCERPT_CHARS: usize = 60;
/// Digits a run needs before it is taken for a phone number.
const MIN_PHONE_DIGITS: usize = 7;
/// Most separator characters allowed between two digit groups of a phone number.
const MAX_PHONE_SEPARATOR: usize = 3;

/// Mail providers whose name after an `@` is enough, even without a top-level domain.
const MAIL_PROVIDERS: &[&str] = &[
    "aol",
    "gmail",
    "gmx",
    "googlemail",
    "hotmail",
    "icloud",
    "live",
    "mail",
    "msn",
    "outlook",
    "proton",
    "protonmail",
    "qq",
    "yahoo",
    "yandex",
    "zoho",
];
/// Top-level domains accepted after a spelled-out "at" ("name at gmail dot com").
const COMMON_TLDS: &[&str] = &[
    "app", "au", "biz", "br", "ca", "ch", "cn", "co", "com", "de", "dev", "edu", "es", "eu", "fr",
    "gov", "ie", "info", "io", "jp", "me", "mx", "net", "nl", "nz", "org", "pl", "ru", "se", "uk",
    "us", "xyz",
];
/// Top-level domains accepted after a dot with spaces around it ("name @ gmail . com").
const LOOSE_TLDS: &[&str] = &["com", "de", "edu", "gov", "io", "net", "org", "uk"];
/// Words after a spelled-out "at" that make it prose, not an address ("look at the dot product").
const STOP_LABELS: &[&str] = &[
    "a", "all", "an", "first", "her", "his", "home", "its", "last", "least", "most", "my", "once",
    "our", "school", "that", "the", "their", "these", "this", "those", "work", "your",
];
/// Top-level domains that make `word.tld` a web address.
const URL_TLDS: &[&str] = &[
    "ai", "app", "au", "biz", "blog", "ca", "cc", "co", "com", "de", "dev", "edu", "es", "eu",
    "fr", "gg", "gov", "info", "io", "link", "live", "ly", "me", "net", "nl", "nz", "online",
    "org", "page", "ru", "shop", "site", "store", "tech", "tv", "uk", "us", "xyz",
];
/// Names of software that look like domains.
const TECH_NAMES: &[&str] = &["ado.net", "asp.net", "ml.net", "socket.io", "vb.net"];

const PAYMENT_WORDS: &[&str] = &[
    "alipay",
    "cashapp",
    "iban",
    "moneygram",
    "payoneer",
    "paypal",
    "paypalme",
    "revolut",
    "skrill",
    "transferwise",
    "venmo",
    "westernunion",
    "zelle",
];
const PAYMENT_PHRASES: &[&[&str]] = &[
    &["bank", "transfer"],
    &["cash", "app"],
    &["money", "gram"],
    &["pay", "pal"],
    &["western", "union"],
    &["wire", "transfer"],
];
/// Words after "wise" that make it the payment service.
const WISE_NEXT: &[&str] = &[
    "account",
    "card",
    "payment",
    "payments",
    "transfer",
    "transfers",
];
/// Words before "wise" that, with money talk shortly before, make it the payment service.
const VIA_WORDS: &[&str] = &[
    "by", "on", "over", "through", "thru", "using", "via", "with",
];
const MONEY_WORDS: &[&str] = &["money", "send", "sending", "sent", "transfer", "transfers"];
/// `$word`s that are code, not Cash App tags.
const CODE_VARS: &[&str] = &[
    "args", "env", "home", "http", "path", "pwd", "root", "scope", "self", "shell", "this", "user",
];

const SOCIAL_WORDS: &[&str] = &[
    "facetime",
    "imessage",
    "kakaotalk",
    "skype",
    "telegram",
    "viber",
    "watsapp",
    "wechat",
    "weixin",
    "whatsap",
    "whatsapp",
];
const SOCIAL_PHRASES: &[&[&str]] = &[
    &["google", "meet"],
    &["microsoft", "teams"],
    &["ms", "teams"],
    &["signal", "me"],
    &["whats", "app"],
];
/// Prepositions that put "zoom" or "signal" to use as a channel ("on Zoom", "via Signal").
const CHANNEL_PREPS: &[&str] = &["on", "over", "through", "thru", "using", "via"];
const ZOOM_NOUNS: &[&str] = &[
    "call", "calls", "chat", "id", "invite", "link", "links", "meeting", "meetings", "room",
    "session", "sessions",
];
const ZOOM_NOT: &[&str] = &[
    "factor", "in", "lens", "lenses", "level", "levels", "out", "range", "ratio", "setting",
    "settings", "slider", "tool",
];
const CLICK_WORDS: &[&str] = &[
    "click", "clicked", "clicking", "clicks", "hover", "press", "pressing", "select", "tap",
    "tapping", "taps",
];
const SIGNAL_NOT: &[&str] = &[
    "analysis",
    "boost",
    "chain",
    "detection",
    "fire",
    "flow",
    "generation",
    "integrity",
    "level",
    "levels",
    "light",
    "lights",
    "noise",
    "path",
    "process",
    "processes",
    "processing",
    "quality",
    "strength",
    "theory",
    "to",
    "word",
    "words",
];
const CONTACT_VERBS: &[&str] = &[
    "add", "call", "catch", "chat", "contact", "dm", "email", "find", "follow", "hit", "message",
    "msg", "ping", "reach", "talk", "text", "write",
];
const CONTACT_PREPS: &[&str] = &["at", "in", "on", "over", "through", "using", "via"];
const PLATFORMS: &[&str] = &[
    "discord",
    "facebook",
    "fb",
    "hangouts",
    "ig",
    "insta",
    "instagram",
    "kik",
    "line",
    "linkedin",
    "meet",
    "messenger",
    "reddit",
    "signal",
    "skype",
    "snap",
    "snapchat",
    "teams",
    "telegram",
    "threads",
    "tiktok",
    "twitter",
    "viber",
    "wechat",
    "whatsapp",
    "x",
    "youtube",
    "zoom",
];

/// One character of the text after folding, with the byte range of the
/// original character it came from (lower-casing may turn one into several).
#[derive(Debug, Clone, Copy)]
struct NChar {
    c: char,
    start: usize,
    end: usize,
}

/// Maps look-alike characters to the ASCII ones the detectors know:
/// full-width forms, dashes, ideographic full stops and non-Latin digits.
fn fold_char(c: char) -> char {
    let code = u32::from(c);
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(code - 0xFEE0).unwrap_or(c),
        '\u{FE6B}' => '@',
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' => '-',
        '\u{3002}' | '\u{FF61}' => '.',
        '\u{0660}'..='\u{0669}' => ascii_digit(code - 0x0660),
        '\u{06F0}'..='\u{06F9}' => ascii_digit(code - 0x06F0),
        '\u{0966}'..='\u{096F}' => ascii_digit(code - 0x0966),
        _ => c,
    }
}

fn ascii_digit(value: u32) -> char {
    char::from_digit(value, 10).unwrap_or('0')
}

fn normalize(text: &str) -> Vec<NChar> {
    let mut out = Vec::with_capacity(text.len());
    for (start, raw) in text.char_indices() {
        let end = start + raw.len_utf8();
        for c in fold_char(raw).to_lowercase() {
            out.push(NChar { c, start, end });
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenKind {
    /// A maximal run of letters, digits and underscores.
    Word,
    /// A single character that is neither a word character nor whitespace.
    Punct,
}

#[derive(Debug, Clone)]
struct Token {
    kind: TokenKind,
    /// Folded, lower-case text.
    text: String,
    /// Byte range in the original text.
    start: usize,
    end: usize,
    /// Whether whitespace, or the start of the text, comes right before.
    gap_before: bool,
}

impl Token {
    fn is_word(&self) -> bool {
        self.kind == TokenKind::Word
    }

    fn is_punct(&self, s: &str) -> bool {
        self.kind == TokenKind::Punct && self.text == s
    }

    fn is_open(&self) -> bool {
        self.kind == TokenKind::Punct && matches!(self.text.as_str(), "(" | "[" | "{" | "<")
    }

    fn is_close(&self) -> bool {
        self.kind == TokenKind::Punct && matches!(self.text.as_str(), ")" | "]" | "}" | ">")
    }

    fn is_digits(&self) -> bool {
        self.is_word() && self.text.bytes().all(|b| b.is_ascii_digit())
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn tokenize(chars: &[NChar]) -> Vec<Token> {
    let mut toks = Vec::new();
    let mut gap = true;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].c;
        if c.is_whitespace() {
            gap = true;
            i += 1;
            continue;
        }
        let start = chars[i].start;
        if is_word_char(c) {
            let mut text = String::new();
            let mut j = i;
            while j < chars.len() && is_word_char(chars[j].c) {
                text.push(chars[j].c);
                j += 1;
            }
            let end = chars[j - 1].end;
            toks.push(Token {
                kind: TokenKind::Word,
                text,
                start,
                end,
                gap_before: gap,
            });
            i = j;
        } else {
            let end = chars[i].end;
            toks.push(Token {
                kind: TokenKind::Punct,
                text: c.to_string(),
                start,
                end,
                gap_before: gap,
            });
            i += 1;
        }
        gap = false;
    }
    toks
}

/// How the "@" of an email address was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AtForm {
    /// `@`
    Symbol,
    /// `(at)`, `[at]`, `{at}`, `<at>`
    Bracketed,
    /// the plain word `at`
    Bare,
}

/// How a dot of a domain was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DotForm {
    /// `.` with no space on either side
    Tight,
    /// the word `dot`, or `(dot)` and the like
    Spelled,
    /// `.` with a space on one side or both
    Loose,
}

/// The value of a spelled-out digit.
fn digit_word(word: &str) -> Option<u64> {
    let d = match word {
        "zero" | "oh" | "nought" => 0,
        "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        _ => return None,
    };
    Some(d)
}

/// Whether a top-level domain is acceptable for the way the address was written.
fn tld_ok(tld: &str, at: AtForm, loose: bool) -> bool {
    if !(2..=24).contains(&tld.len()) || !tld.bytes().all(|b| b.is_ascii_lowercase()) {
        return false;
    }
    if loose {
        return LOOSE_TLDS.contains(&tld);
    }
    at != AtForm::Bare || COMMON_TLDS.contains(&tld)
}

fn is_compact_iban(word: &str) -> bool {
    let b = word.as_bytes();
    (15..=34).contains(&b.len())
        && b[..2].iter().all(u8::is_ascii_lowercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b[4..].iter().all(u8::is_ascii_alphanumeric)
        && b[4..].iter().filter(|c| c.is_ascii_digit()).count() >= 6
}

/// Whether the values count up or down by one: "1 2 3 4 5 6 7", "grades 9 10 11 12".
fn is_counting(values: &[u64]) -> bool {
    values.len() >= 3
        && (values.windows(2).all(|w| w[0].checked_add(1) == Some(w[1]))
            || values.windows(2).all(|w| w[1].checked_add(1) == Some(w[0])))
}

/// Whether `digits` (one or two digits) is a number in `1..=max`.
fn small_number(digits: &str, max: u32) -> bool {
    (1..=2).contains(&digits.len()) && digits.parse::<u32>().is_ok_and(|v| (1..=max).contains(&v))
}

fn is_year(digits: &str) -> bool {
    digits.len() == 4
        && digits
            .parse::<u32>()
            .is_ok_and(|y| (1900..=2099).contains(&y))
}

/// `9.30`, `17.00`: a time written with a dot.
fn is_time(hours: &str, sep: &str, minutes: &str) -> bool {
    sep == "."
        && (1..=2).contains(&hours.len())
        && hours.parse::<u32>().is_ok_and(|h| h <= 24)
        && minutes.len() == 2
        && minutes.parse::<u32>().is_ok_and(|m| m <= 59)
}

/// `12.05.2023`, `5/12/2023`, `2023-05-12`.
fn is_date(groups: &[String], seps: &[String]) -> bool {
    let [a, b, c] = groups else { return false };
    let [s1, s2] = seps else { return false };
    if s1 != s2 || !matches!(s1.as_str(), "." | "-" | "/") {
        return false;
    }
    let day_month =
        small_number(a, 31) && small_number(b, 31) && (small_number(a, 12) || small_number(b, 12));
    (day_month && is_year(c)) || (is_year(a) && small_number(b, 12) && small_number(c, 31))
}

/// Whether the digit groups can be read entirely as years, dates and times,
/// as in "2024-2025", "12.05.2023" or "9.00-17.00".
fn is_dates_and_times(groups: &[String], seps: &[String]) -> bool {
    let n = groups.len();
    let mut reach = vec![false; n + 1];
    reach[0] = true;
    for k in 0..n {
        if !reach[k] {
            continue;
        }
        if is_year(&groups[k]) {
            reach[k + 1] = true;
        }
        if k + 2 <= n && is_time(&groups[k], &seps[k], &groups[k + 1]) {
            reach[k + 2] = true;
        }
        if k + 3 <= n && is_date(&groups[k..k + 3], &seps[k..k + 2]) {
            reach[k + 3] = true;
        }
    }
    reach[n]
}

/// Whether a run of digit groups (with the separators between them) is a phone number.
fn looks_like_phone(groups: &[String], seps: &[String]) -> bool {
    let digits: usize = groups.iter().map(String::len).sum();
    if digits < MIN_PHONE_DIGITS {
        return false;
    }
    if let [only] = groups {
        // A round number ("1000000 students") is a count, not a number to call.
        return !only.ends_with("0000");
    }
    if groups.len() == 2 && seps.first().is_some_and(|s| s == ".") {
        // A decimal: 3.14159265
        return false;
    }
    let values: Option<Vec<u64>> = groups.iter().map(|g| g.parse().ok()).collect();
    if values.is_some_and(|v| is_counting(&v)) {
        return false;
    }
    !is_dates_and_times(groups, seps)
}

fn is_phone_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\u{a0}' | '\u{202f}' | '.' | '-' | '(' | ')' | '+' | '/'
    )
}

/// The folded text and its tokens, with the detectors.
struct Scan<'a> {
    text: &'a str,
    chars: Vec<NChar>,
    toks: Vec<Token>,
    /// Indices into `toks` of the word tokens, in order.
    words: Vec<usize>,
}

impl<'a> Scan<'a> {
    fn new(text: &'a str) -> Self {
        let chars = normalize(text);
        let toks = tokenize(&chars);
        let words = toks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.is_word())
            .map(|(i, _)| i)
            .collect();
        Self {
            text,
            chars,
            toks,
            words,
        }
    }

    // ---- building findings ----

    /// A finding for the original text in the byte range `start..end`.
    fn finding(&self, kind: ContactKind, start: usize, end: usize) -> ContactFinding {
        let raw = self.text.get(start..end).unwrap_or_default();
        let clipped: String = raw.trim().chars().take(MAX_EXCERPT_CHARS).collect();
        ContactFinding {
            kind,
            excerpt: clipped.trim_end().to_owned(),
        }
    }

    /// A finding for tokens `first..=last`.
    fn finding_toks(&self, kind: ContactKind, first: usize, last: usize) -> ContactFinding {
        let start = self.tok(first).map_or(0, |t| t.start);
        let end = self.tok(last).map_or(start, |t| t.end);
        self.finding(kind, start, end)
    }

    /// A finding for words `first..=last` (indices into `words`).
    fn finding_words(&self, kind: ContactKind, first: usize, last: usize) -> ContactFinding {
        let first = self.words.get(first).copied().unwrap_or_default();
        let last = self.words.get(last).copied().unwrap_or(first);
        self.finding_toks(kind, first, last)
    }

    /// A finding for the tokens from `first` up to the next space, without
    /// trailing punctuation (other than `/`), but at least through `min_last`.
    fn finding_chain(&self, kind: ContactKind, first: usize, min_last: usize) -> ContactFinding {
        let mut last = first;
        while self.tok(last + 1).is_some_and(|t| !t.gap_before) {
            last += 1;
        }
        while last > min_last
            && self
                .tok(last)
                .is_some_and(|t| t.kind == TokenKind::Punct && t.text != "/")
        {
            last -= 1;
        }
        self.finding_toks(kind, first, last)
    }

    // ---- token helpers ----

    fn tok(&self, i: usize) -> Option<&Token> {
        self.toks.get(i)
    }

    /// Whether token `i` exists, has no space before it and satisfies `pred`.
    fn tight(&self, i: usize, pred: impl Fn(&Token) -> bool) -> bool {
        self.tok(i).is_some_and(|t| !t.gap_before && pred(t))
    }

    fn word(&self, k: usize) -> Option<&Token> {
        self.words.get(k).and_then(|&i| self.toks.get(i))
    }

    fn word_in(&self, k: usize, set: &[&str]) -> bool {
        self.word(k).is_some_and(|t| set.contains(&t.text.as_str()))
    }

    /// Whether the word `back` words before word `k` is in `set`.
    fn word_before_in(&self, k: usize, back: usize, set: &[&str]) -> bool {
        k.checked_sub(back).is_some_and(|p| self.word_in(p, set))
    }

    /// Whether the words from word `k` on spell `phrase`.
    fn phrase_at(&self, k: usize, phrase: &[&str]) -> bool {
        phrase
            .iter()
            .enumerate()
            .all(|(o, part)| self.word(k + o).is_some_and(|t| t.text == *part))
    }

    /// The length of the first of `phrases` that starts at word `k`.
    fn phrase_len(&self, k: usize, phrases: &[&[&str]]) -> Option<usize> {
        phrases
            .iter()
            .find(|p| self.phrase_at(k, p))
            .map(|p| p.len())
    }

    // ---- email ----

    fn at_form(&self, i: usize) -> Option<(AtForm, usize)> {
        let t = self.tok(i)?;
        if t.is_punct("@") {
            Some((AtForm::Symbol, i + 1))
        } else if t.is_word() && t.text == "at" {
            Some((AtForm::Bare, i + 1))
        } else if self.bracketed(i, "at") {
            Some((AtForm::Bracketed, i + 3))
        } else {
            None
        }
    }

    fn dot_form(&self, i: usize) -> Option<(DotForm, usize)> {
        let t = self.tok(i)?;
        if t.is_punct(".") {
            let tight = !t.gap_before && self.tok(i + 1).is_some_and(|n| !n.gap_before);
            Some((
                if tight {
                    DotForm::Tight
                } else {
                    DotForm::Loose
                },
                i + 1,
            ))
        } else if t.is_word() && t.text == "dot" {
            Some((DotForm::Spelled, i + 1))
        } else if self.bracketed(i, "dot") {
            Some((DotForm::Spelled, i + 3))
        } else {
            None
        }
    }

    /// `(word)`, `[word]` and the like, starting at token `i`.
    fn bracketed(&self, i: usize, word: &str) -> bool {
        self.tok(i).is_some_and(Token::is_open)
            && self
                .tok(i + 1)
                .is_some_and(|t| t.is_word() && t.text == word)
            && self.tok(i + 2).is_some_and(Token::is_close)
    }

    /// A domain label starting at token `i`: a word, perhaps joined to more
    /// words by hyphens without spaces. Returns the index after it.
    fn label(&self, i: usize) -> Option<usize> {
        if !self.tok(i).is_some_and(Token::is_word) {
            return None;
        }
        let mut end = i + 1;
        while self.tight(end, |t| t.is_punct("-")) && self.tight(end + 1, Token::is_word) {
            end += 2;
        }
        Some(end)
    }

    /// The first token of the local part that ends at token `end`
    /// (`john.smith`, `a+b`: words joined by `.`, `+`, `-`, `%` without spaces).
    fn local_start(&self, end: usize) -> usize {
        let mut start = end;
        while start >= 2 {
            let joined = self.tight(start, |_| true)
                && self.tight(start - 1, |t| {
                    t.kind == TokenKind::Punct && matches!(t.text.as_str(), "." | "+" | "-" | "%")
                })
                && self.tok(start - 2).is_some_and(Token::is_word);
            if !joined {
                break;
            }
            start -= 2;
        }
        start
    }

    fn email(&self) -> Option<ContactFinding> {
        for (i, at_tok) in self.toks.iter().enumerate() {
            let Some((form, after_at)) = self.at_form(i) else {
                continue;
            };
            let Some(local_end) = i.checked_sub(1) else {
                continue;
            };
            if !self.tok(local_end).is_some_and(Token::is_word) {
                continue;
            }
            let Some(first_label_end) = self.label(after_at) else {
                continue;
            };
            let Some(first_label) = self.tok(after_at) else {
                continue;
            };
            let provider = first_label_end == after_at + 1
                && MAIL_PROVIDERS.contains(&first_label.text.as_str());
            if form == AtForm::Bare && STOP_LABELS.contains(&first_label.text.as_str()) {
                continue;
            }
            // Inclusive index of the last token of the address, once one is seen.
            let mut last = None;
            if form == AtForm::Symbol && provider && !at_tok.gap_before && !first_label.gap_before {
                last = Some(after_at);
            }
            let mut pos = first_label_end;
            let mut loose = false;
            while let Some((dot, after_dot)) = self.dot_form(pos) {
                // A spelled-out "at" takes spelled-out dots, or real ones after a
                // mail provider: "worked at Amazon.com" is a web address.
                if form == AtForm::Bare
                    && (dot == DotForm::Loose || (dot == DotForm::Tight && !provider))
                {
                    break;
                }
                loose |= dot == DotForm::Loose;
                let Some(after_label) = self.label(after_dot) else {
                    break;
                };
                if after_label == after_dot + 1
                    && self
                        .tok(after_dot)
                        .is_some_and(|t| tld_ok(&t.text, form, loose))
                {
                    last = Some(after_dot);
                }
                pos = after_label;
            }
            if let Some(last) = last {
                let first = self.local_start(local_end);
                return Some(self.finding_toks(ContactKind::Email, first, last));
            }
        }
        None
    }

    // ---- payment ----

    fn payment(&self) -> Option<ContactFinding> {
        for (k, &ti) in self.words.iter().enumerate() {
            let Some(t) = self.tok(ti) else { continue };
            let w = t.text.as_str();
            if PAYMENT_WORDS.contains(&w)
                || (w == "wise" && self.wise_is_payment(k))
                || self.is_crypto_address(t)
                || is_compact_iban(w)
            {
                return Some(self.finding_chain(ContactKind::PaymentHandle, ti, ti));
            }
            if let Some(len) = self.phrase_len(k, PAYMENT_PHRASES) {
                return Some(self.finding_words(ContactKind::PaymentHandle, k, k + len - 1));
            }
            if let Some(last) = self.spaced_iban(ti) {
                return Some(self.finding_toks(ContactKind::PaymentHandle, ti, last));
            }
        }
        self.cashtag()
    }

    /// "pay via Wise", "Wise transfer"; but not "wise words" or "pay-wise".
    fn wise_is_payment(&self, k: usize) -> bool {
        if self.word_in(k + 1, WISE_NEXT) {
            return true;
        }
        let Some(p) = k.checked_sub(1) else {
            return false;
        };
        self.word_in(p, VIA_WORDS)
            && (p.saturating_sub(4)..p).any(|q| {
                self.word(q).is_some_and(|t| {
                    t.text.starts_with("pay") || MONEY_WORDS.contains(&t.text.as_str())
                })
            })
    }

    /// Ethereum (`0x` and 40 hex digits), Bitcoin bech32 (`bc1...`) and
    /// legacy Bitcoin (base58, starting with 1 or 3) addresses.
    fn is_crypto_address(&self, t: &Token) -> bool {
        let w = t.text.as_str();
        if w.strip_prefix("0x")
            .is_some_and(|hex| hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return true;
        }
        if w.strip_prefix("bc1").is_some_and(|rest| {
            (23..=87).contains(&rest.len())
                && rest.bytes().all(|b| b.is_ascii_alphanumeric())
                && rest.bytes().any(|b| b.is_ascii_digit())
        }) {
            return true;
        }
        let raw = self.text.get(t.start..t.end).unwrap_or_default();
        (26..=35).contains(&raw.len())
            && raw.starts_with(['1', '3'])
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l'))
            && raw.bytes().any(|b| b.is_ascii_uppercase())
            && raw.bytes().any(|b| b.is_ascii_lowercase())
    }

    /// An IBAN written in groups of four: `GB82 WEST 1234 5698 7654 32`.
    /// Returns the index of its last token.
    fn spaced_iban(&self, ti: usize) -> Option<usize> {
        let head = self.tok(ti)?.text.as_bytes();
        let head_ok = head.len() == 4
            && head[..2].iter().all(u8::is_ascii_lowercase)
            && head[2..].iter().all(u8::is_ascii_digit);
        if !head_ok {
            return None;
        }
        let mut len = head.len();
        let mut digits = 0;
        let mut last = ti;
        while let Some(t) = self.tok(last + 1) {
            let g = t.text.as_bytes();
            let group = t.is_word()
                && t.gap_before
                && (1..=4).contains(&g.len())
                && g.iter().all(u8::is_ascii_alphanumeric);
            if !group || len + g.len() > 34 {
                break;
            }
            len += g.len();
            digits += g.iter().filter(|c| c.is_ascii_digit()).count();
            last += 1;
            if g.len() < 4 {
                break;
            }
        }
        ((15..=34).contains(&len) && digits >= 6).then_some(last)
    }

    /// A Cash App `$cashtag`; not a price (`$25`), a ticker (`$AAPL`), a code
    /// variable (`$this`) or TeX math (`$ax^2$`).
    fn cashtag(&self) -> Option<ContactFinding> {
        for (i, t) in self.toks.iter().enumerate() {
            if !t.is_punct("$") {
                continue;
            }
            let after_word = !t.gap_before
                && i.checked_sub(1)
                    .and_then(|p| self.tok(p))
                    .is_some_and(Token::is_word);
            if after_word {
                continue;
            }
            let Some(tag) = self.tok(i + 1) else { continue };
            if !tag.is_word()
                || tag.gap_before
                || !tag.text.starts_with(|c: char| c.is_ascii_alphabetic())
                || tag.text.chars().count() < 3
                || CODE_VARS.contains(&tag.text.as_str())
            {
                continue;
            }
            let raw = self.text.get(tag.start..tag.end).unwrap_or_default();
            if raw.len() <= 5 && raw.bytes().all(|b| b.is_ascii_uppercase()) {
                continue;
            }
            let closes_math = self
                .toks
                .iter()
                .skip(i + 2)
                .take(20)
                .any(|n| n.is_punct("$") && !n.gap_before);
            if closes_math {
                continue;
            }
            return Some(self.finding_chain(ContactKind::PaymentHandle, i, i + 1));
        }
        None
    }

    // ---- phone ----

    /// Seven or more digits separated only by spaces, dots, dashes, slashes,
    /// parentheses and plus signs, a few at a time.
    fn phone_digits(&self) -> Option<ContactFinding> {
        let cs = &self.chars;
        let n = cs.len();
        let mut i = 0;
        while i < n {
            if !cs[i].c.is_ascii_digit() {
                i += 1;
                continue;
            }
            let before = i.checked_sub(1).map(|p| cs[p].c);
            let mut groups: Vec<String> = Vec::new();
            let mut seps: Vec<String> = Vec::new();
            let mut j = i;
            loop {
                let mut group = String::new();
                while j < n && cs[j].c.is_ascii_digit() {
                    group.push(cs[j].c);
                    j += 1;
                }
                groups.push(group);
                let mut k = j;
                while k < n && k - j < MAX_PHONE_SEPARATOR && is_phone_separator(cs[k].c) {
                    k += 1;
                }
                if k > j && k < n && cs[k].c.is_ascii_digit() {
                    seps.push(cs[j..k].iter().map(|x| x.c).collect());
                    j = k;
                } else {
                    break;
                }
            }
            // "mp3", "x86", "AB1234567": digits glued to a word are a code.
            let glued = before.is_some_and(char::is_alphabetic);
            let price = before.is_some_and(|c| matches!(c, '$' | '€' | '£' | '¥' | '₹'));
            if !glued && !price && looks_like_phone(&groups, &seps) {
                let start = if before.is_some_and(|c| c == '+' || c == '(') {
                    i - 1
                } else {
                    i
                };
                return Some(self.finding(ContactKind::Phone, cs[start].start, cs[j - 1].end));
            }
            i = j;
        }
        None
    }

    /// Digits spelled out, alone or mixed with numerals: "five five five 1234",
    /// "oh seven seven double oh nine ...".
    fn phone_words(&self) -> Option<ContactFinding> {
        let mut i = 0;
        while i < self.toks.len() {
            let mut j = i;
            let mut first = None;
            let mut last = i;
            let mut digits = 0;
            let mut spelled = false;
            let mut values: Vec<u64> = Vec::new();
            while let Some(t) = self.tok(j) {
                let repeat = match t.text.as_str() {
                    "double" => 2,
                    "triple" => 3,
                    _ => 1,
                };
                let (digit_tok, step) = if repeat > 1 {
                    (self.tok(j + 1), 2)
                } else {
                    (Some(t), 1)
                };
                let value = digit_tok
                    .filter(|d| d.is_word())
                    .and_then(|d| digit_word(&d.text));
                if let Some(d) = value {
                    spelled = true;
                    digits += repeat;
                    values.extend(std::iter::repeat_n(d, repeat));
                } else if t.is_digits() {
                    digits += t.text.len();
                    values.push(t.text.parse().unwrap_or(u64::MAX));
                } else if first.is_some()
                    && t.kind == TokenKind::Punct
                    && matches!(t.text.as_str(), "-" | "." | "(" | ")" | "+" | "/")
                {
                    j += 1;
                    continue;
                } else {
                    break;
                }
                if first.is_none() {
                    first = Some(j);
                }
                j += step;
                last = j - 1;
            }
            if let Some(first) = first
                && spelled
                && digits >= MIN_PHONE_DIGITS
                && !is_counting(&values)
            {
                return Some(self.finding_toks(ContactKind::Phone, first, last));
            }
            i = j.max(i + 1);
        }
        None
    }

    // ---- messaging and social ----

    fn social(&self) -> Option<ContactFinding> {
        for (k, &ti) in self.words.iter().enumerate() {
            let Some(t) = self.tok(ti) else { continue };
            let w = t.text.as_str();
            if SOCIAL_WORDS.contains(&w) {
                return Some(self.finding_chain(ContactKind::SocialHandle, ti, ti));
            }
            if let Some(len) = self.phrase_len(k, SOCIAL_PHRASES) {
                return Some(self.finding_words(ContactKind::SocialHandle, k, k + len - 1));
            }
            if let Some(last) = self.contact_me_on(k) {
                return Some(self.finding_words(ContactKind::SocialHandle, k, last));
            }
            let channel = match w {
                "zoom" => self.zoom_is_channel(k),
                "signal" => self.signal_is_channel(k),
                _ => false,
            };
            if channel {
                let first = if self.word_before_in(k, 1, CHANNEL_PREPS) {
                    k - 1
                } else {
                    k
                };
                let last = if self.word_in(k + 1, ZOOM_NOUNS) {
                    k + 1
                } else {
                    k
                };
                return Some(self.finding_words(ContactKind::SocialHandle, first, last));
            }
        }
        self.at_handle()
    }

    /// "on Zoom", "via Zoom", "Zoom call"; but not "zoom in", "click on Zoom"
    /// or "on zoom lenses".
    fn zoom_is_channel(&self, k: usize) -> bool {
        self.word_in(k + 1, ZOOM_NOUNS)
            || (self.word_before_in(k, 1, CHANNEL_PREPS)
                && !self.word_in(k + 1, ZOOM_NOT)
                && !self.word_before_in(k, 2, CLICK_WORDS))
    }

    /// "on Signal", "via Signal"; but not "Signal Fire" or "on signal processing".
    fn signal_is_channel(&self, k: usize) -> bool {
        self.word_before_in(k, 1, CHANNEL_PREPS) && !self.word_in(k + 1, SIGNAL_NOT)
    }

    /// "contact me on Instagram", "hit me up on Discord": returns the word
    /// index of the platform.
    fn contact_me_on(&self, k: usize) -> Option<usize> {
        if !self.word_in(k, CONTACT_VERBS) || !self.word_in(k + 1, &["me", "us"]) {
            return None;
        }
        let mut p = k + 2;
        if self.word_in(p, &["up"]) {
            p += 1;
        }
        (self.word_in(p, CONTACT_PREPS) && self.word_in(p + 1, PLATFORMS)).then_some(p + 1)
    }

    /// `@handle`: an `@` not glued to a word before it, then three or more
    /// word characters starting with a letter or underscore.
    fn at_handle(&self) -> Option<ContactFinding> {
        for (i, t) in self.toks.iter().enumerate() {
            if !t.is_punct("@") {
                continue;
            }
            let after_word = !t.gap_before
                && i.checked_sub(1)
                    .and_then(|p| self.tok(p))
                    .is_some_and(Token::is_word);
            if after_word {
                continue;
            }
            let handle = self.tight(i + 1, |h| {
                h.is_word()
                    && h.text.starts_with(|c: char| c.is_alphabetic() || c == '_')
                    && h.text.chars().count() >= 3
            });
            if handle {
                return Some(self.finding_chain(ContactKind::SocialHandle, i, i + 1));
            }
        }
        None
    }

    // ---- web addresses ----

    fn url(&self) -> Option<ContactFinding> {
        for (i, t) in self.toks.iter().enumerate() {
            if !t.is_word() {
                continue;
            }
            let scheme = matches!(t.text.as_str(), "http" | "https")
                && self.tight(i + 1, |n| n.is_punct(":"))
                && self.tight(i + 2, |n| n.is_punct("/"));
            let www = t.text == "www"
                && self.tight(i + 1, |n| n.is_punct("."))
                && self.tight(i + 2, Token::is_word);
            if scheme || www {
                return Some(self.finding_chain(ContactKind::Url, i, i + 2));
            }
            if let Some(tld) = self.bare_domain(i) {
                return Some(self.finding_chain(ContactKind::Url, i, tld));
            }
        }
        None
    }

    /// `mysite.com`, `bit.ly`, `my-site.co.uk` starting at token `i`:
    /// returns the index of the top-level domain.
    fn bare_domain(&self, i: usize) -> Option<usize> {
        let mut pos = self.label(i)?;
        let mut found = None;
        while self.tight(pos, |d| d.is_punct(".")) && self.tight(pos + 1, Token::is_word) {
            let Some(after) = self.label(pos + 1) else {
                break;
            };
            let tld = pos + 1;
            if after == tld + 1
                && self.tok(tld).is_some_and(|t| self.is_web_tld(t))
                && !self.is_tech_name(i, tld)
            {
                found = Some(tld);
            }
            pos = after;
        }
        found
    }

    /// A top-level domain of a web address; `.NET` in capitals is the framework.
    fn is_web_tld(&self, t: &Token) -> bool {
        URL_TLDS.contains(&t.text.as_str())
            && (t.text != "net" || self.text.get(t.start..t.end) != Some("NET"))
    }

    fn is_tech_name(&self, first: usize, last: usize) -> bool {
        let name: String = (first..=last)
            .filter_map(|j| self.tok(j))
            .map(|t| t.text.as_str())
            .collect();
        TECH_NAMES.contains(&name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use super::ContactKind::{Email, PaymentHandle, Phone, SocialHandle, Url};

    const FLAGGED: &[(&str, ContactKind)] = &[
        // email, plain and obfuscated
        ("Email me at john.doe@gmail.com", Email),
        ("JOHN@GMAIL.COM", Email),
        ("john at gmail dot com", Email),
        ("reach me: john [at] gmail [dot] com", Email),
        ("john(at)gmail(dot)com", Email),
        ("john @ gmail . com", Email),
        ("write to john at gmail.com", Email),
        ("maria.lopez@my-school.co.uk", Email),
        ("mail me: maria@gmail", Email),
        ("ｊｏｈｎ＠ｇｍａｉｌ．ｃｏｍ", Email),
        (
            "Write to me: maria at gmail dot com and we can agree on a price.",
            Email,
        ),
        // phone numbers
        ("Call +1 555-123-4567", Phone),
        ("(555) 123 4567", Phone),
        ("555.123.4567", Phone),
        ("07700 900123", Phone),
        ("+44 20 7946 0958", Phone),
        ("01 23 45 67 89", Phone),
        ("Numbers: 5551234567", Phone),
        ("text me at 555 123 4567", Phone),
        ("Call 555 123 4567 now", Phone),
        ("text five five five 1234", Phone),
        ("five five five one two three four", Phone),
        ("call oh seven seven zero zero nine zero zero", Phone),
        (
            "zero seven seven double zero nine zero zero one two three",
            Phone,
        ),
        ("wa.me/447700900123", Phone),
        // outside payment
        ("paypal.me/johnny", PaymentHandle),
        ("send it to my PayPal", PaymentHandle),
        ("Venmo me", PaymentHandle),
        ("my cashtag is $JohnnyCash", PaymentHandle),
        ("Pay me on Cash App: $tutor_jane", PaymentHandle),
        ("I accept Zelle", PaymentHandle),
        ("Pay via Wise please", PaymentHandle),
        ("Wise transfer is fine", PaymentHandle),
        ("Revolut works for me", PaymentHandle),
        ("Western Union", PaymentHandle),
        ("pay by bank transfer", PaymentHandle),
        ("IBAN: DE89370400440532013000", PaymentHandle),
        ("DE89370400440532013000", PaymentHandle),
        ("GB82 WEST 1234 5698 7654 32", PaymentHandle),
        ("0x52908400098527886E0F7030069857D2E4169EE7", PaymentHandle),
        ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", PaymentHandle),
        ("1BoatSLRHtKNngkdXEeobR76b53LETtpyT", PaymentHandle),
        // messaging and social
        ("WhatsApp me", SocialHandle),
        ("Add me on Telegram", SocialHandle),
        ("text me on signal", SocialHandle),
        ("signal me", SocialHandle),
        ("my WeChat id is abc", SocialHandle),
        ("Skype: john.doe", SocialHandle),
        ("let's do a zoom call", SocialHandle),
        ("meet via zoom", SocialHandle),
        ("contact me on instagram", SocialHandle),
        ("hit me up on Discord", SocialHandle),
        ("follow @johnny_teaches", SocialHandle),
        // web addresses
        ("https://example.com/about", Url),
        ("www.mysite.net", Url),
        ("visit mysite.io", Url),
        ("bit.ly/abc123", Url),
        ("I worked at Amazon.com", Url),
    ];

    const CLEAN: &[&str] = &[
        "I have 12 years of experience",
        "Sessions at 5 pm on weekdays",
        "Meet me at the park",
        "We cover chapters 1 2 3",
        "I taught at Stanford and at home",
        "Learn to play Signal Fire by Snow Patrol",
        "The price is $25",
        "$30 per hour",
        "C++ and C#",
        "email is the best way to learn? no...",
        "I'm at home",
        "Windows 10 and 11",
        "2024-2025 season",
        "A 1-2-3 approach",
        "Dates like 12.05.2023 work",
        "version 3.14.159",
        "5 years, 3 months",
        "Wise words from a wise teacher",
        "Otherwise, be wise with money",
        "Pay-wise, this course is a bargain",
        "zoom in on the photo",
        "Click on Zoom to enlarge the image",
        "I focus on signal processing",
        "Learn ASP.NET and Node.js",
        "Learn Vue.js, Socket.io and Express",
        "Lessons 9.00-17.00 on weekdays",
        "Open 9.30-12.30 and 14.00-18.00",
        "Grades 9 10 11 12",
        "Count with me: one two three four five six seven eight",
        "One or two sessions per week",
        "I have helped 1000000 students",
        "Between 1998 and 2004 I lived in Spain",
        "Look at the dot product of two vectors",
        "In PHP, $this refers to the object",
        "Analyze $AAPL and $TSLA charts",
        "Solve $ax + b = 0$ for x",
        "We meet @ 5pm",
        "pi is about 3.14159265",
        "Available 24/7",
        "Use e.g. flashcards, i.e. spaced repetition",
        "Practice real conversations you will have at airports, hotels and markets, with gentle corrections.",
        "I have taught Spanish to adults for twelve years, online and in person.",
        "Conversational Spanish for travellers",
        "Telegraph Hill walking tours",
        "The telephone was invented in 1876",
        "",
        "   ",
    ];

    #[test]
    fn flags_contact_details() {
        for (text, kind) in FLAGGED {
            let found = find_contact(text);
            assert_eq!(
                found.as_ref().map(|f| &f.kind),
                Some(kind),
                "{text:?} gave {found:?}"
            );
        }
    }

    #[test]
    fn leaves_ordinary_prose_alone() {
        for text in CLEAN {
            assert_eq!(find_contact(text), None, "{text:?}");
        }
    }

    #[test]
    fn excerpts_are_the_offending_text() {
        let excerpt = |text: &str| find_contact(text).map(|f| f.excerpt);
        assert_eq!(
            excerpt("Email me at john.doe@gmail.com today").as_deref(),
            Some("john.doe@gmail.com")
        );
        assert_eq!(
            excerpt("write to john at gmail dot com please").as_deref(),
            Some("john at gmail dot com")
        );
        assert_eq!(
            excerpt("Call me on (555) 123-4567 anytime").as_deref(),
            Some("(555) 123-4567")
        );
        assert_eq!(
            excerpt("ring +44 20 7946 0958.").as_deref(),
            Some("+44 20 7946 0958")
        );
        assert_eq!(
            excerpt("see https://example.com/about.").as_deref(),
            Some("https://example.com/about")
        );
        assert_eq!(
            excerpt("follow @johnny_teaches!").as_deref(),
            Some("@johnny_teaches")
        );
        assert_eq!(excerpt("Pay via Wise please").as_deref(), Some("Wise"));
        assert_eq!(
            excerpt("text me on signal").as_deref(),
            Some("text me on signal")
        );
        let long = format!("https://example.com/{}", "a".repeat(100));
        let found = find_contact(&long).expect("a long url is found");
        assert_eq!(found.excerpt.chars().count(), MAX_EXCERPT_CHARS);
        assert!(long.starts_with(&found.excerpt));
    }

    #[test]
    fn describes_each_kind() {
        assert_eq!(Email.describe(), "an email address");
        assert_eq!(Phone.describe(), "a phone number");
        assert_eq!(PaymentHandle.describe(), "an outside payment handle");
        assert_eq!(SocialHandle.describe(), "a social media handle");
        assert_eq!(Url.describe(), "a web address");
    }

    #[test]
    fn odd_unicode_does_not_panic() {
        for text in [
            "İstanbul @ß",
            "\u{0130}\u{0130}\u{0130}",
            "e\u{301}@x.com",
            "٥٥٥١٢٣٤٥٦٧",
            "🙂@🙂.com",
            "@",
            "$",
            "+(",
        ] {
            let _ = find_contact(text);
        }
        assert_eq!(find_contact("٥٥٥١٢٣٤٥٦٧").map(|f| f.kind), Some(Phone));
    }

    /// Common words, none of which is a digit word, "at", "dot" or a brand.
    const VOCAB: &[&str] = &[
        "a",
        "advanced",
        "and",
        "are",
        "beginner",
        "can",
        "class",
        "every",
        "exam",
        "experience",
        "for",
        "friendly",
        "fun",
        "games",
        "great",
        "guitar",
        "has",
        "have",
        "hello",
        "help",
        "homework",
        "hours",
        "i",
        "in",
        "is",
        "learn",
        "lesson",
        "lessons",
        "level",
        "math",
        "minutes",
        "music",
        "my",
        "of",
        "patient",
        "per",
        "piano",
        "practice",
        "reading",
        "session",
        "skills",
        "student",
        "students",
        "teach",
        "the",
        "to",
        "today",
        "we",
        "week",
        "will",
        "with",
        "writing",
        "years",
        "you",
        "your",
    ];
    const PUNCTUATION: &[&str] = &[" ", ", ", ". ", "! ", "? ", " - "];
    const SEPARATORS: &[&str] = &[" ", "-", "."];
    /// Ways to group ten digits; none can be read as dates, years or a decimal.
    const PHONE_PATTERNS: &[&[usize]] = &[
        &[3, 3, 4],
        &[3, 4, 3],
        &[4, 3, 3],
        &[2, 4, 4],
        &[2, 2, 2, 2, 2],
        &[1, 3, 3, 3],
    ];

    fn prose() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(VOCAB), 0..12).prop_map(|words| words.join(" "))
    }

    proptest! {
        #[test]
        fn finds_emails_in_prose(
            before in prose(),
            after in prose(),
            local in "[a-z][a-z0-9]{0,10}(\\.[a-z0-9]{1,8})?",
            domain in "[a-z][a-z0-9]{0,10}",
            tld in "[a-z]{2,6}",
        ) {
            let email = format!("{local}@{domain}.{tld}");
            let text = format!("{before} {email} {after}");
            let found = find_contact(&text);
            prop_assert!(
                found.as_ref().is_some_and(|f| f.kind == Email && f.excerpt == email),
                "{:?} gave {:?}", text, found
            );
        }

        #[test]
        fn finds_ten_digit_numbers_in_prose(
            before in prose(),
            after in prose(),
            digits in "[0-9]{10}",
            pattern in prop::sample::select(PHONE_PATTERNS),
            seps in prop::collection::vec(prop::sample::select(SEPARATORS), 4),
        ) {
            let mut number = String::new();
            let mut rest = digits.as_str();
            for (g, &len) in pattern.iter().enumerate() {
                if g > 0 {
                    number.push_str(seps[g - 1]);
                }
                let (head, tail) = rest.split_at(len);
                number.push_str(head);
                rest = tail;
            }
            let text = format!("{before} {number} {after}");
            let found = find_contact(&text);
            prop_assert!(
                found.as_ref().is_some_and(|f| f.kind == Phone && f.excerpt == number),
                "{:?} gave {:?}", text, found
            );
        }

        #[test]
        fn never_panics_and_excerpts_come_from_the_text(text in any::<String>()) {
            if let Some(found) = find_contact(&text) {
                prop_assert!(!found.excerpt.is_empty());
                prop_assert!(found.excerpt.chars().count() <= MAX_EXCERPT_CHARS);
                prop_assert!(text.contains(&found.excerpt));
            }
        }

        /// Numbers always come after a word: four two-digit numbers in a row
        /// ("12 34 56 78") are how phone numbers are written in France.
        #[test]
        fn plain_prose_is_clean(
            parts in prop::collection::vec(
                (prop::sample::select(VOCAB), prop::option::of(0u32..100), prop::sample::select(PUNCTUATION)),
                0..24,
            ),
        ) {
            let mut text = String::new();
            for (word, number, punct) in &parts {
                text.push_str(word);
                if let Some(n) = number {
                    text.push(' ');
                    text.push_str(&n.to_string());
                }
                text.push_str(punct);
            }
            prop_assert_eq!(find_contact(&text), None, "{:?}", text);
        }
    }
}
