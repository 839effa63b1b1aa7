//! The one integration-test binary: the real `scaffold` binary run as users run it, one
//! module per feature. Hostile cases assert the exit code, that the message names the culprit,
//! and that nothing outside the templates changed (see `fixture::refused`).

mod bounds;
mod check;
mod destination;
mod fixture;
mod gitsource;
mod manifest;
mod new;
mod new_over;
mod output;
mod paths;
mod project;
mod readme;
mod render;
mod reports;
mod state;
mod templates;
mod trust;
mod update;
mod values;
