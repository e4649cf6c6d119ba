//! Text as the readers see it: folded, without links, as words; phrases compiled on
//! [`crate::domain::matching`]'s keywords; negation cues.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};
use unicode_normalization::UnicodeNormalization;

use super::NegationVocabulary;
pub(crate) use crate::domain::matching::words;
use crate::domain::matching::{Keyword, KeywordSet};

/// Lower case, NFC, German letters spelt out, other accents dropped, apostrophes inside
/// words dropped. Keeps `*`, so it serves phrases and text alike.
pub(crate) fn fold(text: &str) -> String {
    if text.is_ascii() {
        return fold_ascii(text);
    }
    fold_unicode(text)
}

/// [`fold`] of ASCII text, which NFC and accents leave alone: lower case, apostrophes inside
/// words dropped. Most phrases of a vocabulary are ASCII, and compiling them is most of a
/// cold start.
fn fold_ascii(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in b.iter().enumerate() {
        if matches!(c, b'\'' | b'`')
            && i > 0
            && b[i - 1].is_ascii_alphabetic()
            && b.get(i + 1).is_some_and(u8::is_ascii_alphabetic)
        {
            continue;
        }
        out.push(char::from(c.to_ascii_lowercase()));
    }
    out
}

fn fold_unicode(text: &str) -> String {
    let chars: Vec<char> = text.nfc().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let apostrophe = matches!(c, '\'' | '’' | '`' | '´' | 'ʼ');
        if apostrophe
            && i > 0
            && chars[i - 1].is_alphabetic()
            && chars.get(i + 1).is_some_and(|n| n.is_alphabetic())
        {
            continue;
        }
        for l in c.to_lowercase() {
            match l {
                'ä' => out.push_str("ae"),
                'ö' => out.push_str("oe"),
                'ü' => out.push_str("ue"),
                'ß' => out.push_str("ss"),
                _ => decompose_compatible(l, |d| {
                    if !is_combining_mark(d) {
                        out.extend(d.to_lowercase());
                    }
                }),
            }
        }
    }
    out
}

/// Folded text made safe to match: gender suffixes joined ("leiter*in" -> "leiterin") and
/// every other `*` dropped, so a text never carries a wildcard.
pub(crate) fn clean(folded: &str) -> String {
    let chars: Vec<char> = folded.chars().collect();
    let mut out = String::with_capacity(folded.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, '*' | ':' | '_' | '/' | '(') && i > 0 && chars[i - 1].is_alphabetic() {
            let rest: String = chars[i + 1..chars.len().min(i + 8)].iter().collect();
            let skip = ["in)", "innen", "in", "-innen", "-in"].into_iter().find(|s| {
                rest.starts_with(s)
                    && !chars.get(i + 1 + s.chars().count()).is_some_and(|n| n.is_alphanumeric())
                    && (c == '(') == s.ends_with(')')
            });
            if let Some(s) = skip {
                out.push_str(s.trim_start_matches('-').trim_end_matches(')'));
                i += 1 + s.chars().count();
                continue;
            }
        }
        out.push(if c == '*' { ' ' } else { c });
        i += 1;
    }
    out
}

/// Whether a whitespace-separated token is a link (scheme or `www.`).
pub(crate) fn is_link(token: &str) -> bool {
    let t = token.trim_start_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    t.contains("://") || t.starts_with("www.")
}

/// Whether a token is an e-mail address (something@host.tld).
fn is_email(token: &str) -> bool {
    token.split_once('@').is_some_and(|(local, host)| {
        local.chars().any(char::is_alphanumeric) && host.contains('.') && host.len() > 2
    })
}

/// The text without links and e-mail addresses, which must not fire phrases
/// ("https://firma.de/angebot", "angebot@firma.de").
pub(crate) fn strip_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_whitespace() {
            if !(is_link(&token) || is_email(&token)) {
                out.push_str(&token);
            }
            token.clear();
            out.push(c);
        } else {
            token.push(c);
        }
    }
    out.pop();
    out
}

/// Where a phrase was found in a list of words, and how specific it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub len: usize,
    /// Letters of the phrase that are not wildcards: the more, the more specific.
    pub literal: usize,
}

impl Span {
    pub fn end(&self) -> usize {
        self.start + self.len
    }

    /// Whether this match makes `other` moot: it covers it and is longer or more specific.
    pub fn beats(&self, other: &Span) -> bool {
        self.start <= other.start
            && other.end() <= self.end()
            && (self.len > other.len || (self.len == other.len && self.literal > other.literal))
    }
}

/// One phrase (a [`Keyword`]) with its length in words.
#[derive(Debug, Clone)]
struct Phrase {
    keyword: Keyword,
    len: usize,
    literal: usize,
    /// The first word's letters before any wildcard: a cheap test before the keyword's.
    prefix: String,
}

impl Phrase {
    fn new(phrase: &str) -> Self {
        let folded = fold(phrase);
        let ws = words(&folded);
        let literal = folded.chars().filter(|c| c.is_alphanumeric()).count();
        let prefix =
            ws.first().map(|w| w.split('*').next().unwrap_or_default().to_owned()).unwrap_or_default();
        Self { keyword: Keyword::new(&folded), len: ws.len(), literal, prefix }
    }

    fn at(&self, words: &[String], i: usize) -> bool {
        self.len > 0
            && i + self.len <= words.len()
            && words[i].starts_with(&self.prefix)
            && self.keyword.found_in(&words[i..i + self.len])
    }
}

/// A list of phrases, compiled once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Phrases {
    list: Vec<Phrase>,
    set: KeywordSet,
}

impl Phrases {
    pub fn new<S: AsRef<str>>(phrases: &[S]) -> Self {
        let folded: Vec<String> = phrases.iter().map(|p| fold(p.as_ref())).collect();
        Self {
            list: phrases.iter().map(|p| Phrase::new(p.as_ref())).collect(),
            set: KeywordSet::new(&folded),
        }
    }

    pub fn any(&self, words: &[String]) -> bool {
        self.set.found_in(words)
    }

    /// Every place a phrase is found.
    pub fn spans(&self, words: &[String]) -> Vec<Span> {
        let mut out = Vec::new();
        for p in &self.list {
            for i in 0..words.len() {
                if p.at(words, i) {
                    out.push(Span { start: i, len: p.len, literal: p.literal });
                }
            }
        }
        out
    }

    /// The length of the longest phrase starting at `i`.
    pub fn longest_at(&self, words: &[String], i: usize) -> Option<usize> {
        self.list.iter().filter(|p| p.at(words, i)).map(|p| p.len).max()
    }
}

/// Phrases that carry a value; the longest match at a place wins.
#[derive(Debug, Clone)]
pub(crate) struct Table<T> {
    entries: Vec<(Phrase, T)>,
}

impl<T: Copy> Table<T> {
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a String, T)>) -> Self {
        Self { entries: entries.into_iter().map(|(p, t)| (Phrase::new(p), t)).collect() }
    }

    pub fn at(&self, words: &[String], i: usize) -> Option<(T, usize)> {
        let found = self.entries.iter().filter(|(p, _)| p.at(words, i));
        found.max_by_key(|(p, _)| (p.len, p.literal)).map(|(p, t)| (*t, p.len))
    }
}

/// Compiled negation cues.
#[derive(Debug, Clone)]
pub(crate) struct Negation {
    before: Phrases,
    after: Phrases,
    exceptions: Phrases,
    breaks: Phrases,
    window: usize,
}

/// Where the cues stand in one clause: the last word of each `before` cue and the first
/// word of each `after` cue.
pub(crate) struct Cues {
    before_ends: Vec<usize>,
    after_starts: Vec<usize>,
}

impl Negation {
    pub fn new(v: &NegationVocabulary) -> Self {
        Self {
            before: Phrases::new(&v.before),
            after: Phrases::new(&v.after),
            exceptions: Phrases::new(&v.exceptions),
            breaks: Phrases::new(&v.clause_breaks),
            window: v.window,
        }
    }

    /// Clauses of a text, each as its words: cut at punctuation and at clause-break words;
    /// links and e-mail addresses removed.
    pub fn clauses(&self, text: &str) -> Vec<Vec<String>> {
        let text = clean(&strip_links(&fold(text)));
        let mut out = Vec::new();
        for piece in text.split(|c: char| ".,;:!?()[]{}\"|\n\r\t–—…".contains(c)) {
            let ws = words(piece);
            let (mut clause, mut i) = (Vec::new(), 0);
            while i < ws.len() {
                if let Some(n) = self.breaks.longest_at(&ws, i) {
                    out.push(std::mem::take(&mut clause));
                    i += n;
                } else {
                    clause.push(ws[i].clone());
                    i += 1;
                }
            }
            out.push(clause);
        }
        out.retain(|c| !c.is_empty());
        out
    }

    pub fn cues(&self, words: &[String]) -> Cues {
        let exceptions = self.exceptions.spans(words);
        let free = |s: &Span| !exceptions.iter().any(|e| e.start < s.end() && s.start < e.end());
        Cues {
            before_ends: self.before.spans(words).iter().filter(|s| free(s)).map(|s| s.end() - 1).collect(),
            after_starts: self.after.spans(words).iter().filter(|s| free(s)).map(|s| s.start).collect(),
        }
    }

    /// Whether a cue stands within the window before (or after) the phrase at `span`.
    pub fn negates(&self, cues: &Cues, span: &Span) -> bool {
        cues.before_ends.iter().any(|&e| e < span.start && span.start - e <= self.window)
            || cues.after_starts.iter().any(|&s| s >= span.end() && s - span.end() <= self.window)
    }
}

#[cfg(test)]
mod tests {
    use super::{fold_ascii, fold_unicode};

    #[test]
    fn ascii_text_folds_as_any_text_does() {
        for text in
            ["", "Head of IT", "O'Brien's CEO", "rock'n'roll", "' x '", "a`b", "it's'", "Z*in", "A-B_c/D"]
        {
            assert_eq!(fold_ascii(text), fold_unicode(text), "{text:?}");
        }
    }
}
