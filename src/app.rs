//! Runs a parsed command: the glue between the modules, one function per subcommand.

use std::io::IsTerminal;

use anyhow::{Context as _, Result, anyhow, bail};

use crate::answers::{self, Answers, Input, Prompter, Terminal};
use crate::cli::{Cli, Command, InfoArgs, ListArgs, NewArgs};
use crate::config::{self, Env, NewRequest};
use crate::manifest::{self, Manifest, Value};
use crate::output;
use crate::registry::{self, Registry};
use crate::render::{Engine, OutFile};
use crate::source::{Origin, TemplateSource};
use crate::write;

/// Runs one command.
pub fn run(cli: Cli) -> Result<()> {
    let registry = Registry::new(
        &cli.templates,
        std::env::var_os("SCAFFOLD_TEMPLATES").as_deref(),
    );
    match cli.command {
        Command::List(args) => list(&registry, &args),
        Command::Info(args) => info(&registry, &args),
        Command::New(args) => new(&registry, &cli.templates, &args),
        Command::Check(args) => crate::check::run(&registry, &args),
        Command::Completions(args) => {
            output::completions(args.shell);
            Ok(())
        }
    }
}

/// A template and its checked manifest.
pub struct Loaded {
    /// The files.
    pub source: TemplateSource,
    /// The parsed `template.toml`.
    pub manifest: Manifest,
}

/// Finds a template (by name, `embedded:NAME` or path) and checks its manifest.
pub fn load(registry: &Registry, name: &str) -> Result<Loaded> {
    let source = registry.find(name)?;
    let manifest = manifest::parse(&source)?;
    Ok(Loaded { source, manifest })
}

fn list(registry: &Registry, args: &ListArgs) -> Result<()> {
    let entries = registry.entries()?;
    let mut loaded = Vec::new();
    for entry in &entries {
        match &entry.origin {
            Origin::Embedded => {
                let source = registry::get(&entry.name).expect("listed template exists");
                let manifest = manifest::parse(&source)?;
                loaded.push(Loaded { source, manifest });
            }
            // One broken template of the user's does not hide the others.
            Origin::Directory(dir) => {
                match registry::load_dir(dir)
                    .and_then(|source| Ok((manifest::parse(&source)?, source)))
                {
                    Ok((manifest, source)) => loaded.push(Loaded { source, manifest }),
                    Err(_) => crate::eprint_line(&format!(
                        "warning: template `{}` in `{}` is broken; see `scaffold check {}`",
                        entry.name,
                        dir.display(),
                        shell_quote(&dir.display().to_string())
                    )),
                }
            }
        }
    }
    output::list(&loaded, args.json);
    Ok(())
}

fn info(registry: &Registry, args: &InfoArgs) -> Result<()> {
    let loaded = load(registry, &args.template)?;
    output::info(&loaded, args.json);
    Ok(())
}

/// Fixed values for the generated parts of the built-ins (tests use this).
#[derive(Debug, Clone, Default)]
pub struct Fixed {
    /// Instead of a fresh random cookie secret.
    pub cookie_secret: Option<String>,
    /// Instead of the current year.
    pub year: Option<i64>,
}

/// The built-in variables for a request.
pub fn builtins(req: &NewRequest, fixed: &Fixed) -> Result<Answers> {
    let secret = match &fixed.cookie_secret {
        Some(s) => s.clone(),
        None => random_secret()?,
    };
    let year = fixed.year.unwrap_or_else(current_year);
    Ok(Answers {
        values: vec![
            ("project_name".into(), Value::Str(req.project_name.clone())),
            (
                "project_slug".into(),
                Value::Str(heck::ToKebabCase::to_kebab_case(req.project_name.as_str())),
            ),
            ("package_name".into(), Value::Str(req.package_name.clone())),
            ("cookie_secret".into(), Value::Str(secret)),
            ("year".into(), Value::Int(year)),
            (
                "scaffold_version".into(),
                Value::Str(env!("CARGO_PKG_VERSION").to_string()),
            ),
        ],
    })
}

/// 32 bytes from the operating system's CSPRNG, as 64 hex characters.
pub fn random_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow!("cannot get random bytes: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The current year in UTC.
pub fn current_year() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    year_of_day(secs.div_euclid(86_400))
}

/// The proleptic Gregorian year of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
pub fn year_of_day(days: i64) -> i64 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    yoe + era * 400 + i64::from(month <= 2)
}

/// Everything a run produces in memory: the answers and the rendered files.
pub struct Rendered {
    /// Every variable's value.
    pub answers: Answers,
    /// The files to write.
    pub files: Vec<OutFile>,
    /// The rendered next-steps message.
    pub next_steps: Option<String>,
}

/// Resolves variables and renders every file, touching nothing on disk.
pub fn render(
    loaded: &Loaded,
    builtins: Answers,
    defines: &[(String, String)],
    input: Input,
    prompter: &mut dyn Prompter,
    dest_label: &str,
) -> Result<Rendered> {
    let engine = Engine::new(&loaded.source)?;
    let answers = answers::resolve(
        &engine,
        &loaded.manifest,
        builtins,
        defines,
        input,
        prompter,
    )?;
    let ctx = answers.context();
    let files = engine
        .render_all(&loaded.source, &loaded.manifest, &ctx)
        .map_err(|e| blame_define(e, defines))?;
    let next_steps = match &loaded.manifest.next_steps {
        Some(text) => {
            let mut ctx = ctx.clone();
            ctx.insert("dest", dest_label);
            Some(
                engine
                    .render_str(text, &ctx)
                    .map_err(|e| anyhow!("template `{}`: next_steps: {e}", loaded.manifest.name))?,
            )
        }
        None => None,
    };
    Ok(Rendered {
        answers,
        files,
        next_steps,
    })
}

/// The absolute, symlink-free form of a path that may not exist yet: its deepest existing
/// ancestor canonicalized, the rest appended.
fn resolve_path(path: &std::path::Path) -> std::path::PathBuf {
    let absolute = std::env::current_dir().unwrap_or_default().join(path);
    let mut existing = absolute.clone();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(&existing) {
            return rest.into_iter().rev().fold(real, |p, c| p.join(c));
        }
        match (
            existing.file_name().map(|n| n.to_owned()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return absolute,
        }
    }
}

/// Writing into the template's own directory would corrupt it (and feed the next run).
fn refuse_dest_in_template(loaded: &Loaded, dest: &std::path::Path) -> Result<()> {
    let Origin::Directory(dir) = &loaded.source.origin else {
        return Ok(());
    };
    let template = resolve_path(dir);
    if resolve_path(dest).starts_with(&template) {
        return Err(crate::usage!(
            "destination `{}` is inside the template directory `{}`; choose a destination outside it",
            dest.display(),
            dir.display()
        ));
    }
    Ok(())
}

/// A file name made unsafe by a `-d` value is the user's input error (exit 2), named as such.
fn blame_define(err: anyhow::Error, defines: &[(String, String)]) -> anyhow::Error {
    let Some(path) = err.downcast_ref::<crate::render::PathError>() else {
        return err;
    };
    let culprit = defines.iter().rev().find(|(_, v)| {
        if v.is_empty() {
            path.rendered.is_empty()
        } else {
            path.rendered.contains(v.as_str())
        }
    });
    match culprit {
        Some((key, value)) => crate::usage!(
            "`-d {key}={}`: the value is used in the file name `{}`, which then {}",
            crate::shown(value),
            path.source,
            path.why.trim_start_matches("which ")
        ),
        None => err,
    }
}

fn new(registry: &Registry, templates: &[std::path::PathBuf], args: &NewArgs) -> Result<()> {
    let env = Env {
        stdin_is_tty: std::io::stdin().is_terminal(),
        cwd: std::env::current_dir().context("cannot read the current directory")?,
    };
    let req = config::resolve_new(args, &env, &mut || ask_project_name(&mut Terminal))?;
    let loaded = load(registry, &req.template)?;
    refuse_dest_in_template(&loaded, &req.dest)?;
    let builtins = builtins(&req, &Fixed::default())?;
    let dest_label = shell_quote(&req.dest.display().to_string());
    let rendered = render(
        &loaded,
        builtins,
        &req.defines,
        req.input,
        &mut Terminal,
        &dest_label,
    )?;
    if !req.quiet && !req.json {
        for problem in crate::portable::problems(rendered.files.iter().map(|f| f.path.as_str())) {
            crate::eprint_line(&format!("warning: {problem}"));
        }
    }
    let plan = write::plan(&req.dest, rendered.files.clone())?;
    if req.dry_run {
        output::new_result(&req, &loaded, &rendered, &plan);
        return Ok(());
    }
    if plan.state == write::DestState::NonEmpty && !req.force {
        let existing: Vec<&str> = plan
            .files
            .iter()
            .filter(|(_, a)| *a == write::Action::Overwrite)
            .map(|(f, _)| f.path.as_str())
            .collect();
        let identical = plan.existing().len() - existing.len();
        if existing.is_empty() {
            bail!(
                "destination `{}` is not empty; no file in it would be overwritten, but \
                 scaffold only adds to a non-empty directory with --force",
                req.dest.display()
            );
        }
        let shown: Vec<String> = existing.iter().take(20).map(|p| format!("  {p}")).collect();
        let mut more = if existing.len() > 20 {
            format!("\n  ... and {} more", existing.len() - 20)
        } else {
            String::new()
        };
        if identical > 0 {
            more.push_str(&format!(
                "\n  ({identical} more already have the same contents)"
            ));
        }
        bail!(
            "destination `{}` is not empty and these files would be overwritten:\n{}{more}\n\
             to replace them (and touch nothing else), run again with --force:\n  scaffold {}",
            req.dest.display(),
            shown.join("\n"),
            force_command(templates, args)
        );
    }
    write::apply(&plan)?;
    output::new_result(&req, &loaded, &rendered, &plan);
    Ok(())
}

fn ask_project_name(prompter: &mut dyn Prompter) -> Result<String> {
    loop {
        let Some(name) = prompter.ask("project name: ")? else {
            bail!("end of input while asking for the project name");
        };
        match config::check_project_name(&name) {
            Ok(()) => return Ok(name.trim().to_string()),
            Err(why) => prompter.tell(&format!("the project name: {why}")),
        }
    }
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@+,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

fn force_command(templates: &[std::path::PathBuf], args: &NewArgs) -> String {
    let mut words = Vec::new();
    for dir in templates {
        words.push("--templates".to_string());
        words.push(shell_quote(&dir.display().to_string()));
    }
    words.extend(["new".to_string(), shell_quote(&args.template)]);
    if let Some(dest) = &args.dest {
        words.push(shell_quote(&dest.display().to_string()));
    }
    if let Some(name) = &args.name {
        words.push("--name".into());
        words.push(shell_quote(name));
    }
    for d in &args.define {
        words.push("-d".into());
        words.push(shell_quote(d));
    }
    if args.no_input {
        words.push("--no-input".into());
    }
    words.push("--force".into());
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years() {
        for (days, year) in [
            (0, 1970),
            (365, 1971),
            (10_957, 2000),
            (20_819, 2027),
            (-1, 1969),
        ] {
            assert_eq!(year_of_day(days), year, "{days}");
        }
    }

    #[test]
    fn secrets_are_hex_and_differ() {
        let a = random_secret().unwrap();
        let b = random_secret().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("my-chat"), "my-chat");
        assert_eq!(shell_quote("my chat"), "'my chat'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
