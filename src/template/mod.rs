//! A template's meaning, in memory: variable types and values, the built-in variables, the
//! case filters, Tera set up for scaffold (and plain files rendered without it), the manifest
//! and its checks, the answers (from `-d`, prompts or defaults), and every file rendered.
//! Nothing here touches the disk.

pub(crate) mod answers;
pub(crate) mod builtins;
pub(crate) mod engine;
pub(crate) mod filters;
pub(crate) mod manifest;
pub(crate) mod plain;
pub(crate) mod render;
pub(crate) mod values;
