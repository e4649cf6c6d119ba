//! The local API server arrives with the HTTP handlers issue.

fn main() {
    eprintln!("leadflow local server: not wired yet (see README, roadmap)");
    std::process::exit(2);
}
