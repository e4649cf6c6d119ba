//! Holds the crate to its layers (see the crate doc): reads every source file and fails
//! when a module imports from a layer below its own, when the domain names an AWS or
//! HTTP type, or when modules import each other in a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LAYERS: [&str; 5] = ["domain", "engine", "usecases", "adapters", "wiring"];
const NOT_IN_THE_DOMAIN: [&str; 5] =
    ["lambda_http", "lambda_runtime", "aws_sdk", "aws_config", "aws_lambda_events"];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `adapters/store/dynamodb/item.rs` -> `["adapters", "store", "dynamodb", "item"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src").with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The modules a file's code (comments aside) refers to, as absolute paths.
fn references(module: &[String], text: &str) -> Vec<Vec<String>> {
    let code: String =
        text.lines().filter(|l| !l.trim_start().starts_with("//")).map(|l| format!("{l}\n")).collect();
    let mut out = Vec::new();
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    for (i, _) in code.match_indices("crate::").chain(code.match_indices("super::")) {
        if i > 0 && code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let path: String = code[i..].chars().take_while(|c| word(*c)).collect();
        let mut parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
        let mut base: Vec<String> = if parts[0] == "crate" {
            parts.remove(0);
            Vec::new()
        } else {
            module.to_vec()
        };
        while parts.first() == Some(&"super") {
            parts.remove(0);
            base.pop();
        }
        base.extend(parts.iter().map(|p| p.to_string()));
        out.push(base);
    }
    out
}

/// The unit a cycle is judged at: a layer's module (`domain::lead`, `adapters::http`).
fn unit(path: &[String]) -> Option<String> {
    (path.len() >= 2 && LAYERS.contains(&path[0].as_str())).then(|| format!("{}::{}", path[0], path[1]))
}

fn rank(path: &[String]) -> Option<usize> {
    LAYERS.iter().position(|l| path.first().is_some_and(|p| p == l))
}

#[test]
fn layers_import_only_from_above_and_modules_form_no_cycle() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut problems = Vec::new();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &all {
        let module = module_of(&src, file);
        let Some(own) = rank(&module) else { continue };
        let text = std::fs::read_to_string(file).expect("a readable source file");
        if own == 0 {
            for name in NOT_IN_THE_DOMAIN.iter().filter(|n| text.contains(*n)) {
                problems.push(format!("{}: the domain names `{name}`", file.display()));
            }
        }
        for target in references(&module, &text) {
            if rank(&target).is_some_and(|r| r > own) {
                problems.push(format!(
                    "{}: imports `{}` from a lower layer",
                    file.display(),
                    target.join("::")
                ));
            }
            if let (Some(from), Some(to)) = (unit(&module), unit(&target)) {
                if from != to {
                    edges.entry(from).or_default().insert(to);
                }
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(node.to_owned(), 1);
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let start = stack.iter().position(|n| n == next).unwrap_or(0);
                    cycles.push(format!("{} -> {next}", stack[start..].join(" -> ")));
                }
                Some(_) => {}
                None => visit(next, edges, state, stack, cycles),
            }
        }
        stack.pop();
        state.insert(node.to_owned(), 2);
    }
    let (mut state, mut cycles) = (BTreeMap::new(), Vec::new());
    for node in edges.keys() {
        if !state.contains_key(node.as_str()) {
            visit(node, &edges, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    problems.extend(cycles.into_iter().map(|c| format!("module cycle: {c}")));
    assert!(all.len() > 30, "the test found only {} source files", all.len());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_sees_upward_imports_and_cycles() {
    let module = |p: &str| p.split("::").map(str::to_owned).collect::<Vec<_>>();
    let refs =
        references(&module("domain::lead::parts"), "use super::super::stage::Stage;\n// crate::wiring::x\n");
    assert_eq!(refs, vec![module("domain::stage::Stage")]);
    let refs = references(&module("engine::scoring"), "let x = crate::adapters::http::App;");
    assert_eq!(rank(&refs[0]), Some(3));
    assert_eq!(unit(&refs[0]).as_deref(), Some("adapters::http"));
}
