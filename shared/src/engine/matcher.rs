//! Conditions compiled for fast matching, and the facts of a lead they look at.

use std::borrow::Cow;
use std::cell::OnceCell;

use crate::domain::clock::Timestamp;
use crate::domain::identity::ascii_domain;
use crate::domain::lead::{email_domain, Lead};
use crate::domain::lists::{DomainList, Membership};
use crate::domain::matching::{answer_key, FxHashMap, GlobSet, KeywordSet, LowerWords};
use crate::domain::reading::{BudgetRole, Intents, JobFunction, Seniority, Timeframe};
use crate::domain::sla::{AnswerField, Condition};

/// A condition compiled for fast matching.
#[derive(Debug)]
pub(crate) enum Matcher {
    JobTitle(KeywordSet),
    Message(KeywordSet),
    Company(KeywordSet),
    Industry(KeywordSet),
    Country(Vec<String>),
    CompanySize(Option<u32>, Option<u32>),
    EmailDomain(GlobSet),
    EmailLocal(GlobSet),
    Filled(Vec<String>),
    Answer(AnswerField, GlobSet, Option<i64>),
    /// Indexes into [`ActivityKinds`], and the window.
    Activity(Vec<usize>, Option<i64>),
    EmailList(Vec<DomainList>),
    Seniority(Vec<Seniority>),
    JobFunction(Vec<JobFunction>),
    BudgetRole(Vec<BudgetRole>),
    Timeframe(i64, i64, Option<i64>),
    NoPurchasePlan,
    Intent(Intents, Option<i64>),
    SpamSignals(bool),
    Any(Vec<Matcher>),
}

/// Whether a condition holds now, and until when.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Holds {
    No,
    Forever,
    /// Holds before this instant, not from it on.
    Until(Timestamp),
}

impl Holds {
    pub(crate) fn at(self, t: Timestamp) -> bool {
        match self {
            Holds::No => false,
            Holds::Forever => true,
            Holds::Until(end) => t < end,
        }
    }

    pub(crate) fn either(self, other: Holds) -> Holds {
        match (self, other) {
            (Holds::Forever, _) | (_, Holds::Forever) => Holds::Forever,
            (Holds::Until(a), Holds::Until(b)) => Holds::Until(a.max(b)),
            (Holds::No, h) | (h, Holds::No) => h,
        }
    }
}

/// The activity kinds an SLA's rules name, numbered: a lead's latest activities are looked
/// up once per scoring into a table by number, not once per rule by name.
#[derive(Debug, Default)]
pub(crate) struct ActivityKinds(FxHashMap<String, usize>);

impl ActivityKinds {
    fn number(&mut self, kind: &str) -> usize {
        let next = self.0.len();
        *self.0.entry(kind.to_owned()).or_insert(next)
    }

    /// When the lead last did each numbered kind.
    fn latest(&self, lead: &Lead) -> ActivityTimes {
        let mut times = ActivityTimes::new(self.0.len());
        for (kind, at) in &lead.last_activity {
            if let Some(&n) = self.0.get(kind) {
                times.set(n, *at);
            }
        }
        times
    }
}

/// When the lead last did each kind an SLA names (unix seconds, `i64::MIN` for never):
/// inline for the first kinds.
#[derive(Debug)]
struct ActivityTimes {
    inline: [i64; ActivityTimes::INLINE],
    more: Vec<i64>,
}

impl ActivityTimes {
    const INLINE: usize = 16;
    const NEVER: i64 = i64::MIN;

    fn new(kinds: usize) -> Self {
        Self {
            inline: [Self::NEVER; Self::INLINE],
            more: vec![Self::NEVER; kinds.saturating_sub(Self::INLINE)],
        }
    }

    fn set(&mut self, n: usize, at: Timestamp) {
        match n.checked_sub(Self::INLINE) {
            None => self.inline[n] = at.unix(),
            Some(m) => self.more[m] = at.unix(),
        }
    }

    fn get(&self, n: usize) -> Option<Timestamp> {
        let at = match n.checked_sub(Self::INLINE) {
            None => self.inline[n],
            Some(m) => self.more[m],
        };
        (at != Self::NEVER).then(|| Timestamp::from_unix(at))
    }
}

impl Matcher {
    pub(crate) fn compile(c: &Condition, kinds: &mut ActivityKinds) -> Matcher {
        let days = |d: &Option<u32>| d.map(|d| i64::from(d) * 86_400);
        match c {
            Condition::JobTitle(k) => Matcher::JobTitle(KeywordSet::new(k)),
            Condition::Message(k) => Matcher::Message(KeywordSet::new(k)),
            Condition::Company(k) => Matcher::Company(KeywordSet::new(k)),
            Condition::Industry(k) => Matcher::Industry(KeywordSet::new(k)),
            Condition::Country(c) => Matcher::Country(c.iter().map(|c| c.trim().to_uppercase()).collect()),
            Condition::CompanySize { min, max } => Matcher::CompanySize(*min, *max),
            Condition::EmailDomain(p) => Matcher::EmailDomain(GlobSet::new(p)),
            Condition::EmailLocal(p) => Matcher::EmailLocal(GlobSet::new(p)),
            Condition::Filled(f) => Matcher::Filled(f.clone()),
            Condition::Answer { field, values, within_days } => {
                let keys: Vec<String> =
                    values.iter().map(|v| answer_key(v).replace("_*", "*").replace("*_", "*")).collect();
                Matcher::Answer(*field, GlobSet::new(&keys), days(within_days))
            }
            Condition::Activity { kinds: named, within_days } => {
                Matcher::Activity(named.iter().map(|k| kinds.number(k)).collect(), days(within_days))
            }
            Condition::EmailList(l) => Matcher::EmailList(l.clone()),
            Condition::Seniority(s) => Matcher::Seniority(s.clone()),
            Condition::JobFunction(f) => Matcher::JobFunction(f.clone()),
            Condition::BudgetRole(b) => Matcher::BudgetRole(b.clone()),
            Condition::Timeframe { min_days, max_days, within_days } => Matcher::Timeframe(
                i64::from(min_days.unwrap_or(0)) * 86_400,
                i64::from(*max_days) * 86_400,
                days(within_days),
            ),
            Condition::NoPurchasePlan {} => Matcher::NoPurchasePlan,
            Condition::Intent { any, within_days } => {
                Matcher::Intent(any.iter().copied().collect(), days(within_days))
            }
            Condition::SpamSignals(on) => Matcher::SpamSignals(*on),
            Condition::Any(inner) => Matcher::Any(inner.iter().map(|c| Matcher::compile(c, kinds)).collect()),
        }
    }

    pub(crate) fn holds(&self, lead: &Facts, now: Timestamp) -> Holds {
        let flag = |b: bool| if b { Holds::Forever } else { Holds::No };
        let window = |at: Timestamp, w: Option<i64>| match w {
            None => Holds::Forever,
            Some(w) => {
                let end = at.plus_seconds(w + 1);
                if now < end {
                    Holds::Until(end)
                } else {
                    Holds::No
                }
            }
        };
        let facts = &lead.lead.facts;
        match self {
            Matcher::JobTitle(k) => flag(k.found_in_words(lead.job_title())),
            Matcher::Message(k) => flag(k.found_in_words(lead.message())),
            Matcher::Company(k) => flag(k.found_in_words(lead.company())),
            Matcher::Industry(k) => flag(k.found_in_words(lead.industry())),
            Matcher::Country(codes) => flag(lead.country.is_some_and(|c| codes.iter().any(|x| x == c))),
            Matcher::CompanySize(min, max) => flag(
                lead.company_size.is_some_and(|s| min.is_none_or(|m| s >= m) && max.is_none_or(|m| s <= m)),
            ),
            Matcher::EmailDomain(g) => flag(g.matches(&lead.domain)),
            Matcher::EmailLocal(g) => flag(g.matches(lead.local)),
            Matcher::Filled(fields) => {
                flag(fields.iter().any(|f| lead.lead.attributes.get(f).is_some_and(|v| !v.trim().is_empty())))
            }
            Matcher::Answer(field, values, w) => match lead.answer(*field) {
                Some((key, at)) if values.matches(key) => window(at, *w),
                _ => Holds::No,
            },
            Matcher::Activity(kinds, w) => {
                let latest = kinds.iter().filter_map(|&k| lead.activity_at.get(k)).max();
                match latest {
                    Some(at) => window(at, *w),
                    None => Holds::No,
                }
            }
            Matcher::EmailList(lists) => flag(lists.iter().any(|l| lead.membership().on(*l))),
            Matcher::Seniority(s) => flag(facts.seniority.is_some_and(|x| s.contains(&x))),
            Matcher::JobFunction(f) => flag(facts.function.is_some_and(|x| f.contains(&x))),
            Matcher::BudgetRole(b) => flag(facts.budget_role.is_some_and(|x| b.contains(&x))),
            Matcher::Timeframe(min, max, w) => match (facts.timeframe, lead.timeframe_said_at()) {
                (Some(Timeframe::By { at }), Some(said)) if (*min..=*max).contains(&(at - said.unix())) => {
                    window(said, *w)
                }
                _ => Holds::No,
            },
            Matcher::NoPurchasePlan => flag(facts.timeframe == Some(Timeframe::NoPlan)),
            Matcher::Intent(any, w) => match lead.lead.answers.message.as_ref().map(|m| m.at) {
                Some(at) if facts.intents.intersects(*any) => window(at, *w),
                _ => Holds::No,
            },
            Matcher::SpamSignals(on) => flag(facts.spam_signals == *on),
            Matcher::Any(inner) => {
                let mut any = Holds::No;
                for m in inner {
                    any = any.either(m.holds(lead, now));
                    // Nothing holds longer than for ever.
                    if any == Holds::Forever {
                        break;
                    }
                }
                any
            }
        }
    }
}

/// What the matchers look at, prepared once per scoring; the words of a text and the
/// key of an answer only when a matcher asks for them (many SLAs never look at the
/// company name or the message's words).
pub(crate) struct Facts<'a> {
    lead: &'a Lead,
    job_title: OnceCell<LowerWords>,
    message: OnceCell<LowerWords>,
    company: OnceCell<LowerWords>,
    industry: OnceCell<LowerWords>,
    answer_keys: [OnceCell<Option<String>>; 3],
    activity_at: ActivityTimes,
    /// The lists the email's domain is on, looked up once for every list rule.
    membership: OnceCell<Membership>,
    country: Option<&'a str>,
    company_size: Option<u32>,
    /// The email's domain in its IDNA ASCII form, as domain lists and SLA patterns spell it.
    domain: Cow<'a, str>,
    local: &'a str,
}

impl Facts<'_> {
    /// When the timeframe in the facts was said: its answer's time.
    fn timeframe_said_at(&self) -> Option<Timestamp> {
        let a = &self.lead.answers;
        let answer = if self.lead.facts.timeframe_in_message { &a.message } else { &a.purchase_timeframe };
        answer.as_ref().map(|a| a.at)
    }

    fn words<'s>(cell: &'s OnceCell<LowerWords>, text: Option<&str>) -> &'s LowerWords {
        cell.get_or_init(|| LowerWords::new(text.unwrap_or_default()))
    }

    fn job_title(&self) -> &LowerWords {
        Self::words(&self.job_title, self.lead.profile.job_title.as_deref())
    }

    fn message(&self) -> &LowerWords {
        Self::words(&self.message, self.lead.answers.message.as_ref().map(|m| m.value.as_str()))
    }

    fn company(&self) -> &LowerWords {
        Self::words(&self.company, self.lead.profile.company.as_deref())
    }

    fn industry(&self) -> &LowerWords {
        Self::words(&self.industry, self.lead.profile.industry.as_deref())
    }

    fn membership(&self) -> Membership {
        *self.membership.get_or_init(|| Membership::of(&self.domain))
    }

    /// An answer's comparable key ([`answer_key`]) and when it was given.
    fn answer(&self, field: AnswerField) -> Option<(&str, Timestamp)> {
        let answers = &self.lead.answers;
        let (answer, cell) = match field {
            AnswerField::PurchaseTimeframe => (&answers.purchase_timeframe, &self.answer_keys[0]),
            AnswerField::BudgetRole => (&answers.budget_role, &self.answer_keys[1]),
            AnswerField::InquiryType => (&answers.inquiry_type, &self.answer_keys[2]),
        };
        let answer = answer.as_ref()?;
        let key = cell.get_or_init(|| Some(answer_key(&answer.value))).as_deref()?;
        Some((key, answer.at))
    }
}

impl<'a> Facts<'a> {
    pub(crate) fn of(lead: &'a Lead, kinds: &ActivityKinds) -> Self {
        let p = &lead.profile;
        Self {
            lead,
            job_title: OnceCell::new(),
            message: OnceCell::new(),
            company: OnceCell::new(),
            industry: OnceCell::new(),
            answer_keys: Default::default(),
            membership: OnceCell::new(),
            activity_at: kinds.latest(lead),
            country: p.country.as_deref(),
            company_size: p.company_size,
            domain: {
                let shown = email_domain(&p.email);
                ascii_domain(shown).unwrap_or(Cow::Borrowed(shown))
            },
            local: p.email.rsplit_once('@').map_or("", |(l, _)| l),
        }
    }
}
