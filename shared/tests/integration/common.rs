//! A persona builder for scoring tests: a lead as intake would build it.

use leadflow::lead::{normalise_country, normalise_email, normalise_text, Answer, Answers};
use leadflow::{Activity, IdKey, Lead, Profile, Scorer, Timestamp};

pub const T0: Timestamp = Timestamp::from_unix(1_780_000_000);

pub fn key() -> IdKey {
    IdKey::new("test-key-0123456789abcdef").unwrap()
}

#[derive(Default, Clone)]
pub struct Persona {
    pub email: &'static str,
    pub first_name: Option<&'static str>,
    pub last_name: Option<&'static str>,
    pub job_title: Option<&'static str>,
    pub company: Option<&'static str>,
    pub company_size: Option<u32>,
    pub industry: Option<&'static str>,
    pub country: Option<&'static str>,
    pub timeframe: Option<&'static str>,
    pub budget_role: Option<&'static str>,
    pub inquiry_type: Option<&'static str>,
    pub message: Option<&'static str>,
    /// Days before T0 at which the answers were given.
    pub answered_days_ago: i64,
    /// (kind, days before T0)
    pub activities: Vec<(&'static str, i64)>,
    pub attributes: Vec<(&'static str, &'static str)>,
}

impl Persona {
    pub fn lead(&self, scorer: &Scorer) -> Lead {
        let email = normalise_email(self.email).expect("persona email is valid");
        let text = |t: Option<&str>| t.and_then(normalise_text);
        let profile = Profile {
            company_domain: leadflow::lead::email_domain(&email).to_owned(),
            email: email.clone(),
            first_name: text(self.first_name),
            last_name: text(self.last_name),
            company: text(self.company),
            job_title: text(self.job_title),
            company_size: self.company_size,
            industry: text(self.industry),
            country: self.country.and_then(normalise_country),
            phone: None,
            unparsed: Default::default(),
        };
        let answered = T0.plus_days(-self.answered_days_ago);
        let mut lead = Lead::new(key().lead_id(&email), "web", profile, answered);
        let answer = |v: Option<&str>| v.map(|v| Answer { value: v.to_owned(), at: answered });
        lead.merge_answers(Answers {
            purchase_timeframe: answer(self.timeframe),
            budget_role: answer(self.budget_role),
            inquiry_type: answer(self.inquiry_type),
            message: answer(self.message),
        });
        lead.merge_attributes(self.attributes.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        // As intake does: the text is read into facts once.
        scorer.read_facts(&mut lead);
        for (kind, days_ago) in &self.activities {
            scorer.record_activity(
                &mut lead,
                Activity { kind: kind.to_string(), at: T0.plus_days(-days_ago), source: "web".into() },
            );
        }
        lead
    }
}
