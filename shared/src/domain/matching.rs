//! Keyword and domain patterns, compiled once per SLA.
//!
//! Text is split into lower-case words; a keyword is one or more words, each of which
//! may use `*` as a wildcard (`*leiter*` finds "Vertriebsleiterin"). Matching whole
//! words keeps "cto" from matching "director". Keywords and patterns without `*` are
//! looked up in a hash set; only the others are matched one by one.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A `*` glob over one word or one domain name (both already lower-case).
#[derive(Debug, Clone)]
pub struct Glob {
    /// As given, lower case.
    pattern: String,
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
            pattern,
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
/// A hash map with [`FxHasher`].
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

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

    // The length a slice's hash starts with: one step, not a byte buffer.
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A keyword of one or more words.
#[derive(Debug, Clone)]
pub struct Keyword(Vec<Glob>);

impl Keyword {
    pub fn new(keyword: &str) -> Self {
        Self(words(keyword).iter().map(|w| Glob::new(w)).collect())
    }

    /// Whether the keyword's words stand one after another in `text_words`.
    pub fn found_in<W: AsRef<str>>(&self, text_words: &[W]) -> bool {
        if self.0.is_empty() || self.0.len() > text_words.len() {
            return false;
        }
        text_words
            .windows(self.0.len())
            .any(|w| w.iter().zip(&self.0).all(|(word, glob)| glob.matches(word.as_ref())))
    }

    /// The same over words joined by one space: at each word, the words from there on.
    fn found_in_joined(&self, text: &str) -> bool {
        !self.0.is_empty()
            && LowerWords::starts(text).any(|rest| {
                let mut following = rest.split(' ');
                self.0.iter().all(|glob| following.next().is_some_and(|w| glob.matches(w)))
            })
    }
}

/// 256 bits, one per byte value: which bytes a pattern of a kind can start (or end) with,
/// so a word that cannot match is turned away without hashing it.
#[derive(Debug, Clone, Copy, Default)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn insert(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    fn has(&self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }
}

/// Literal pieces of one kind (exact values, prefixes, suffixes): a hash set, the lengths
/// in it, and filters on the bytes they start (or end) with, so that most words are turned
/// away without hashing them.
#[derive(Debug, Clone, Default)]
struct Pieces {
    set: FxHashSet<Box<[u8]>>,
    /// Distinct lengths, ascending.
    lengths: Vec<usize>,
    /// First bytes (exact values, prefixes) or last bytes (suffixes).
    edge: ByteSet,
    /// The same for the first (last) two bytes, folded into 256 bits.
    edge2: ByteSet,
    /// A piece of one byte, which `edge2` cannot speak for.
    has_one_byte: bool,
}

/// The 256-bit slot of two bytes.
fn pair(a: u8, b: u8) -> u8 {
    a.wrapping_mul(31) ^ b
}

impl Pieces {
    /// Adds a piece (not empty); `from_end` for suffixes.
    fn insert(&mut self, piece: &str, from_end: bool) {
        let b = piece.as_bytes();
        if let Err(at) = self.lengths.binary_search(&b.len()) {
            self.lengths.insert(at, b.len());
        }
        let (edge, next) = if from_end {
            (b[b.len() - 1], b.len().checked_sub(2).map(|i| b[i]))
        } else {
            (b[0], b.get(1).copied())
        };
        self.edge.insert(edge);
        match next {
            Some(next) => self.edge2.insert(pair(edge, next)),
            None => self.has_one_byte = true,
        }
        self.set.insert(b.into());
    }

    /// Whether a value (not empty) could hold a piece at its start (end).
    fn may_hold(&self, value: &[u8], from_end: bool) -> bool {
        if self.set.is_empty() {
            return false;
        }
        let (edge, next) = if from_end {
            (value[value.len() - 1], value.len().checked_sub(2).map(|i| value[i]))
        } else {
            (value[0], value.get(1).copied())
        };
        self.edge.has(edge) && (self.has_one_byte || next.is_some_and(|n| self.edge2.has(pair(edge, n))))
    }

    fn exact(&self, value: &[u8]) -> bool {
        self.may_hold(value, false)
            && self.lengths.binary_search(&value.len()).is_ok()
            && self.set.contains(value)
    }

    fn prefix_of(&self, value: &[u8]) -> bool {
        self.may_hold(value, false)
            && self.lengths.iter().take_while(|&&l| l <= value.len()).any(|&l| self.set.contains(&value[..l]))
    }

    fn suffix_of(&self, value: &[u8]) -> bool {
        self.may_hold(value, true)
            && self
                .lengths
                .iter()
                .take_while(|&&l| l <= value.len())
                .any(|&l| self.set.contains(&value[value.len() - l..]))
    }
}

/// Globs over one word or one whole value, compiled by kind: exact values, prefixes
/// (`vertrieb*`), suffixes (`*.example`) in hash sets looked up once per distinct length,
/// infixes (`*leiter*`) by a byte scan; only globs with a `*` inside (`uni-*.de`) are
/// matched one by one. Matches exactly what each [`Glob`] would (a property test holds
/// them together).
#[derive(Debug, Clone, Default)]
pub struct GlobSet {
    /// `*` (or `**`): matches everything, even an empty value.
    any: bool,
    /// The empty pattern: matches the empty value.
    empty: bool,
    exact: Pieces,
    prefixes: Pieces,
    suffixes: Pieces,
    infixes: Vec<Box<[u8]>>,
    others: Vec<Glob>,
}

impl GlobSet {
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Self {
        let mut set = Self::default();
        for p in patterns {
            set.insert(&p.as_ref().trim().to_lowercase());
        }
        set
    }

    /// Adds one lower-case pattern.
    fn insert(&mut self, pattern: &str) {
        let core = pattern.trim_matches('*');
        let (open_start, open_end) = (pattern.starts_with('*'), pattern.ends_with('*'));
        if pattern.is_empty() {
            self.empty = true;
        } else if core.is_empty() {
            self.any = true;
        } else if core.contains('*') {
            self.others.push(Glob::new(pattern));
        } else {
            match (open_start, open_end) {
                (false, false) => self.exact.insert(core, false),
                (false, true) => self.prefixes.insert(core, false),
                (true, false) => self.suffixes.insert(core, true),
                (true, true) => self.infixes.push(core.as_bytes().into()),
            }
        }
    }

    /// Whether any pattern matches the value (lower case).
    pub fn matches(&self, value: &str) -> bool {
        self.matches_bytes(value.as_bytes())
    }

    /// The same over the value's UTF-8 bytes (whole characters).
    fn matches_bytes(&self, v: &[u8]) -> bool {
        if self.any {
            return true;
        }
        if v.is_empty() {
            return self.empty;
        }
        self.exact.exact(v)
            || self.prefixes.prefix_of(v)
            || self.suffixes.suffix_of(v)
            || self.infixes.iter().any(|i| i.len() <= v.len() && v.windows(i.len()).any(|w| w == &**i))
            || (!self.others.is_empty()
                && std::str::from_utf8(v).is_ok_and(|value| self.others.iter().any(|g| g.matches(value))))
    }
}

/// A set of keywords: matches if any is found. One-word keywords are a [`GlobSet`] each
/// word is looked up in; keywords of several words are matched one by one.
#[derive(Debug, Clone, Default)]
pub struct KeywordSet {
    words: GlobSet,
    /// Whether any one-word keyword was given.
    has_words: bool,
    others: Vec<Keyword>,
    /// The first words of `others`: a text none of whose words matches them needs no
    /// keyword-by-keyword look.
    first_words: GlobSet,
}

impl KeywordSet {
    pub fn new<S: AsRef<str>>(keywords: &[S]) -> Self {
        let mut set = Self::default();
        for k in keywords {
            match words(k.as_ref()).as_slice() {
                [word] => {
                    set.words.insert(word);
                    set.has_words = true;
                }
                _ => {
                    let keyword = Keyword::new(k.as_ref());
                    if let Some(first) = keyword.0.first() {
                        set.first_words.insert(&first.pattern);
                    }
                    set.others.push(keyword);
                }
            }
        }
        set
    }

    pub fn found_in<W: AsRef<str>>(&self, text_words: &[W]) -> bool {
        (self.has_words && text_words.iter().any(|w| self.words.matches(w.as_ref())))
            || self.others.iter().any(|k| k.found_in(text_words))
    }

    /// The same over a text's [`LowerWords`], which allocate nothing per word.
    pub fn found_in_words(&self, text: &LowerWords) -> bool {
        (self.has_words && text.byte_words().any(|w| self.words.matches_bytes(w)))
            || (!self.others.is_empty() && text.byte_words().any(|w| self.first_words.matches_bytes(w)) && {
                let joined = text.as_str();
                self.others.iter().any(|k| k.found_in_joined(joined))
            })
    }
}

/// The lower-case words of a text, as [`words`] splits them, joined by one space in one
/// buffer: kept inline when short (job titles, industries), so reading a field for
/// matching allocates nothing.
#[derive(Debug, Clone)]
pub struct LowerWords {
    inline: [u8; LowerWords::INLINE],
    len: usize,
    heap: Vec<u8>,
}

impl LowerWords {
    const INLINE: usize = 96;

    pub fn new(text: &str) -> Self {
        let mut out = Self { inline: [0; Self::INLINE], len: 0, heap: Vec::new() };
        if text.is_ascii() {
            // Most titles and industries: byte by byte, no character decoding.
            let mut in_word = false;
            for b in text.bytes() {
                if b.is_ascii_alphanumeric() || b == b'*' {
                    if !in_word && out.len + out.heap.len() > 0 {
                        out.push_byte(b' ');
                    }
                    out.push_byte(b.to_ascii_lowercase());
                    in_word = true;
                } else {
                    in_word = false;
                }
            }
            return out;
        }
        let mut buf = [0u8; 4];
        for (i, word) in
            text.split(|c: char| !(c.is_alphanumeric() || c == '*')).filter(|w| !w.is_empty()).enumerate()
        {
            if i > 0 {
                out.push(" ");
            }
            if word.contains('Σ') {
                // Final sigma: only the whole word's lower-casing knows it.
                out.push(&word.to_lowercase());
            } else {
                for c in word.chars().flat_map(char::to_lowercase) {
                    out.push(c.encode_utf8(&mut buf));
                }
            }
        }
        out
    }

    fn push_byte(&mut self, b: u8) {
        if self.heap.is_empty() && self.len < Self::INLINE {
            self.inline[self.len] = b;
            self.len += 1;
        } else {
            self.push_bytes(std::slice::from_ref(&b));
        }
    }

    fn push(&mut self, s: &str) {
        self.push_bytes(s.as_bytes());
    }

    /// Only ever whole characters, so the bytes stay UTF-8.
    fn push_bytes(&mut self, s: &[u8]) {
        if self.heap.is_empty() && self.len + s.len() <= Self::INLINE {
            self.inline[self.len..self.len + s.len()].copy_from_slice(s);
            self.len += s.len();
        } else {
            if self.heap.is_empty() {
                self.heap.reserve(self.len + s.len() * 2);
                self.heap.extend_from_slice(&self.inline[..self.len]);
            }
            self.heap.extend_from_slice(s);
        }
    }

    /// The words joined by one space.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.bytes()).expect("whole characters")
    }

    fn bytes(&self) -> &[u8] {
        if self.heap.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.heap
        }
    }

    /// The words' bytes, without checking them again for UTF-8.
    fn byte_words(&self) -> impl Iterator<Item = &[u8]> {
        let bytes = self.bytes();
        bytes.split(|&b| b == b' ').filter(move |_| !bytes.is_empty())
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let text = self.as_str();
        text.split(' ').filter(move |_| !text.is_empty())
    }

    /// The text from each word's start on, in words joined by one space.
    fn starts(text: &str) -> impl Iterator<Item = &str> {
        let at_word = text.match_indices(' ').map(|(i, _)| i + 1);
        std::iter::once(0).filter(move |_| !text.is_empty()).chain(at_word).map(move |i| &text[i..])
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

    /// Every short string over a small alphabet (with a two-byte letter and a dot).
    fn strings(alphabet: &[&str], max_len: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..max_len {
            last = last.iter().flat_map(|s| alphabet.iter().map(move |a| format!("{s}{a}"))).collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn a_glob_set_matches_exactly_what_its_globs_match() {
        let values = strings(&["a", "b", "ä", "."], 4);
        for pattern in strings(&["a", "ä", "*", "."], 4) {
            let set = GlobSet::new(&[pattern.as_str()]);
            let glob = Glob::new(&pattern);
            for v in &values {
                assert_eq!(set.matches(v), glob.matches(v), "pattern {pattern:?}, value {v:?}");
            }
        }
        // Several patterns of every kind in one set: any of them.
        let patterns = ["ab", "a*", "*.a", "*bä*", "a*b", "", "ä"];
        let set = GlobSet::new(&patterns);
        for v in &values {
            assert_eq!(set.matches(v), patterns.iter().any(|p| Glob::new(p).matches(v)), "value {v:?}");
        }
    }

    #[test]
    fn lower_words_are_the_words_of_a_text() {
        let long = "Sehr Langer Titel ".repeat(12);
        for text in ["", "  ", "Head of IT", "Geschäftsführerin / CEO", "ΟΔΟΣ Σ", "x*y, Z", long.as_str()]
        {
            let lower = LowerWords::new(text);
            assert_eq!(lower.iter().collect::<Vec<_>>(), words(text), "{text:?}");
            for keyword in
                [&["ceo", "*leiter*"][..], &["head of"], &["of it", "x"], &["titel sehr"], &["οδος"]]
            {
                let set = KeywordSet::new(keyword);
                assert_eq!(set.found_in_words(&lower), set.found_in(&words(text)), "{keyword:?} in {text:?}");
            }
        }
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
