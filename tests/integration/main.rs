//! The one integration-test binary: snapshots of every template, the CLI, and writing.

mod adversarial;
mod cli;
mod fixture;
mod properties;
mod snapshots;
