//! Keyword and domain patterns, compiled once per SLA.
//!
//! Text is split into lower-case words; a keyword is one or more words, each of which
//! may use `*` as a wildcard (`*leiter*` finds "Vertriebsleiterin"). Matching whole
//! words keeps "cto" from matching "director". Keywords and patterns without `*` are
//! looked up in a hash set; only the others are matched one by one.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

/// A `*` glob over one word or one domain name (both already lower-case).
#[derive(Debug, Clone)]
pub struct Glob {
    parts: Vec<String>,
    anchored_start: bool,
    anchored_end: bool,
}

impl Glob {
    pub fn new(pattern: &str) -> Self {
        let pattern = pattern.to_lowercase();
        Self {
            anchored_start: !pattern.starts_with('*'),
            anchored_end: !pattern.ends_with('*'),
            parts: pattern.split('*').filter(|p| !p.is_empty()).map(str::to_owned).collect(),
        }
    }

    pub fn matches(&self, text: &str) -> bool {
        if self.parts.is_empty() {
            // "*" matches anything non-empty; "" matches only "".
            return !(self.anchored_start && self.anchored_end) || text.is_empty();
        }
        if self.anchored_start && self.anchored_end && self.parts.len() == 1 {
            return text == self.parts[0];
        }
        let mut rest = text;
        for (i, part) in self.parts.iter().enumerate() {
            let first = i == 0;
            let last = i == self.parts.len() - 1;
            if first && self.anchored_start {
                match rest.strip_prefix(part.as_str()) {
                    Some(r) => rest = r,
                    None => return false,
                }
            } else if last && self.anchored_end {
                return rest.len() >= part.len() && rest.ends_with(part.as_str());
            } else {
                match rest.find(part.as_str()) {
                    Some(at) => rest = &rest[at + part.len()..],
                    None => return false,
                }
            }
        }
        !self.anchored_end || rest.is_empty()
    }
}

/// FxHash (rustc's): a multiply and a rotate per 8 bytes. The keys are SLA keywords and
/// vendored domain lists, not attacker-chosen table keys, so no DoS-resistant hash is
/// needed, and SipHash would cost more than the rest of a lookup.
#[derive(Default)]
pub(crate) struct FxHasher(u64);

/// A hash set with [`FxHasher`].
pub(crate) type FxHashSet<T> = HashSet<T, BuildHasherDefault<FxHasher>>;

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.add(u64::from_le_bytes(tail));
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A pattern without `*`: what it matches is itself, so a set finds it in one lookup.
fn exact(pattern: &str) -> Option<String> {
    (!pattern.is_empty() && !pattern.contains('*')).then(|| pattern.to_lowercase())
}

/// A keyword of one or more words.
#[derive(Debug, Clone)]
pub struct Keyword(Vec<Glob>);

impl Keyword {
    pub fn new(keyword: &str) -> Self {
        Self(words(keyword).iter().map(|w| Glob::new(w)).collect())
    }

    /// Whether the keyword's words stand one after another in `text_words`.
    pub fn found_in(&self, text_words: &[String]) -> bool {
        if self.0.is_empty() || self.0.len() > text_words.len() {
            return false;
        }
        text_words.windows(self.0.len()).any(|w| w.iter().zip(&self.0).all(|(word, glob)| glob.matches(word)))
    }
}

/// A set of keywords: matches if any is found.
#[derive(Debug, Clone, Default)]
pub struct KeywordSet {
    /// One-word keywords without `*`.
    words: FxHashSet<String>,
    others: Vec<Keyword>,
}

impl KeywordSet {
    pub fn new<S: AsRef<str>>(keywords: &[S]) -> Self {
        let mut set = Self::default();
        for k in keywords {
            match words(k.as_ref()).as_slice() {
                [word] if exact(word).is_some() => {
                    set.words.extend(exact(word));
                }
                _ => set.others.push(Keyword::new(k.as_ref())),
            }
        }
        set
    }

    pub fn found_in(&self, text_words: &[String]) -> bool {
        (!self.words.is_empty() && text_words.iter().any(|w| self.words.contains(w)))
            || self.others.iter().any(|k| k.found_in(text_words))
    }
}

/// A set of globs over whole values (domains, local parts, answers).
#[derive(Debug, Clone, Default)]
pub struct GlobSet {
    exact: FxHashSet<String>,
    globs: Vec<Glob>,
}

impl GlobSet {
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Self {
        let mut set = Self::default();
        for p in patterns.iter().map(|p| p.as_ref().trim()) {
            match exact(p) {
                Some(value) => {
                    set.exact.insert(value);
                }
                None => set.globs.push(Glob::new(p)),
            }
        }
        set
    }

    pub fn matches(&self, value: &str) -> bool {
        (!self.exact.is_empty() && self.exact.contains(value)) || self.globs.iter().any(|g| g.matches(value))
    }
}

/// Lower-case words of a text: letters and digits, split on everything else.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '*'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// An answer value as forms send it, made comparable: lower-case, words joined by `_`
/// ("Within 3 months" -> "within_3_months", "Entscheider/in" -> "entscheider_in").
pub fn answer_key(text: &str) -> String {
    words(text).join("_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(Glob::new("gmail.com").matches("gmail.com"));
        assert!(!Glob::new("gmail.com").matches("mygmail.com"));
        assert!(Glob::new("*.edu").matches("mit.edu"));
        assert!(!Glob::new("*.edu").matches("edu"));
        assert!(Glob::new("uni-*.de").matches("uni-hamburg.de"));
        assert!(!Glob::new("uni-*.de").matches("uni-hamburg.com"));
        assert!(Glob::new("stud.*").matches("stud.uni-due.de"));
        assert!(Glob::new("*leiter*").matches("vertriebsleiterin"));
        assert!(Glob::new("*leiter*").matches("leiter"));
        assert!(!Glob::new("*leiter*").matches("begleitung"));
        assert!(Glob::new("a*b*c").matches("axxbyyc"));
        assert!(!Glob::new("a*b*c").matches("acb"));
        assert!(!Glob::new("ab*ba").matches("aba"));
    }

    #[test]
    fn keywords_match_whole_words_in_order() {
        let title = words("Director of Sales, DACH");
        assert!(!Keyword::new("cto").found_in(&title));
        assert!(Keyword::new("director").found_in(&title));
        assert!(Keyword::new("director of sales").found_in(&title));
        assert!(!Keyword::new("sales director").found_in(&title));
        assert!(Keyword::new("geschäftsführ*").found_in(&words("Geschäftsführerin")));
        assert!(KeywordSet::new(&["ceo", "*leiter*"]).found_in(&words("Abteilungsleiter IT")));
        assert_eq!(answer_key("Within 3 months"), "within_3_months");
        assert_eq!(answer_key("  Entscheider/in "), "entscheider_in");
    }
}
