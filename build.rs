//! Build script: tells Cargo to rebuild when anything under `templates/` changes.
//!
//! `include_dir!` embeds the directory at compile time but does not register the files it read,
//! so without this a new or edited template file would not reach the binary.

fn main() {
    println!("cargo:rerun-if-changed=templates");
    // rerun-if-changed on a directory only watches its mtime; list every file and folder so
    // edits deep inside a template are noticed as well.
    for entry in walkdir::WalkDir::new("templates").into_iter().flatten() {
        println!("cargo:rerun-if-changed={}", entry.path().display());
    }
}
