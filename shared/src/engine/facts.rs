//! Reading a lead's text into facts, once, with the SLA's vocabulary.

use super::scoring::Scorer;
use crate::domain::lead::Lead;
use crate::domain::reading::{Facts, Timeframe};

impl Scorer {
    /// Reads the lead's job title, answers and latest message into [`Facts`].
    pub fn read_facts(&self, lead: &mut Lead) {
        let reader = self.reader();
        let title = lead.profile.job_title.as_deref().map(|t| reader.title(t)).unwrap_or_default();
        let answers = &lead.answers;
        let budget_role = answers.budget_role.as_ref().and_then(|a| reader.budget_role(&a.value));
        let message = answers.message.as_ref();
        // The timeframe answer speaks first; a message may name one when the form asks none.
        let from_answer = answers
            .purchase_timeframe
            .as_ref()
            .and_then(|a| reader.timeframe(&a.value, a.at.unix()).map(|t| (t, a.at)));
        let from_message =
            || message.and_then(|m| reader.timeframe(&m.value, m.at.unix()).map(|t| (t, m.at)));
        let timeframe = match from_answer {
            Some((Timeframe::NoPlan, _)) | None => from_message().or(from_answer),
            some => some,
        };
        lead.facts = Facts {
            vocabulary: self.sla().vocabulary.version.clone(),
            seniority: title.seniority,
            function: title.function,
            budget_role,
            timeframe: timeframe.map(|(t, _)| t),
            timeframe_said_at: timeframe.map(|(_, at)| at),
            intents: message.map(|m| reader.intents(&m.value)).unwrap_or_default(),
            message_at: message.map(|m| m.at),
            spam_signals: message
                .is_some_and(|m| reader.spam_signals(&m.value).looks_like_spam(reader.spam_thresholds())),
        };
    }

    /// Whether the lead's facts were read with another vocabulary than the SLA's.
    pub fn facts_stale(&self, lead: &Lead) -> bool {
        lead.facts.vocabulary != self.sla().vocabulary.version
    }
}
