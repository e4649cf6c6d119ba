//! What the benches share: where their JSON figures go, and the tools `tests/run` installs.

use std::path::PathBuf;

use serde_json::Value;

/// `$CARGO_TARGET_DIR/leadflow-bench` (`target/leadflow-bench` in the checkout without it):
/// one JSON file per bench, for CI and trend tools.
pub fn output_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| super::checkout().join("target"), PathBuf::from)
        .join("leadflow-bench")
}

/// Writes a bench's figures to `<output_dir>/<bench>.json` and says where.
pub fn write_figures(bench: &str, figures: &Value) -> PathBuf {
    let dir = output_dir();
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let path = dir.join(format!("{bench}.json"));
    let text = serde_json::to_string_pretty(figures).expect("figures are JSON");
    std::fs::write(&path, text + "\n").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    eprintln!("figures written to {}", path.display());
    path
}

/// `PATH` with the tools venv `tests/run` installs (cargo-lambda, ziglang) in front, as
/// `tests/run` runs them; fails with what to do when the venv has no cargo-lambda.
pub fn path_with_tools() -> String {
    let venv = leadflow_infra::dynamodb_local::cache_dir().join("venv").join("bin");
    assert!(
        venv.join("cargo-lambda").is_file(),
        "{} has no cargo-lambda: run tests/run once (it installs cargo-lambda and ziglang there), \
         or `python3 -m venv {venv_dir} && {venv_dir}/bin/pip install cargo-lambda ziglang`",
        venv.display(),
        venv_dir = venv.parent().unwrap().display(),
    );
    let path = std::env::var("PATH").unwrap_or_default();
    format!("{}:{path}", venv.display())
}

/// The median of some measurements (sorted in place).
pub fn median<T: Ord + Copy>(values: &mut [T]) -> T {
    values.sort_unstable();
    values[values.len() / 2]
}
