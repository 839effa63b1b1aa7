//! The one integration-test binary: snapshots of every template, the CLI, and writing.

mod cli;
mod fixture;
mod snapshots;
