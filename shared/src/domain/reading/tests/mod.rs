//! Table-driven tests of the readers over the default vocabulary (`vocabulary.json`).

mod budget;
mod intent;
mod timeframe;
mod title;
mod vocabulary;

use std::fmt::Debug;
use std::sync::OnceLock;

use super::{Reader, Vocabulary};

/// The reader over the default vocabulary, compiled once for all tests.
fn reader() -> &'static Reader {
    static READER: OnceLock<Reader> = OnceLock::new();
    READER.get_or_init(|| Reader::new(&Vocabulary::default_data()))
}

/// Runs every case and reports all mismatches at once.
fn check<I: Debug + Copy, T: PartialEq + Debug>(cases: &[(I, T)], read: impl Fn(I) -> T) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(input, want)| {
            let got = read(*input);
            (got != *want).then(|| format!("{input:?}: want {want:?}, got {got:?}"))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn odd_input_never_panics() {
    let odd = [
        "",
        " ",
        "*",
        "**in",
        "Leiter*",
        "Q",
        "KW",
        "H",
        "31.",
        "31.12",
        "-",
        "+",
        "1.",
        "1,",
        ".5",
        "99999999999999",
        "9999999999 Jahre",
        "4294967295 months",
        "Q9 2027",
        "H3",
        "KW 60",
        "32.13.2027",
        "0.0.0",
        "2027-13-45",
        "00/00/0000",
        "ⅫⅫ",
        "a\u{308}",
        "🙂🙂🙂",
        "!!!!!!!!",
        "www.",
        "@",
        "a@b",
        "http://",
        "ß",
        "İstanbul",
        "ﬁnance",
        "Ｑ１ ２０２７",
        "1. 2. 3. 4.",
        "bis bis bis",
        "Ende Ende Ende",
        "in in in 3",
        "the the of of",
        "1-2-3-4-5 Monate",
        "zwischen und",
    ];
    let r = reader();
    for text in odd {
        for at in [0, -1, i64::MIN, i64::MAX, 1_800_000_000, 253_402_300_799] {
            let _ = r.timeframe(text, at);
        }
        let _ = (r.title(text), r.budget_role(text), r.intents(text), r.spam_signals(text));
    }
    let long =
        "Wir benötigen ein Angebot für 50 Lizenzen bis Ende Q2 2027, bitte rufen Sie mich an. ".repeat(400);
    let started = std::time::Instant::now();
    assert!(r.intents(&long).contains(super::Intent::Quote));
    assert!(r.timeframe(&long, 1_800_000_000).is_some());
    println!("long message ({} bytes) read in {:?}", long.len(), started.elapsed());
}
