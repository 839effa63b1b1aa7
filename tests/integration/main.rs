//! The one integration-test binary: the real `scaffold` binary run as users run it.

mod adversarial;
mod cli;
mod fixture;
