//! Parsed arguments become one validated request, with no I/O beyond what is passed in.

use std::path::{Path, PathBuf};

use anyhow::Result;
use heck::ToKebabCase;

use super::args::{GitArgs, NewArgs};
use crate::ops::new;
use crate::template::answers::Input;
use crate::template::builtins;
use crate::util::error::usage;
use crate::util::python;
use crate::util::text::Shown as _;

/// What the environment contributes to a request.
#[derive(Debug, Clone)]
pub(crate) struct Env {
    /// Whether stdin is a terminal (prompts are allowed).
    pub(crate) stdin_is_tty: bool,
    /// The current directory, to name a project created in `.`.
    pub(crate) cwd: PathBuf,
}

/// Splits every `-d KEY=VALUE`; a key given twice is a usage error (the user meant one of
/// them, and which is not ours to guess).
pub(crate) fn parse_defines(raw: &[String]) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(raw.len());
    for d in raw {
        let (key, value) = parse_define(d)?;
        if let Some((_, first)) = out.iter().find(|(k, _)| *k == key) {
            return Err(usage!(
                "`-d {key}` is given twice (`{}` and `{}`); give it once",
                crate::util::text::shown(first),
                crate::util::text::shown(&value)
            ));
        }
        out.push((key, value));
    }
    Ok(out)
}

/// Splits `KEY=VALUE`.
pub(crate) fn parse_define(raw: &str) -> Result<(String, String)> {
    match raw.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(usage!(
            "`-d {}`: expected KEY=VALUE, for example `-d license=MIT`",
            crate::util::text::shown(raw)
        )),
    }
}

/// A project name, checked, and the Python package name it gives checked too.
pub(crate) fn checked_name(project_name: &str) -> Result<String> {
    let shown = crate::util::text::shown(project_name);
    builtins::check_project_name(project_name)
        .map_err(|why| usage!("project name `{shown}`: {why}"))?;
    let package_name = python::package_name(project_name);
    python::check_package_name(&package_name).map_err(|why| {
        usage!(
            "project name `{shown}` gives the Python package name `{}`, \
             which cannot be used: {why} (choose another with --name)",
            crate::util::text::shown(&package_name)
        )
    })?;
    Ok(project_name.to_string())
}

/// The last normal component of `cwd/dest`; Err when it is not UTF-8.
fn last_component(dest: &Path, cwd: &Path) -> Result<Option<String>, ()> {
    let joined = cwd.join(dest);
    let mut parts: Vec<String> = Vec::new();
    for c in joined.components() {
        match c {
            std::path::Component::Normal(s) => parts.push(s.to_str().ok_or(())?.to_string()),
            std::path::Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    Ok(parts.pop())
}

/// What another project (`--replay`) or a values file (`--data-file`) contributes, read by
/// the caller.
#[derive(Debug, Clone, Default)]
pub(crate) struct Preset {
    /// The template to use (from `--replay`).
    pub(crate) template: Option<String>,
    /// The git ref (from `--replay` of a git-made project), unless `--ref` gives one.
    pub(crate) reference: Option<String>,
    /// The directory in the git repository (from `--replay`), unless `--subdir` gives one.
    pub(crate) subdir: Option<String>,
    /// The project name (from `--replay`), unless `--name` gives one: a replay makes the same
    /// files, wherever DEST is.
    pub(crate) project_name: Option<String>,
    /// Values, already checked, in precedence order: a key's first entry wins, and `-d` wins
    /// over all of them.
    pub(crate) values: Vec<(String, String)>,
}

/// Resolves `scaffold new` arguments. `ask_name` is called when neither DEST nor --name is given
/// and prompting is allowed.
pub(crate) fn resolve_new(
    args: &NewArgs,
    env: &Env,
    preset: &Preset,
    ask_name: &mut dyn FnMut() -> Result<String>,
) -> Result<new::Request> {
    let mut defines = parse_defines(&args.define)?;
    for (key, value) in &preset.values {
        if !defines.iter().any(|(k, _)| k == key) {
            defines.push((key.clone(), value.clone()));
        }
    }
    let input = if args.no_input || !env.stdin_is_tty {
        Input::Defaults
    } else {
        Input::Prompt
    };
    // With --replay the template comes from the project, and the one positional is DEST.
    let (template, dest_arg) = match (&preset.template, &args.template, &args.dest) {
        (Some(t), Some(first), None) => (t.clone(), Some(PathBuf::from(first))),
        (Some(t), _, dest) | (None, Some(t), dest) => (t.clone(), dest.clone()),
        (None, None, _) => return Err(usage!("no TEMPLATE given")),
    };
    let name_arg = args.name.clone().or_else(|| preset.project_name.clone());
    let (project_name, dest) = match (&name_arg, &dest_arg) {
        (Some(name), Some(dest)) => (name.clone(), dest.clone()),
        (Some(name), None) => (name.clone(), PathBuf::from(name.to_kebab_case())),
        (None, Some(dest)) => {
            let name = last_component(dest, &env.cwd)
                .map_err(|()| {
                    usage!(
                        "DEST `{}` is not valid UTF-8, so it cannot name the project; give the name with --name",
                        crate::util::text::shown(&dest.to_string_lossy())
                    )
                })?
                .ok_or_else(|| {
                    usage!(
                        "cannot take a project name from `{}`; give one with --name",
                        dest.shown()
                    )
                })?;
            (name, dest.clone())
        }
        (None, None) => {
            if input == Input::Prompt {
                let name = ask_name()?;
                let dest = PathBuf::from(name.to_kebab_case());
                (name, dest)
            } else {
                return Err(usage!(
                    "no project name: give DEST or --name (for example `scaffold new {} my-site`)",
                    template
                ));
            }
        }
    };
    let project_name = checked_name(&project_name)?;
    let package_name = python::package_name(&project_name);
    if dest.as_os_str().is_empty() {
        return Err(usage!("DEST is empty"));
    }
    // `new/.` and `new/` name `new`: drop `.` components so the parent is the real parent.
    let dest: PathBuf = if dest.components().count() > 1 {
        dest.components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect()
    } else {
        dest
    };
    Ok(new::Request {
        template,
        dest,
        project_name,
        package_name,
        defines,
        input,
        force: args.force,
        dry_run: args.dry_run,
        git: args.git,
        json: args.json,
        quiet: args.quiet,
    })
}

/// The git options of `new`, `info` and `check`.
pub(crate) fn git_options(args: &GitArgs) -> crate::sources::git::Options {
    crate::sources::git::Options {
        reference: args.reference.clone(),
        subdir: args.subdir.clone(),
        offline: args.offline,
        pre: args.pre,
        quiet: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> NewArgs {
        use clap::Parser;
        let mut argv = vec!["scaffold", "new"];
        argv.extend_from_slice(list);
        match crate::cli::args::Cli::try_parse_from(argv).unwrap().command {
            crate::cli::args::Command::New(a) => a,
            _ => unreachable!(),
        }
    }

    fn env(tty: bool) -> Env {
        Env {
            stdin_is_tty: tty,
            cwd: PathBuf::from("/home/me/work"),
        }
    }

    #[test]
    fn names_and_destinations() {
        // (arguments, tty, Ok((project name, dest, package)) or Err(part of message))
        type Case<'a> = (
            &'a [&'a str],
            bool,
            Result<(&'a str, &'a str, &'a str), &'a str>,
        );
        let cases: &[Case] = &[
            (
                &["chat", "my-chat"],
                false,
                Ok(("my-chat", "my-chat", "my_chat")),
            ),
            (
                &["chat", "a/b/my-chat"],
                false,
                Ok(("my-chat", "a/b/my-chat", "my_chat")),
            ),
            (
                &["chat", "--name", "Team Chat"],
                false,
                Ok(("Team Chat", "team-chat", "team_chat")),
            ),
            (
                &["chat", "x", "--name", "Shop"],
                false,
                Ok(("Shop", "x", "shop")),
            ),
            (&["chat", "."], false, Ok(("work", ".", "work"))),
            (&["chat", "sub/.."], false, Ok(("work", "sub/..", "work"))),
            (&["chat"], false, Err("no project name")),
            (&["chat", "/"], false, Err("cannot take a project name")),
            (&["chat", "asyncio"], false, Err("standard library")),
            (&["chat", "1x"], false, Err("not a valid Python identifier")),
            (
                &["chat", "x", "--name", "a\u{7}b"],
                false,
                Err("control character"),
            ),
            (
                &["chat", "x", "-d", "noequals"],
                false,
                Err("expected KEY=VALUE"),
            ),
            (&["chat", "x", "-d", "=v"], false, Err("expected KEY=VALUE")),
        ];
        for (argv, tty, want) in cases {
            let got = resolve_new(
                &args(argv),
                &env(*tty),
                &Preset::default(),
                &mut || unreachable!(),
            );
            match (got, want) {
                (Ok(r), Ok((name, dest, pkg))) => {
                    assert_eq!(
                        (
                            r.project_name.as_str(),
                            r.dest.to_str().unwrap(),
                            r.package_name.as_str()
                        ),
                        (*name, *dest, *pkg),
                        "{argv:?}"
                    );
                }
                (Err(e), Err(part)) => {
                    assert!(format!("{e:#}").contains(part), "{argv:?}: {e:#}");
                    assert_eq!(
                        crate::util::error::exit_code(&e),
                        2,
                        "{argv:?} is a usage error"
                    );
                }
                (got, want) => panic!("{argv:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    fn resolve_new_(
        args: &NewArgs,
        env: &Env,
        ask_name: &mut dyn FnMut() -> Result<String>,
    ) -> Result<new::Request> {
        resolve_new(args, env, &Preset::default(), ask_name)
    }

    #[test]
    fn input_mode() {
        let r = resolve_new_(&args(&["chat", "x"]), &env(true), &mut || unreachable!()).unwrap();
        assert_eq!(r.input, Input::Prompt);
        let r = resolve_new_(&args(&["chat", "x"]), &env(false), &mut || unreachable!()).unwrap();
        assert_eq!(r.input, Input::Defaults);
        let r = resolve_new_(
            &args(&["chat", "x", "--no-input"]),
            &env(true),
            &mut || unreachable!(),
        )
        .unwrap();
        assert_eq!(r.input, Input::Defaults);
        let r = resolve_new_(
            &args(&["chat"]),
            &env(true),
            &mut || Ok("Asked Name".into()),
        )
        .unwrap();
        assert_eq!(
            (r.project_name.as_str(), r.dest.to_str().unwrap()),
            ("Asked Name", "asked-name")
        );
    }

    #[test]
    fn defines_keep_order_and_equals_in_values_and_refuse_repeats() {
        let r = resolve_new_(
            &args(&["chat", "x", "-d", "b=x=y", "-d", "a=1"]),
            &env(false),
            &mut || unreachable!(),
        )
        .unwrap();
        assert_eq!(
            r.defines,
            vec![
                ("b".to_string(), "x=y".to_string()),
                ("a".to_string(), "1".to_string()),
            ]
        );
        let err = resolve_new_(
            &args(&["chat", "x", "-d", "a=1", "-d", "a=2"]),
            &env(false),
            &mut || unreachable!(),
        )
        .unwrap_err();
        assert_eq!(crate::util::error::exit_code(&err), 2);
        assert_eq!(
            err.to_string(),
            "`-d a` is given twice (`1` and `2`); give it once"
        );
    }
}
