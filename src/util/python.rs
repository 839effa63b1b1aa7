//! What makes a good Python package name for a generated project.
//!
//! The package name is derived from the project name (snake case) and must be importable and
//! harmless: a valid identifier, not a keyword, and not the name of a standard-library module
//! or of a dependency the project (or its tests) imports, which it would shadow.

use heck::ToSnakeCase;

/// Python's reserved words (3.13), which cannot name a package.
pub(crate) const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Standard-library modules of Python 3.9 to 3.13 (`sys.stdlib_module_names`, public ones).
pub(crate) const STDLIB: &[&str] = &[
    "abc",
    "antigravity",
    "argparse",
    "array",
    "ast",
    "asynchat",
    "asyncio",
    "asyncore",
    "atexit",
    "base64",
    "bdb",
    "binascii",
    "binhex",
    "bisect",
    "builtins",
    "bz2",
    "cProfile",
    "calendar",
    "cmath",
    "cmd",
    "code",
    "codecs",
    "codeop",
    "collections",
    "colorsys",
    "compileall",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "csv",
    "ctypes",
    "curses",
    "dataclasses",
    "datetime",
    "dbm",
    "decimal",
    "difflib",
    "dis",
    "distutils",
    "doctest",
    "email",
    "encodings",
    "ensurepip",
    "enum",
    "errno",
    "faulthandler",
    "fcntl",
    "filecmp",
    "fileinput",
    "fnmatch",
    "formatter",
    "fractions",
    "ftplib",
    "functools",
    "gc",
    "genericpath",
    "getopt",
    "getpass",
    "gettext",
    "glob",
    "graphlib",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "idlelib",
    "imaplib",
    "imp",
    "importlib",
    "inspect",
    "io",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "linecache",
    "locale",
    "logging",
    "lzma",
    "mailbox",
    "marshal",
    "math",
    "mimetypes",
    "mmap",
    "modulefinder",
    "msvcrt",
    "multiprocessing",
    "netrc",
    "nt",
    "ntpath",
    "nturl2path",
    "numbers",
    "opcode",
    "operator",
    "optparse",
    "os",
    "parser",
    "pathlib",
    "pdb",
    "pickle",
    "pickletools",
    "pkgutil",
    "platform",
    "plistlib",
    "poplib",
    "posix",
    "posixpath",
    "pprint",
    "profile",
    "pstats",
    "pty",
    "pwd",
    "py_compile",
    "pyclbr",
    "pydoc",
    "pydoc_data",
    "pyexpat",
    "queue",
    "quopri",
    "random",
    "re",
    "readline",
    "reprlib",
    "resource",
    "rlcompleter",
    "runpy",
    "sched",
    "secrets",
    "select",
    "selectors",
    "shelve",
    "shlex",
    "shutil",
    "signal",
    "site",
    "smtpd",
    "smtplib",
    "socket",
    "socketserver",
    "sqlite3",
    "sre_compile",
    "sre_constants",
    "sre_parse",
    "ssl",
    "stat",
    "statistics",
    "string",
    "stringprep",
    "struct",
    "subprocess",
    "symbol",
    "symtable",
    "sys",
    "sysconfig",
    "syslog",
    "tabnanny",
    "tarfile",
    "tempfile",
    "termios",
    "test",
    "textwrap",
    "this",
    "threading",
    "time",
    "timeit",
    "tkinter",
    "token",
    "tokenize",
    "tomllib",
    "trace",
    "traceback",
    "tracemalloc",
    "tty",
    "turtle",
    "turtledemo",
    "types",
    "typing",
    "unicodedata",
    "unittest",
    "urllib",
    "uuid",
    "venv",
    "warnings",
    "wave",
    "weakref",
    "webbrowser",
    "winreg",
    "winsound",
    "wsgiref",
    "xml",
    "xmlrpc",
    "zipapp",
    "zipfile",
    "zipimport",
    "zlib",
    "zoneinfo",
];

/// Modules the generated projects and their tooling import, or folders they hold.
pub(crate) const DEPENDENCIES: &[&str] = &[
    "tornado",
    "redis",
    "pytest",
    "_pytest",
    "pluggy",
    "iniconfig",
    "packaging",
    "ruff",
    "pip",
    "setuptools",
    "wheel",
    "pkg_resources",
    "playwright",
    "greenlet",
    "conftest",
    "tests",
    "site",
    "sitecustomize",
    "usercustomize",
];

/// The snake-case package name derived from a project name.
pub(crate) fn package_name(project_name: &str) -> String {
    project_name.to_snake_case()
}

/// Checks a package name; the error says what is wrong and suggests a fix.
pub(crate) fn check_package_name(name: &str) -> Result<(), String> {
    let suggestion = |base: &str| format!("{base}_app");
    if name.is_empty() {
        return Err("it is empty: the project name needs at least one letter".to_string());
    }
    let mut chars = name.chars();
    let first = chars.next().unwrap_or('_');
    if !(first.is_ascii_alphabetic() || first == '_')
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        let rest = name.trim_start_matches(|c: char| !c.is_ascii_alphabetic());
        let hint =
            if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                format!("; try a name like `app_{rest}`")
            } else {
                "; use ASCII letters, digits and spaces or dashes".to_string()
            };
        return Err(format!(
            "`{}` is not a valid Python identifier (ASCII letters, digits and `_`, not starting \
             with a digit){hint}",
            crate::util::text::shown(name)
        ));
    }
    if KEYWORDS.contains(&name) || ["match", "case", "type", "_"].contains(&name) {
        return Err(format!(
            "`{name}` is a Python keyword; try `{}`",
            suggestion(name)
        ));
    }
    if STDLIB.contains(&name) {
        return Err(format!(
            "`{name}` would shadow the standard library module `{name}`; try `{}`",
            suggestion(name)
        ));
    }
    if DEPENDENCIES.contains(&name) {
        return Err(format!(
            "`{name}` would shadow `{name}`, which generated projects use; try `{}`",
            suggestion(name)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names() {
        let cases = [
            ("my-chat", Ok("my_chat")),
            ("My Chat", Ok("my_chat")),
            ("myChat", Ok("my_chat")),
            ("chat2", Ok("chat2")),
            ("2chat", Err("not a valid Python identifier")),
            ("class", Err("keyword")),
            ("match", Err("keyword")),
            ("asyncio", Err("standard library")),
            ("test", Err("standard library")),
            ("tornado", Err("generated projects use")),
            ("redis", Err("generated projects use")),
            ("tests", Err("generated projects use")),
            ("???", Err("empty")),
            ("café", Err("not a valid Python identifier")),
        ];
        for (project, want) in cases {
            let pkg = package_name(project);
            match (check_package_name(&pkg), want) {
                (Ok(()), Ok(expected)) => assert_eq!(pkg, expected, "{project}"),
                (Err(e), Err(part)) => assert!(e.contains(part), "{project}: {e}"),
                (got, want) => panic!("{project} -> {pkg}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn lists_have_no_duplicates_and_include_the_usual_suspects() {
        for list in [KEYWORDS, STDLIB, DEPENDENCIES] {
            let mut sorted = list.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), list.len());
        }
        for name in ["asyncio", "json", "logging", "typing", "distutils", "imp"] {
            assert!(STDLIB.contains(&name), "{name}");
        }
    }
}
