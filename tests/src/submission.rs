//! Form submissions built to order.

use leadflow::intake::Submission;
use leadflow::lead::email_domain;
use leadflow::{Answer, Answers, Profile, Timestamp};

/// The instant store and scheduler tests start at (2026-05-28T20:26:40Z).
pub const T0: Timestamp = Timestamp::from_unix(1_780_000_000);

/// A [`Submission`] built to order.
///
/// [`SubmissionBuilder::new`] is a delivery from the `web` form, received at [`T0`]: the
/// email with its domain as the company domain, and nothing else (no delivery key, no
/// answers, no activity, no consent). The methods add what a test needs; answers are
/// given when the submission is received.
#[derive(Debug, Clone)]
#[must_use]
pub struct SubmissionBuilder(Submission);

impl SubmissionBuilder {
    pub fn new(email: &str) -> Self {
        Self(Submission {
            source: "web".into(),
            received_at: T0,
            delivery_key: None,
            profile: Profile {
                email: email.into(),
                company_domain: email_domain(email).into(),
                ..Profile::default()
            },
            answers: Answers::default(),
            activity: None,
            attributes: Default::default(),
            consent: None,
        })
    }

    /// Received at `at`.
    pub fn at(mut self, at: Timestamp) -> Self {
        self.0.received_at = at;
        self
    }

    /// The idempotency key or the form tool's delivery id (`None`: every delivery counts).
    pub fn delivery_key(mut self, key: impl Into<Option<String>>) -> Self {
        self.0.delivery_key = key.into();
        self
    }

    /// A buyer: the CEO of a German company of 250, buying within three months, deciding
    /// on the budget, asking for sales.
    pub fn buyer(self) -> Self {
        self.job_title("CEO")
            .company_size(250)
            .country("DE")
            .purchase_timeframe("within_3_months")
            .budget_role("decision_maker")
            .inquiry_type("sales")
    }

    pub fn first_name(mut self, name: &str) -> Self {
        self.0.profile.first_name = Some(name.into());
        self
    }

    pub fn last_name(mut self, name: &str) -> Self {
        self.0.profile.last_name = Some(name.into());
        self
    }

    pub fn job_title(mut self, title: &str) -> Self {
        self.0.profile.job_title = Some(title.into());
        self
    }

    pub fn company_size(mut self, size: u32) -> Self {
        self.0.profile.company_size = Some(size);
        self
    }

    pub fn industry(mut self, industry: &str) -> Self {
        self.0.profile.industry = Some(industry.into());
        self
    }

    pub fn country(mut self, country: &str) -> Self {
        self.0.profile.country = Some(country.into());
        self
    }

    pub fn purchase_timeframe(mut self, value: &str) -> Self {
        self.0.answers.purchase_timeframe = Some(answer(value));
        self
    }

    pub fn budget_role(mut self, value: &str) -> Self {
        self.0.answers.budget_role = Some(answer(value));
        self
    }

    pub fn inquiry_type(mut self, value: &str) -> Self {
        self.0.answers.inquiry_type = Some(answer(value));
        self
    }

    pub fn message(mut self, value: &str) -> Self {
        self.0.answers.message = Some(answer(value));
        self
    }

    /// What the person did: `demo_request`, `webinar`, ...
    pub fn activity(mut self, kind: &str) -> Self {
        self.0.activity = Some(kind.into());
        self
    }

    /// A tracking attribute such as `utm_campaign`.
    pub fn attribute(mut self, name: &str, value: &str) -> Self {
        self.0.attributes.insert(name.into(), value.into());
        self
    }

    pub fn build(self) -> Submission {
        let mut s = self.0;
        let at = s.received_at;
        let a = &mut s.answers;
        let answers = [&mut a.purchase_timeframe, &mut a.budget_role, &mut a.inquiry_type, &mut a.message];
        for answer in answers.into_iter().flatten() {
            answer.at = at;
        }
        s
    }
}

/// An answer; [`SubmissionBuilder::build`] dates it to the submission.
fn answer(value: &str) -> Answer {
    Answer { value: value.into(), at: T0 }
}
