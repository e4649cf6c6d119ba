//! Reading a lead's text into facts, once, with the SLA's vocabulary.

use super::scoring::Scorer;
use crate::domain::lead::Lead;
use crate::domain::reading::{Facts, Reader, Seniority, Timeframe, TitleFacts};

impl Scorer {
    /// Reads the lead's job title, answers and latest message into [`Facts`].
    pub fn read_facts(&self, lead: &mut Lead) {
        let reader = self.reader();
        let answers = &lead.answers;
        let message = answers.message.as_ref();
        let title = match lead.profile.job_title.as_deref() {
            Some(t) => reader.title(t),
            // No title field: an e-mail signature in the message often names it.
            None => message.map(|m| signature_title(reader, &m.value)).unwrap_or_default(),
        };
        let budget_role = answers.budget_role.as_ref().and_then(|a| reader.budget_role(&a.value));
        // The latest word counts: a newer message ("postponed to 2028") overrides an older
        // answer; otherwise the answer speaks first, and a message may name a timeframe
        // when the form asks none.
        let from_answer = answers
            .purchase_timeframe
            .as_ref()
            .and_then(|a| reader.timeframe(&a.value, a.at.unix()).map(|t| (t, a.at)));
        let from_message = message.and_then(|m| reader.timeframe(&m.value, m.at.unix()).map(|t| (t, m.at)));
        let timeframe = match (from_answer, from_message) {
            (Some((_, said)), Some((t, at))) if at > said => Some((t, at)),
            (Some((Timeframe::NoPlan, _)) | None, Some(m)) => Some(m),
            (answer, _) => answer,
        };
        lead.facts = Facts {
            vocabulary: self.sla().vocabulary.version.clone(),
            seniority: title.seniority,
            function: title.function,
            budget_role,
            timeframe: timeframe.map(|(t, _)| t),
            timeframe_in_message: timeframe.is_some_and(|(_, at)| Some(at) != from_answer.map(|(_, a)| a)),
            intents: message.map(|m| reader.intents(&m.value)).unwrap_or_default(),
            spam_signals: message
                .is_some_and(|m| reader.spam_signals(&m.value).looks_like_spam(reader.spam_thresholds())),
        };
    }

    /// Whether the lead's facts were read with another vocabulary than the SLA's.
    pub fn facts_stale(&self, lead: &Lead) -> bool {
        lead.facts.vocabulary != self.sla().vocabulary.version
    }
}

/// The most senior title on a short line of the message (a signature's "Leitung Vertrieb",
/// "Chief Commercial Officer"); assistants, trainees and individual contributors are not
/// taken from a signature.
fn signature_title(reader: &Reader, message: &str) -> TitleFacts {
    let rank = |s: Seniority| match s {
        Seniority::CLevel => 3,
        Seniority::Head => 2,
        Seniority::Manager => 1,
        _ => 0,
    };
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && l.split_whitespace().count() <= 6)
        .map(|l| reader.title(l))
        .filter(|t| t.seniority.is_some_and(|s| rank(s) > 0))
        .max_by_key(|t| t.seniority.map_or(0, rank))
        .unwrap_or_default()
}
