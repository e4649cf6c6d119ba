//! template.yaml deploys what the code defines: the table's keys and indexes as
//! shared/src/adapters/store/table.rs describes them, and the routes, functions and scopes as the
//! handlers and openapi.json serve them.

use std::collections::BTreeSet;

use leadflow::http::{Function, ROUTES};
use leadflow::store::table::{self, KeyType, INDEXES, TABLE_KEYS};
use serde_yaml::Value;

fn template() -> Value {
    let path = leadflow_tests::checkout().join("template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).expect("template.yaml is YAML")
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("expected a string, got {v:?}"))
}

fn key_schema(keys: &Value) -> (String, String) {
    let mut hash = String::new();
    let mut range = String::new();
    for k in keys.as_sequence().unwrap() {
        match s(&k["KeyType"]) {
            "HASH" => hash = s(&k["AttributeName"]).to_owned(),
            "RANGE" => range = s(&k["AttributeName"]).to_owned(),
            other => panic!("key type {other}"),
        }
    }
    (hash, range)
}

#[test]
fn the_table_is_the_one_the_code_defines() {
    let t = template();
    let table = &t["Resources"]["LeadsTable"];
    assert_eq!(s(&table["DeletionPolicy"]), "Retain");
    let p = &table["Properties"];
    assert_eq!(
        key_schema(&p["KeySchema"]),
        (TABLE_KEYS.partition.0.to_owned(), TABLE_KEYS.sort.0.to_owned())
    );
    let defined: BTreeSet<(String, String)> = p["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|d| (s(&d["AttributeName"]).to_owned(), s(&d["AttributeType"]).to_owned()))
        .collect();
    let mut expected = BTreeSet::new();
    for k in std::iter::once(&TABLE_KEYS).chain(INDEXES.iter()) {
        for (name, kind) in [k.partition, k.sort] {
            expected.insert((name.to_owned(), if kind == KeyType::S { "S" } else { "N" }.to_owned()));
        }
    }
    assert_eq!(defined, expected);
    let indexes = p["GlobalSecondaryIndexes"].as_sequence().unwrap();
    assert_eq!(indexes.len(), INDEXES.len());
    for index in INDEXES {
        let gsi = indexes.iter().find(|g| s(&g["IndexName"]) == index.name).expect(index.name);
        assert_eq!(key_schema(&gsi["KeySchema"]), (index.partition.0.to_owned(), index.sort.0.to_owned()));
        assert_eq!(s(&gsi["Projection"]["ProjectionType"]), "KEYS_ONLY");
    }
    assert_eq!(s(&p["TimeToLiveSpecification"]["AttributeName"]), table::TTL_ATTRIBUTE);
    assert_eq!(p["TimeToLiveSpecification"]["Enabled"], Value::Bool(true));
    assert_eq!(p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], Value::Bool(true));
    assert_eq!(p["SSESpecification"]["SSEEnabled"], Value::Bool(true));
    assert_eq!(p["DeletionProtectionEnabled"], Value::Bool(true));
    assert_eq!(s(&p["BillingMode"]), "PAY_PER_REQUEST");
}

#[test]
fn every_route_goes_to_the_function_that_serves_it_with_the_documented_scope() {
    let t = template();
    let openapi = leadflow_tests::openapi::document();
    let globals = &t["Globals"]["Function"];
    assert_eq!(s(&globals["Runtime"]), "provided.al2023");
    assert_eq!(globals["Architectures"][0].as_str(), Some("arm64"));
    assert_eq!(s(&globals["Handler"]), "bootstrap");

    let mut routes = BTreeSet::new();
    for (_, resource) in t["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        assert_eq!(s(&resource["Metadata"]["BuildMethod"]), "rust-cargolambda");
        let binary = s(&resource["Metadata"]["BuildProperties"]["Binary"]);
        for (_, event) in resource["Properties"]["Events"].as_mapping().unwrap() {
            if event["Type"].as_str() != Some("HttpApi") {
                continue;
            }
            let path = s(&event["Properties"]["Path"]);
            let method = s(&event["Properties"]["Method"]).to_lowercase();
            let route = ROUTES
                .iter()
                .find(|r| r.path == path && r.method.eq_ignore_ascii_case(&method))
                .unwrap_or_else(|| panic!("the route table has no {method} {path}"));
            assert_eq!(binary, route.function.name(), "{method} {path}");
            let operation = &openapi["paths"][path][&method];
            assert!(operation.is_object(), "openapi.json does not document {method} {path}");
            let documented: Vec<&str> = operation["security"][0]["salesJwt"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                .unwrap_or_default();
            let deployed: Vec<&str> = event["Properties"]["Auth"]["AuthorizationScopes"]
                .as_sequence()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            assert_eq!(deployed, documented, "scopes of {method} {path}");
            assert_eq!(deployed, route.scope.into_iter().collect::<Vec<_>>(), "scope of {method} {path}");
            routes.insert((method, path.to_owned()));
        }
    }
    let documented: BTreeSet<(String, String)> = openapi["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| ops.as_object().unwrap().keys().map(move |m| (m.clone(), path.clone())))
        .collect();
    assert_eq!(routes, documented, "template routes and openapi.json differ");
    let table: BTreeSet<(String, String)> =
        ROUTES.iter().map(|r| (r.method.to_lowercase(), r.path.to_owned())).collect();
    assert_eq!(routes, table, "template routes and the route table differ");
}

/// The function crates, the template's functions and `tests/run`'s build list are the
/// route table's functions and the events function (the change stream's).
#[test]
fn every_function_of_the_route_table_is_a_crate_and_a_template_function() {
    let t = template();
    let names: BTreeSet<&str> =
        Function::ALL.iter().map(|f| f.name()).chain([leadflow::lambda::events::FUNCTION]).collect();
    let crates: BTreeSet<String> = std::fs::read_dir(leadflow_tests::checkout().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(crates.iter().map(String::as_str).collect::<BTreeSet<_>>(), names);
    let binaries: BTreeSet<&str> = t["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|r| s(&r["Metadata"]["BuildProperties"]["Binary"]))
        .collect();
    assert_eq!(binaries, names);
}

/// `!Ref Name` as serde_yaml reads it.
fn reference(v: &Value) -> Option<&str> {
    match v {
        Value::Tagged(t) if t.tag == "!Ref" => t.value.as_str(),
        _ => None,
    }
}

/// No secret value sits in a function's configuration: secrets reach the functions as
/// `<NAME>_SECRET_ARN` (a parameter's ARN), and each function may read exactly the
/// secrets its environment names, nothing else.
#[test]
fn functions_get_secret_arns_and_may_read_exactly_those_secrets() {
    let t = template();
    let text = std::fs::read_to_string(leadflow_tests::checkout().join("template.yaml")).unwrap();
    assert!(
        !text.contains("resolve:secretsmanager"),
        "a dynamic reference puts the secret's value in the environment"
    );
    let globals = t["Globals"]["Function"]["Environment"]["Variables"].as_mapping().unwrap().clone();
    for (name, function) in t["Resources"].as_mapping().unwrap() {
        if function["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let name = s(name);
        let mut env = globals.clone();
        if let Some(own) = function["Properties"]["Environment"]["Variables"].as_mapping() {
            env.extend(own.clone());
        }
        let mut named = BTreeSet::new();
        for (var, value) in &env {
            let var = s(var);
            if var.ends_with("_SECRET_ARN") {
                let parameter = reference(value).unwrap_or_else(|| panic!("{name}: {var} is not a !Ref"));
                assert!(t["Parameters"][parameter].is_mapping(), "{name}: {var} names no parameter");
                named.insert(parameter.to_owned());
            }
        }
        if name != "EventsFunction" {
            assert!(
                named.contains("IdKeySecretArn"),
                "{name}: every function that serves leads keys their ids"
            );
        }
        let mut granted = BTreeSet::new();
        for policy in function["Properties"]["Policies"].as_sequence().unwrap() {
            for statement in policy["Statement"].as_sequence().unwrap() {
                let actions: Vec<&str> = statement["Action"].as_sequence().unwrap().iter().map(s).collect();
                if actions.iter().any(|a| a.starts_with("secretsmanager:")) {
                    assert_eq!(actions, ["secretsmanager:GetSecretValue"], "{name}");
                    let resources = match &statement["Resource"] {
                        Value::Sequence(list) => list.iter().collect(),
                        one => vec![one],
                    };
                    for r in resources {
                        granted.insert(reference(r).unwrap_or_else(|| panic!("{name}: {r:?}")).to_owned());
                    }
                }
            }
        }
        assert_eq!(granted, named, "{name}: the secrets it may read are the ones it names");
    }
}

/// The events function reads the table's stream as the handler needs it: new and old
/// images, partial batch responses, a split on error, an on-failure destination; the
/// webhook secrets come from Secrets Manager, readable by this function alone, and are
/// never a value in the template.
#[test]
fn the_events_function_reads_the_stream_with_partial_batch_responses_and_its_secret_only() {
    let t = template();
    assert_eq!(
        s(&t["Resources"]["LeadsTable"]["Properties"]["StreamSpecification"]["StreamViewType"]),
        "NEW_AND_OLD_IMAGES"
    );
    let f = &t["Resources"]["EventsFunction"];
    assert_eq!(s(&f["Metadata"]["BuildProperties"]["Binary"]), leadflow::lambda::events::FUNCTION);
    let stream = &f["Properties"]["Events"]["Stream"];
    assert_eq!(s(&stream["Type"]), "DynamoDB");
    let p = &stream["Properties"];
    assert_eq!(p["FunctionResponseTypes"][0].as_str(), Some("ReportBatchItemFailures"));
    assert_eq!(p["BisectBatchOnFunctionError"], Value::Bool(true));
    assert_eq!(p["ParallelizationFactor"].as_u64(), Some(1), "one batch per shard at a time: per-lead order");
    assert!(
        p["MaximumRecordAgeInSeconds"].as_u64().is_some_and(|a| a < 86_400),
        "before the stream trims it"
    );
    assert_eq!(s(&p["DestinationConfig"]["OnFailure"]["Type"]), "SQS");
    let tagged = |v: &Value| format!("{v:?}");
    assert!(tagged(&f["Properties"]["Environment"]["Variables"]["LEADFLOW_WEBHOOKS_SECRET_ARN"])
        .contains("WebhooksSecretArn"));
    let env = &f["Properties"]["Environment"]["Variables"];
    assert!(
        env.get(leadflow::config::WEBHOOKS).is_none(),
        "the subscribers' secrets are never in the environment"
    );
    let statements = f["Properties"]["Policies"][0]["Statement"].as_sequence().unwrap();
    let secret_reads: Vec<&Value> = statements
        .iter()
        .filter(|st| tagged(&st["Action"]).contains("secretsmanager:GetSecretValue"))
        .collect();
    assert_eq!(secret_reads.len(), 1);
    assert!(tagged(&secret_reads[0]["Resource"]).contains("WebhooksSecretArn"), "exactly that secret");
    for (name, resource) in t["Resources"].as_mapping().unwrap() {
        if s(name) != "EventsFunction" {
            assert!(!tagged(resource).contains("WebhooksSecretArn"), "{name:?} can read the webhook secrets");
        }
    }
}

/// The funnel is counted off the request path: no function that serves a request may
/// update the table (its writes are whole-lead puts); the events function may read and
/// update it (the fold mark and the aggregates), and put nothing but its own `WEBHOOK#`
/// items (a statement with that condition). Every EMF
/// metric the events function emits has its alarm.
#[test]
fn only_the_events_function_counts_the_funnel() {
    let t = template();
    let s = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let tagged = |v: &Value| format!("{v:?}");
    let table_actions = |f: &Value| -> Vec<String> {
        let mut actions = Vec::new();
        for policy in f["Properties"]["Policies"].as_sequence().unwrap() {
            for st in policy["Statement"].as_sequence().unwrap() {
                let resource = tagged(&st["Resource"]);
                let only_webhook_items = tagged(&st["Condition"]).contains("WEBHOOK#");
                if resource.contains("LeadsTable")
                    && !resource.contains("StreamArn")
                    && !resource.contains("index")
                    && !only_webhook_items
                {
                    let list =
                        st["Action"].as_sequence().cloned().unwrap_or_else(|| vec![st["Action"].clone()]);
                    actions.extend(list.iter().map(s));
                }
            }
        }
        actions
    };
    for (name, resource) in t["Resources"].as_mapping().unwrap() {
        if s(&resource["Type"]) != "AWS::Serverless::Function" {
            continue;
        }
        let actions = table_actions(resource);
        if s(name) == "EventsFunction" {
            assert_eq!(actions, ["dynamodb:GetItem", "dynamodb:UpdateItem"], "{name:?}");
        } else {
            assert!(
                !actions.iter().any(|a| a == "dynamodb:UpdateItem"),
                "{name:?} may update the table: {actions:?}"
            );
        }
    }
    for metric in ["UnreadableStreamRecords", "UncountedStreamRecords"] {
        assert!(
            t["Resources"]
                .as_mapping()
                .unwrap()
                .values()
                .any(|r| s(&r["Properties"]["MetricName"]) == metric),
            "no alarm on {metric}"
        );
    }
}

/// The bus the template creates is the one the events function is told of, and the only
/// one it may put events on; no other function may.
#[test]
fn the_events_function_puts_lead_events_on_the_templates_bus_and_only_there() {
    let t = template();
    let tagged = |v: &Value| format!("{v:?}");
    let buses: Vec<&str> = t["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Events::EventBus"))
        .map(|(name, _)| s(name))
        .collect();
    assert_eq!(buses, ["LeadEvents"]);
    let f = &t["Resources"]["EventsFunction"];
    assert_eq!(
        reference(&f["Properties"]["Environment"]["Variables"][leadflow::config::EVENT_BUS]),
        Some("LeadEvents")
    );
    let puts: Vec<&Value> = f["Properties"]["Policies"][0]["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|st| tagged(&st["Action"]).contains("events:"))
        .collect();
    assert_eq!(puts.len(), 1);
    assert_eq!(
        puts[0]["Action"].as_sequence().unwrap().iter().map(s).collect::<Vec<_>>(),
        ["events:PutEvents"]
    );
    let resource = tagged(&puts[0]["Resource"]);
    assert!(resource.contains("GetAtt") && resource.contains("LeadEvents.Arn"), "{resource}");
    for (name, resource) in t["Resources"].as_mapping().unwrap() {
        if s(name) != "EventsFunction" && s(name) != "LeadEvents" {
            assert!(!tagged(resource).contains("events:PutEvents"), "{name:?} may put events");
        }
    }
}

/// Every metric filter counts a log line the code writes: a renamed message would leave
/// its alarm silent for good.
#[test]
fn every_metric_filter_counts_a_log_message_the_code_writes() {
    fn sources(dir: &std::path::Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut code = String::new();
    sources(&leadflow_tests::checkout().join("shared/src"), &mut code);
    let t = template();
    let mut seen = 0;
    for (name, resource) in t["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Logs::MetricFilter") {
            continue;
        }
        let pattern = s(&resource["Properties"]["FilterPattern"]);
        let Some(message) = pattern.split("$.fields.message = \"").nth(1).and_then(|m| m.split('"').next())
        else {
            continue;
        };
        assert!(code.contains(&format!("\"{message}\"")), "{name:?}: no log line `{message}` in shared/src");
        seen += 1;
    }
    assert!(seen >= 3, "the template counts log lines ({seen} filters found)");
}

/// Webhook deliveries go through the FIFO queue the template creates: its redrive policy
/// gives up after exactly the retry policy's attempts, into a FIFO dead-letter queue that
/// alarms; the function reads it one message at a time with partial batch responses and
/// may send to, receive from and re-time messages of that queue only.
#[test]
fn webhook_deliveries_go_through_a_fifo_queue_that_dead_letters_after_the_policys_attempts() {
    use leadflow::webhooks::delivery::RetryPolicy;
    use leadflow::webhooks::queue::MAX_VISIBILITY;
    let t = template();
    let tagged = |v: &Value| format!("{v:?}");
    let r = &t["Resources"];
    let queue = &r["WebhookRetries"]["Properties"];
    let dead = &r["WebhookDeadLetters"]["Properties"];
    assert_eq!((queue["FifoQueue"].as_bool(), dead["FifoQueue"].as_bool()), (Some(true), Some(true)));
    let policy = RetryPolicy::default();
    assert_eq!(queue["RedrivePolicy"]["maxReceiveCount"].as_u64(), Some(u64::from(policy.attempts())));
    assert!(tagged(&queue["RedrivePolicy"]["deadLetterTargetArn"]).contains("WebhookDeadLetters.Arn"));
    let schedule: std::time::Duration = policy.schedule().iter().sum();
    assert!(schedule.as_secs() >= 86_400, "at least a day of retries");
    assert!(policy.schedule().iter().all(|d| *d <= MAX_VISIBILITY), "every wait fits one visibility timeout");
    assert!(
        queue["MessageRetentionPeriod"].as_u64().unwrap() > schedule.as_secs() + 3600,
        "kept past the last retry"
    );
    let timeout = r["EventsFunction"]["Properties"]["Timeout"].as_u64().unwrap();
    assert!(queue["VisibilityTimeout"].as_u64().unwrap() >= timeout, "Lambda refuses a shorter one");

    let mapping = &r["WebhookRetriesMapping"]["Properties"];
    assert!(tagged(&mapping["EventSourceArn"]).contains("WebhookRetries.Arn"));
    assert_eq!(reference(&mapping["FunctionName"]), Some("EventsFunction"));
    assert_eq!(mapping["BatchSize"].as_u64(), Some(1));
    assert_eq!(mapping["FunctionResponseTypes"][0].as_str(), Some("ReportBatchItemFailures"));
    let f = &r["EventsFunction"]["Properties"];
    assert_eq!(
        reference(&f["Environment"]["Variables"][leadflow::config::WEBHOOK_RETRY_QUEUE]),
        Some("WebhookRetries")
    );
    let mut sqs_actions = std::collections::BTreeMap::new();
    for st in f["Policies"][0]["Statement"].as_sequence().unwrap() {
        for action in st["Action"].as_sequence().unwrap().iter().map(s).filter(|a| a.starts_with("sqs:")) {
            sqs_actions.insert(action.to_owned(), tagged(&st["Resource"]));
        }
    }
    for action in
        ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
    {
        assert!(sqs_actions[action].contains("WebhookRetries.Arn"), "{action}: {sqs_actions:?}");
    }
    assert!(sqs_actions
        .values()
        .all(|r| r.contains("WebhookRetries.Arn") || r.contains("EventsFailures.Arn")));
    assert!(f["Events"].get("Retries").is_none(), "a SAM SQS event would grant every queue of the account");
    // Its table writes beyond the funnel's count (held by `only_the_events_function_counts_the_funnel`):
    // the records of disabled endpoints, nothing else.
    let table_statements: Vec<&Value> = f["Policies"][0]["Statement"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter(|st| {
            tagged(&st["Action"]).contains("dynamodb:")
                && tagged(&st["Resource"]).contains("LeadsTable.Arn")
                && !tagged(&st["Action"]).contains("dynamodb:UpdateItem")
        })
        .collect();
    assert_eq!(table_statements.len(), 1);
    assert_eq!(
        table_statements[0]["Action"].as_sequence().unwrap().iter().map(s).collect::<Vec<_>>(),
        ["dynamodb:GetItem", "dynamodb:PutItem"]
    );
    assert_eq!(
        table_statements[0]["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"][0].as_str(),
        Some(format!("{}*", leadflow::store::table::WEBHOOK_PK_PREFIX).as_str())
    );
    let alarm = &r["WebhookDeadLettersAlarm"]["Properties"];
    assert_eq!(s(&alarm["MetricName"]), "ApproximateNumberOfMessagesVisible");
    assert!(tagged(&alarm["Dimensions"]).contains("WebhookDeadLetters.QueueName"));
}
