use serde_json::json;

use super::reader;
use crate::domain::reading::{
    BudgetRole, Intent, Intents, JobFunction, Seniority, Timeframe, TitleFacts, Vocabulary,
};

#[test]
fn default_vocabulary_is_complete_and_round_trips() {
    let v = Vocabulary::default_data();
    for intent in Intent::ALL {
        assert!(v.intents.contains_key(&intent), "no phrases for {intent:?}");
    }
    assert_eq!(v.title.seniority.len(), 6);
    assert_eq!(v.title.function.len(), 10);
    assert_eq!(v.timeframe.months.len(), 12);
    let again: Vocabulary = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
    assert_eq!(again, v);
}

#[test]
fn unknown_fields_are_refused() {
    let mut top: serde_json::Value = serde_json::from_str(Vocabulary::DEFAULT_JSON).unwrap();
    top["colour"] = json!("blue");
    assert!(serde_json::from_value::<Vocabulary>(top).unwrap_err().to_string().contains("unknown field"));
    let mut nested: serde_json::Value = serde_json::from_str(Vocabulary::DEFAULT_JSON).unwrap();
    nested["title"]["modifiers"]["depty"] = json!(["vice"]);
    assert!(serde_json::from_value::<Vocabulary>(nested).is_err());
    let mut intent: serde_json::Value = serde_json::from_str(Vocabulary::DEFAULT_JSON).unwrap();
    intent["intents"]["quote"]["phrase"] = json!(["angebot"]);
    assert!(serde_json::from_value::<Vocabulary>(intent).is_err());
}

#[test]
fn schema_is_strict() {
    let schema = serde_json::to_value(schemars::schema_for!(Vocabulary)).unwrap();
    assert_eq!(schema["additionalProperties"], json!(false));
    assert!(schema.to_string().contains("c_level"));
}

#[test]
fn facts_serialise_as_documented() {
    assert_eq!(
        serde_json::to_value(Timeframe::By { at: 1_800_000_000 }).unwrap(),
        json!({"kind": "by", "at": 1_800_000_000})
    );
    assert_eq!(serde_json::to_value(Timeframe::NoPlan).unwrap(), json!({"kind": "no_plan"}));
    let intents: Intents = [Intent::Quote, Intent::NoBudget, Intent::Demo].into_iter().collect();
    assert_eq!(serde_json::to_value(intents).unwrap(), json!(["demo", "no_budget", "quote"]));
    assert_eq!(serde_json::from_value::<Intents>(json!(["quote", "demo", "no_budget"])).unwrap(), intents);
    assert!(serde_json::from_value::<Intents>(json!(["qoute"])).is_err());
    let facts = TitleFacts { seniority: Some(Seniority::CLevel), function: Some(JobFunction::Hr) };
    assert_eq!(serde_json::to_value(facts).unwrap(), json!({"seniority": "c_level", "function": "hr"}));
    assert_eq!(serde_json::to_value(BudgetRole::None).unwrap(), json!("none"));
    assert_eq!(
        reader().title("CEO"),
        TitleFacts { seniority: Some(Seniority::CLevel), function: Some(JobFunction::Management) }
    );
}

#[test]
fn a_changed_vocabulary_changes_the_reading() {
    let mut v = Vocabulary::default_data();
    v.intents.get_mut(&Intent::Demo).unwrap().phrases.push("webinar".into());
    v.timeframe.asap_days = 7;
    let r = crate::domain::reading::Reader::new(&v);
    assert!(r.intents("Webinar bitte").contains(Intent::Demo));
    assert_eq!(r.timeframe("ASAP", 0), Some(Timeframe::By { at: 7 * 86_400 }));
    assert!(!reader().intents("Webinar bitte").contains(Intent::Demo));
}
