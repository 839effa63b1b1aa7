//! Tests that span modules: the layout rule, snapshots of every embedded template, and
//! property tests over paths, `-d` parsing and generated templates.

mod history;
mod layout;
mod properties;
mod snapshots;
pub(crate) mod words;
