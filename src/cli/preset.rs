//! What files given on the command line contribute to a request: the values of a
//! `--data-file`, and for `new --replay` another project's template, answers and name. Each
//! file is read within a bound, and its mistakes are usage errors that name it.

use std::path::Path;

use anyhow::Result;

use super::args::NewArgs;
use super::config::Preset;
use crate::ops::new::FileValues;
use crate::util::error::usage;
use crate::util::text::Shown as _;

/// A `--data-file`'s values, and the label its mistakes are named by (usage errors).
pub(crate) fn data_file(file: &Path) -> Result<FileValues> {
    let label = format!("--data-file `{}`", file.shown());
    let text = crate::util::read::read_small(file, crate::project::record::MAX_BYTES)
        .map_err(|e| usage!("{label}: {e:#}"))?;
    let values =
        crate::project::parse::values_file(&text).map_err(|why| usage!("{label}: {why}"))?;
    Ok((label, values))
}

/// What `--replay` and `--data-file` contribute, and each file's values.
pub(crate) fn read(args: &NewArgs) -> Result<(Preset, Vec<FileValues>)> {
    let mut preset = Preset::default();
    let mut from_files = Vec::new();
    if let Some(file) = &args.data_file {
        let (label, values) = data_file(file)?;
        preset.values.extend(values.iter().cloned());
        from_files.push((label, values));
    }
    if let Some(dir) = &args.replay {
        let project = crate::project::disk::find(dir)?;
        let r = &project.record;
        let (template, reference, subdir) = r.template.argument(&project.root);
        preset.template = Some(template);
        preset.reference = reference;
        preset.subdir = subdir;
        preset.project_name = Some(r.project.name.clone());
        let values: Vec<(String, String)> = r
            .answers
            .iter()
            .map(|a| (a.name.clone(), a.value.to_string()))
            .collect();
        preset.values.extend(values.iter().cloned());
        from_files.push((
            format!(
                "--replay `{}`",
                project.root.join(crate::project::record::FILE).shown()
            ),
            values,
        ));
    }
    Ok((preset, from_files))
}
