//! `cargo xtask`: project automation (see `cargo xtask --help`).

fn main() {
    eprintln!("cargo xtask: no tasks yet");
    std::process::exit(2);
}
