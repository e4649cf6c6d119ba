//! `leadflow-local`: the whole Leadflow API on 127.0.0.1, for development and demos.
//!
//! Embedded in-memory store by default; DynamoDB when `--store dynamodb` (or when
//! `AWS_ENDPOINT_URL_DYNAMODB` and `LEADFLOW_TABLE` are set). Run with `--help`.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

use leadflow::clock::SystemClock;
use leadflow::config;
use leadflow::forms::{Scheme, Source};
use leadflow::http::{App, Auth, Sources};
use leadflow::intake::RetryPolicy;
use leadflow::store::{DynamoStore, InMemoryStore, LeadStore};
use leadflow::webhooks::delivery::{RetryMode, Webhooks};
use leadflow::wiring::secrets;
use leadflow::{IdKey, Scorer};
use leadflow_infra::local_events::{follow_changes, follow_stream};
use leadflow_infra::local_server::{requalify_every, serve, Tokens};
use tokio::net::TcpListener;

const HELP: &str = "leadflow-local: Leadflow's API on 127.0.0.1 (the Lambda handlers, unchanged)

USAGE: leadflow-local [OPTIONS]

  --port N               port to listen on (default 3000; 0 picks a free one)
  --store memory|dynamodb
                         where leads live (default: dynamodb when AWS_ENDPOINT_URL_DYNAMODB
                         and LEADFLOW_TABLE are set, else memory)
  --table NAME           DynamoDB table (default: $LEADFLOW_TABLE)
  --create-table         create the DynamoDB table (with its indexes) first
  --token TOKEN=SCOPES   accept `Authorization: Bearer TOKEN` with these comma-separated
                         scopes (leads/read, leads/handover, leads/accept, leads/score,
                         leads/erase, leads/import, funnel/read); repeatable.
                         With any token, sales routes need one; without, they are open.
  --requalify-every SECS run the scheduled requalification this often (default 60; 0: never).
                         POST /_local/requalify?as_of=2027-01-01T00:00:00Z runs it once as of
                         any instant (what-if: who is still an MQL then?)
  --help                 this text

Environment: LEADFLOW_SOURCES (JSON; default: the unsigned source `web`), LEADFLOW_SLA
(an SLA file; default: the shipped SLA), LEADFLOW_ID_KEY (default: a development key),
LEADFLOW_WEBHOOKS (outbound webhook subscribers, JSON; the events function runs on every
write, from DynamoDB Local's stream, where it also counts the funnel, or the embedded
store's change feed),
LEADFLOW_WEBHOOK_RETRY_BASE_MS (the first retry's wait; default 60000, doubling after).
";

struct Options {
    port: u16,
    dynamodb: bool,
    table: Option<String>,
    create_table: bool,
    tokens: Tokens,
    requalify_every: u64,
}

fn options() -> Result<Option<Options>, String> {
    let mut o = Options {
        port: 3000,
        dynamodb: std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some()
            && std::env::var_os(config::TABLE).is_some(),
        table: std::env::var(config::TABLE).ok(),
        create_table: false,
        tokens: Tokens::default(),
        requalify_every: 60,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--port" => {
                o.port = value("--port")?.parse().map_err(|_| "--port takes a number from 0 to 65535")?
            }
            "--store" => {
                o.dynamodb = match value("--store")?.as_str() {
                    "memory" => false,
                    "dynamodb" => true,
                    other => return Err(format!("--store is `memory` or `dynamodb`, not `{other}`")),
                }
            }
            "--table" => o.table = Some(value("--table")?),
            "--create-table" => o.create_table = true,
            "--token" => o.tokens.parse_one(&value("--token")?)?,
            "--requalify-every" => {
                o.requalify_every = value("--requalify-every")?
                    .parse()
                    .map_err(|_| "--requalify-every takes whole seconds")?
            }
            other => return Err(format!("unknown argument `{other}` (see --help)")),
        }
    }
    Ok(Some(o))
}

fn app<S>(store: S, auth: Auth) -> Result<App<S>, String> {
    // Values only: silently falling back to the development key next to a secret's ARN
    // would give every lead another id.
    if let Some(r) = secrets::requested_by_env().map_err(|e| e.to_string())?.first() {
        return Err(format!(
            "the local server reads values, not secrets: set `{}` instead of `{}{}`",
            r.var,
            r.var,
            secrets::ARN_SUFFIX
        ));
    }
    let sources = match std::env::var(config::SOURCES) {
        Ok(_) => config::sources().map_err(|e| e.to_string())?,
        Err(_) => {
            let mut sources = Sources::default();
            sources.insert("web", Source::new(Scheme::Unsigned, None));
            sources
        }
    };
    let id_key = match std::env::var(config::ID_KEY) {
        Ok(_) => config::id_key().map_err(|e| e.to_string())?,
        Err(_) => IdKey::new("leadflow-local-development-key").expect("long enough"),
    };
    Ok(App {
        store,
        scorer: Scorer::new(config::sla().map_err(|e| e.to_string())?),
        id_key,
        sources,
        auth,
        clock: Arc::new(SystemClock),
        retry: RetryPolicy::default(),
    })
}

async fn run<S: LeadStore + 'static>(
    listener: TcpListener,
    app: App<S>,
    tokens: Tokens,
    store: &str,
    every: u64,
) {
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let names: Vec<String> = app
        .sources
        .names()
        .map(|n| match app.sources.get(n).map(|s| s.scheme) {
            Some(Scheme::Unsigned) => format!("{n} (UNSIGNED)"),
            _ => n.to_owned(),
        })
        .collect();
    println!("Leadflow local API on http://{addr}");
    println!("  store:   {store}");
    println!("  intake:  POST /intake/{{source}} for sources: {}", names.join(", "));
    if tokens.0.is_empty() {
        println!("  sales routes are OPEN (no token needed); pass --token TOKEN=SCOPES to require tokens");
    } else {
        println!("  sales routes need a bearer token ({} configured)", tokens.0.len());
    }
    let app = Arc::new(app);
    if every > 0 {
        println!("  requalifying due leads every {every} s (POST /_local/requalify?as_of=... runs it once)");
        tokio::spawn(requalify_every(app.clone(), std::time::Duration::from_secs(every)));
    }
    serve(listener, app, Arc::new(tokens)).await;
}

#[tokio::main]
async fn main() -> ExitCode {
    let opts = match options() {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("leadflow-local: {e}");
            return ExitCode::from(2);
        }
    };
    config::init_tracing();
    let listener = match TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, opts.port))).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("leadflow-local: cannot listen on 127.0.0.1:{}: {e}", opts.port);
            return ExitCode::FAILURE;
        }
    };
    let auth = if opts.tokens.0.is_empty() { Auth::Open } else { Auth::Scopes };
    let every = opts.requalify_every;
    let webhooks = match (config::webhooks(), config::webhook_retry_policy()) {
        (Ok(subscribers), _) if subscribers.is_empty() => None,
        (Ok(subscribers), Ok(policy)) => {
            println!(
                "  webhooks: {} subscriber(s), first retry after {} ms",
                subscribers.len(),
                policy.base.as_millis()
            );
            let webhooks = Arc::new(Webhooks::new(subscribers, policy, RetryMode::InProcess));
            tokio::spawn(webhooks.clone().run_retries());
            Some(webhooks)
        }
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("leadflow-local: {e}");
            return ExitCode::from(2);
        }
    };
    let result = if opts.dynamodb {
        let Some(table) = opts.table.clone() else {
            eprintln!("leadflow-local: --store dynamodb needs --table or LEADFLOW_TABLE");
            return ExitCode::from(2);
        };
        let store = DynamoStore::new(config::dynamodb_client().await, &table);
        if opts.create_table {
            if let Err(e) = store.create_table().await {
                eprintln!("leadflow-local: creating table `{table}`: {e}");
                return ExitCode::FAILURE;
            }
        }
        // The stream is read from DynamoDB Local's endpoint, as the SDK reaches it: the
        // funnel is counted from it, and the webhooks (if any) told.
        match std::env::var("AWS_ENDPOINT_URL_DYNAMODB") {
            Ok(endpoint) => {
                let poll = std::time::Duration::from_millis(250);
                let webhooks = webhooks.unwrap_or_else(|| {
                    Arc::new(Webhooks::new(Vec::new(), Default::default(), RetryMode::InProcess))
                });
                tokio::spawn(follow_stream(endpoint, table.clone(), store.clone(), webhooks, poll));
            }
            Err(_) if webhooks.is_some() => {
                eprintln!("leadflow-local: webhooks on DynamoDB need AWS_ENDPOINT_URL_DYNAMODB (DynamoDB Local's stream)");
                return ExitCode::from(2);
            }
            Err(_) => println!(
                "  funnel: counted by the deployed events function from the table's stream (this server reads only DynamoDB Local's)"
            ),
        }
        app(store, auth).map(|app| (app, format!("DynamoDB table `{table}`"))).map(|(app, label)| {
            tokio::spawn(async move { run(listener, app, opts.tokens, &label, every).await })
        })
    } else {
        let store = InMemoryStore::new();
        if let Some(webhooks) = webhooks {
            tokio::spawn(follow_changes(store.change_feed(), webhooks));
        }
        app(store, auth).map(|app| {
            tokio::spawn(async move {
                run(listener, app, opts.tokens, "in-memory (embedded, gone at exit)", every).await
            })
        })
    };
    match result {
        Ok(server) => {
            let _ = server.await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("leadflow-local: {e}");
            ExitCode::from(2)
        }
    }
}
