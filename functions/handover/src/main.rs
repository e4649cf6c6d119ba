//! The handover Lambda. Its handler arrives with the HTTP handlers issue; until then the
//! binary only exists so the workspace, template and build pipeline have their shape.

fn main() {
    eprintln!("leadflow-handover: handler not wired yet (see README, roadmap)");
    std::process::exit(2);
}
