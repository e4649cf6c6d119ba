//! The SLA document: committed schema, default SLA, and errors that name the field.

use leadflow::sla::{Sla, DEFAULT_SLA_JSON, SLA_SCHEMA_JSON};
use serde_json::Value;

/// The crate's folder in this checkout (read at run time: build caches are shared).
fn leadflow_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("run with cargo test"))
}

#[test]
fn committed_schema_matches_the_types() {
    let generated = serde_json::to_string_pretty(&Sla::json_schema()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(leadflow_dir().join("sla/sla.schema.json"), &generated).unwrap();
        return;
    }
    assert!(
        generated == SLA_SCHEMA_JSON,
        "shared/sla/sla.schema.json is out of date: run `UPDATE_SCHEMA=1 cargo test -p leadflow --test integration sla_schema` and commit it"
    );
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(SLA_SCHEMA_JSON).unwrap();
    jsonschema::validator_for(&schema).expect("the committed schema is a valid JSON Schema")
}

#[test]
fn schema_accepts_the_default_sla() {
    let doc: Value = serde_json::from_str(DEFAULT_SLA_JSON).unwrap();
    let errors: Vec<String> =
        validator().iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(Sla::from_json(DEFAULT_SLA_JSON).is_ok());
}

/// Breaks the default SLA at one place and checks both the schema and the loader name it.
fn broken(edit: impl FnOnce(&mut Value)) -> (Vec<String>, String) {
    let mut doc: Value = serde_json::from_str(DEFAULT_SLA_JSON).unwrap();
    edit(&mut doc);
    let schema_paths = validator().iter_errors(&doc).map(|e| e.instance_path().to_string()).collect();
    let loader = Sla::from_json(&doc.to_string()).expect_err("broken SLA must be rejected").to_string();
    (schema_paths, loader)
}

#[test]
fn schema_and_loader_reject_a_wrong_type_naming_the_field() {
    let (schema, loader) = broken(|d| d["mql"]["min_need"] = Value::from("fifteen"));
    assert!(schema.iter().any(|p| p == "/mql/min_need"), "{schema:?}");
    assert!(loader.contains("mql.min_need"), "{loader}");
}

#[test]
fn schema_and_loader_reject_unknown_fields_and_conditions() {
    let (schema, loader) = broken(|d| d["need"][1]["when"] = serde_json::json!({ "horoscope": ["leo"] }));
    assert!(schema.iter().any(|p| p.starts_with("/need/1/when")), "{schema:?}");
    assert!(loader.contains("need[1].when"), "{loader}");

    let (schema, loader) = broken(|d| d["mql"]["min_totl"] = Value::from(1));
    assert!(schema.iter().any(|p| p == "/mql"), "{schema:?}");
    assert!(loader.contains("min_totl"), "{loader}");
}

#[test]
fn loader_rejects_what_the_schema_cannot_express() {
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        (Box::new(|d| d["need"][1]["id"] = d["need"][0]["id"].clone()), "need[1].id"),
        (Box::new(|d| d["grades"]["b"] = Value::from(99)), "grades"),
        (Box::new(|d| d["engagement"]["half_life_days"] = Value::from(0)), "engagement.half_life_days"),
        (Box::new(|d| d["mql"]["below_threshold_stage"] = Value::from("sal")), "mql.below_threshold_stage"),
        (Box::new(|d| d["readiness"][4]["points"] = Value::from(-5)), "readiness[4].points"),
        (Box::new(|d| d["fit"][0]["when"]["job_title"] = serde_json::json!([])), "fit[0].when.job_title"),
        (
            Box::new(|d| d["fit"][3]["when"]["company_size"] = serde_json::json!({ "min": 10, "max": 5 })),
            "fit[3].when.company_size",
        ),
        (
            Box::new(|d| {
                d["stages"].as_object_mut().unwrap().remove("sal");
            }),
            "stages",
        ),
        (
            Box::new(|d| d["engagement"]["activities"]["webinar"] = Value::from(-1)),
            "engagement.activities.webinar",
        ),
    ];
    for (edit, path) in cases {
        let mut doc: Value = serde_json::from_str(DEFAULT_SLA_JSON).unwrap();
        edit(&mut doc);
        let err = Sla::from_json(&doc.to_string()).expect_err(path);
        assert_eq!(err.path, path, "{err}");
    }
    let err = Sla::from_json("{ not json").unwrap_err();
    assert!(err.to_string().contains("invalid SLA"), "{err}");
}

#[test]
fn display_names_in_german_and_english() {
    let sla = Sla::default_sla();
    let mql = &sla.stages[&leadflow::Stage::Mql];
    assert!(mql.de.contains("MQL") && mql.en.contains("MQL"));
}
