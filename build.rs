//! Build script: tells Cargo to rebuild when anything under `templates/` changes, and says
//! plainly what is missing when a static build cannot be linked.
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
    check_static_libc();
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
