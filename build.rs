//! Build script: tells Cargo to rebuild when anything under `templates/` changes, computes the
//! embedded templates' blob ids once, and says plainly what is missing when a static build
//! cannot be linked.
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
    embedded_blob_ids();
    check_static_libc();
}

/// Writes `$OUT_DIR/embedded_blobs.rs`: the git blob id of every file of the embedded
/// templates (not their kept history, which is checked as it is read), by its path under
/// `templates/`, sorted. Every run that records a template's id needs its files' ids, and
/// hashing them again on every run was a tenth of a small `new` (src/sources/embedded.rs; a
/// test there checks every id against the file it names).
fn embedded_blob_ids() {
    use sha1::Digest as _;
    use std::fmt::Write as _;
    let mut ids = Vec::new();
    for entry in walkdir::WalkDir::new("templates").sort_by_file_name() {
        let entry = entry.expect("templates/ can be read");
        let rel = entry
            .path()
            .strip_prefix("templates")
            .expect("under templates/");
        if !entry.file_type().is_file() || rel.starts_with(".history") {
            continue;
        }
        let bytes = std::fs::read(entry.path()).expect("a template file can be read");
        let mut h = sha1::Sha1::new();
        h.update(format!("blob {}\0", bytes.len()));
        h.update(&bytes);
        let id = h.finalize().iter().fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        });
        let path = rel
            .components()
            .map(|c| c.as_os_str().to_str().expect("template paths are UTF-8"))
            .collect::<Vec<_>>()
            .join("/");
        ids.push((path, id));
    }
    ids.sort();
    let mut out = String::from(
        "/// The git blob id of every embedded template file, by its path under `templates/`, \
         sorted by path (written by build.rs).\nstatic BLOB_IDS: &[(&str, &str)] = &[\n",
    );
    for (path, id) in ids {
        let _ = writeln!(out, "    ({path:?}, {id:?}),");
    }
    out.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("embedded_blobs.rs");
    std::fs::write(dest, out).expect("OUT_DIR can be written");
}

/// `.cargo/config.toml` links the binary statically on x86-64 Linux with glibc, which needs
/// the C library's static archive; where the C compiler cannot find one (Fedora without
/// glibc-static), fail here with what to do rather than with the linker's `cannot find -lc`.
fn check_static_libc() {
    let var = |k: &str| std::env::var(k).unwrap_or_default();
    if var("CARGO_CFG_TARGET_ENV") != "gnu"
        || !var("CARGO_CFG_TARGET_FEATURE")
            .split(',')
            .any(|f| f == "crt-static")
    {
        return;
    }
    // `cc -print-file-name=libc.a` prints a full path when it has the file, the bare name if not.
    let Ok(out) = std::process::Command::new("cc")
        .arg("-print-file-name=libc.a")
        .output()
    else {
        return;
    };
    let missing = out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "libc.a";
    assert!(
        !missing,
        "scaffold is linked statically here (.cargo/config.toml), which needs the C library's \
         static archive libc.a: install it (Fedora: dnf install glibc-static; Debian and \
         Ubuntu: apt-get install libc6-dev), or build it dynamically with \
         RUSTFLAGS= cargo install --locked --path ."
    );
}
