//! The judgement, measured: a labelled corpus of realistic submissions (German and
//! English, every intake encoding, returning leads), written from the article's logic
//! independently of the rules, goes through the real intake path (body decoding,
//! normalisation, reading, scoring) and lands in a stage. Precision and recall per
//! outcome must stay above the floors; no non-buyer may ever become an MQL.
//!
//! `cargo test -p leadflow --test integration corpus -- --nocapture` prints the
//! confusion matrix and every miss with its explanation.

use std::collections::BTreeMap;

use leadflow::forms::{parse, submission};
use leadflow::intake::{apply_submission, RetryPolicy};
use leadflow::requalify::run_due;
use leadflow::store::{InMemoryStore, LeadStore};
use leadflow::{IdKey, Lead, Scorer, Sla, Stage, Timestamp};
use serde::Deserialize;
use serde_json::{json, Map, Value};

const CORPUS: &str = include_str!("../data/corpus.jsonl");
const HOLDOUT: &str = include_str!("../data/holdout.jsonl");
/// The second set's floor: the same as the corpus's since its misses were fixed.
const HOLDOUT_FLOOR: f64 = 0.95;
/// The instant the corpus was written for ("Q1 2027" is a few months ahead).
const AT: &str = "2026-11-20T10:00:00Z";

#[derive(Debug, Deserialize)]
struct Case {
    id: String,
    encoding: String,
    fields: BTreeMap<String, String>,
    #[serde(default)]
    previous: Vec<Earlier>,
    expected: String,
    reason: Option<String>,
    why: String,
}

#[derive(Debug, Deserialize)]
struct Earlier {
    days_before: i64,
    fields: BTreeMap<String, String>,
}

/// The body a form tool would post, and its media type.
fn body(encoding: &str, fields: &BTreeMap<String, String>, delivery: &str) -> (&'static str, Vec<u8>) {
    let flat: Map<String, Value> = fields.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    match encoding {
        "json" => ("application/json", Value::Object(flat).to_string().into_bytes()),
        "form" => {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (k, v) in fields {
                form.append_pair(k, v);
            }
            ("application/x-www-form-urlencoded", form.finish().into_bytes())
        }
        "typeform" => {
            let answers: Vec<Value> = fields
                .iter()
                .map(|(k, v)| json!({ "type": "text", "text": v, "field": { "id": k, "ref": k, "type": "short_text" } }))
                .collect();
            let doc = json!({ "event_id": delivery, "event_type": "form_response", "form_response": { "answers": answers } });
            ("application/json", doc.to_string().into_bytes())
        }
        "webflow" => {
            let doc = json!({ "triggerType": "form_submission", "payload": { "id": delivery, "name": "Kontakt", "data": flat } });
            ("application/json", doc.to_string().into_bytes())
        }
        other => panic!("unknown encoding {other}"),
    }
}

async fn judge(store: &InMemoryStore, scorer: &Scorer, key: &IdKey, case: &Case) -> Lead {
    let at = Timestamp::parse_rfc3339(AT).unwrap();
    let mut deliveries: Vec<(Timestamp, &BTreeMap<String, String>)> =
        case.previous.iter().map(|e| (at.plus_days(-e.days_before), &e.fields)).collect();
    deliveries.sort_by_key(|(t, _)| *t);
    deliveries.push((at, &case.fields));
    let mut lead = None;
    let mut clock = deliveries[0].0;
    for (n, (t, fields)) in deliveries.into_iter().enumerate() {
        let delivery = format!("{}-{n}", case.id);
        let (media, bytes) = body(&case.encoding, fields, &delivery);
        let parsed = parse(media, &bytes).unwrap_or_else(|e| panic!("{}: the body is refused: {e}", case.id));
        let s =
            submission("web", parsed, None, None, t).unwrap_or_else(|e| panic!("{}: refused: {e}", case.id));
        // The schedule runs between deliveries (daily here), as it does in production.
        while clock < t {
            run_due(store, scorer, clock).await.unwrap();
            clock = clock.plus_days(1);
        }
        run_due(store, scorer, t).await.unwrap();
        let applied = apply_submission(store, scorer, key, &s, RetryPolicy::default()).await.unwrap();
        lead = Some(applied.lead);
    }
    let lead = lead.unwrap();
    assert_eq!(store.get(&lead.id).await.unwrap().as_ref(), Some(&lead));
    lead
}

/// "mql", "unqualified" or "disqualified:<reason>". A lead back with marketing
/// (nurture) is not a lead for sales either: the corpus calls both "unqualified".
fn outcome(lead: &Lead) -> String {
    match lead.stage {
        Stage::Nurture => "unqualified".into(),
        Stage::Disqualified => {
            let reason = lead.history.last().map(|t| t.reason.as_str().to_owned()).unwrap_or_default();
            format!("disqualified:{reason}")
        }
        stage => stage.id().to_owned(),
    }
}

/// How the default SLA judged a labelled set: the printed report and the rates.
struct Verdict {
    report: String,
    mql: (f64, f64),
    disqualified_recall: f64,
    right_reason: f64,
    non_buyer_mqls: u32,
}

async fn evaluate(corpus: &str) -> Verdict {
    let cases: Vec<Case> = corpus
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("corpus line {l}: {e}")))
        .collect();
    let scorer = Scorer::new(Sla::default_sla());
    let key = IdKey::new("corpus-key-0123456789").unwrap();
    let store = InMemoryStore::new();
    let mut confusion: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut misses = Vec::new();
    for case in &cases {
        let lead = judge(&store, &scorer, &key, case).await;
        let expected = match (&case.expected[..], &case.reason) {
            ("disqualified", Some(r)) => format!("disqualified:{r}"),
            (e, _) => e.to_owned(),
        };
        let got = outcome(&lead);
        if got != expected {
            let explanation: Vec<String> = lead
                .score
                .iter()
                .flat_map(|s| s.explanation.iter().map(|c| format!("{}={}", c.rule, c.points)))
                .collect();
            misses.push(format!(
                "{} expected {expected}, got {got} ({}): {}",
                case.id,
                case.why,
                explanation.join(" ")
            ));
        }
        *confusion.entry((expected, got)).or_default() += 1;
    }
    // Per outcome class: mql, unqualified, disqualified (any reason).
    let class = |o: &str| o.split(':').next().unwrap().to_owned();
    let count = |f: &dyn Fn(&str, &str) -> bool| -> u32 {
        confusion.iter().filter(|((e, g), _)| f(e, g)).map(|(_, n)| n).sum()
    };
    let mut report = String::from("\nexpected -> got: count\n");
    for ((e, g), n) in &confusion {
        report.push_str(&format!("  {e:<24} -> {g:<24} {n}\n"));
    }
    let mut rates = BTreeMap::new();
    for c in ["mql", "unqualified", "disqualified"] {
        let tp = count(&|e, g| class(e) == c && class(g) == c) as f64;
        let actual = count(&|e, _| class(e) == c) as f64;
        let predicted = count(&|_, g| class(g) == c) as f64;
        let (recall, precision) = (tp / actual.max(1.0), tp / predicted.max(1.0));
        report.push_str(&format!(
            "{c:<13} precision {:>5.1} %  recall {:>5.1} %\n",
            precision * 100.0,
            recall * 100.0
        ));
        rates.insert(c, (precision, recall));
    }
    let disq_right = count(&|e, g| e.starts_with("disqualified") && e == g) as f64;
    let disq_caught = count(&|e, g| e.starts_with("disqualified") && g.starts_with("disqualified")) as f64;
    let right_reason = disq_right / disq_caught.max(1.0);
    report.push_str(&format!("disqualified with the right reason: {:.1} %\n", right_reason * 100.0));
    let exact = count(&|e, g| e == g) as f64 / cases.len() as f64;
    report.push_str(&format!("exactly right: {:.1} % of {}\n", exact * 100.0, cases.len()));
    println!("{report}");
    for m in &misses {
        println!("  {m}");
    }
    let non_buyer_mqls = count(&|e, g| e.starts_with("disqualified") && g == "mql");
    Verdict {
        report,
        mql: rates["mql"],
        disqualified_recall: rates["disqualified"].1,
        right_reason,
        non_buyer_mqls,
    }
}

#[tokio::test]
async fn the_default_sla_judges_the_corpus_like_the_article() {
    assert!(CORPUS.lines().count() >= 200, "the corpus holds {} cases", CORPUS.lines().count());
    let v = evaluate(CORPUS).await;
    let report = &v.report;
    assert_eq!(v.non_buyer_mqls, 0, "a non-buyer became an MQL{report}");
    assert!(v.mql.1 >= 0.95, "MQL recall below 95 %{report}");
    assert!(v.mql.0 >= 0.95, "MQL precision below 95 %{report}");
    assert!(v.disqualified_recall >= 0.90, "disqualification recall below 90 %{report}");
    assert!(v.right_reason >= 0.90, "disqualifications with the right reason below 90 %{report}");
}

/// A second set, written later by another author who saw neither the rules nor the
/// corpus. Its first, blind run measured how the judgement generalises (README); the
/// general gaps it showed were then fixed, so it is a floor now too.
#[tokio::test]
async fn the_default_sla_judges_the_held_out_set() {
    let v = evaluate(HOLDOUT).await;
    let report = &v.report;
    assert_eq!(v.non_buyer_mqls, 0, "a non-buyer became an MQL{report}");
    assert!(v.mql.1 >= HOLDOUT_FLOOR, "MQL recall below the held-out floor{report}");
    assert!(v.mql.0 >= HOLDOUT_FLOOR, "MQL precision below the held-out floor{report}");
}
