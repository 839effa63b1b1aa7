//! The case-conversion filters templates may use, registered in one place.
//!
//! Names follow cargo-generate's (`snake_case`, `kebab_case`, `upper_camel_case`, ...); the
//! conversions are heck's.

use heck::{
    ToKebabCase, ToLowerCamelCase, ToShoutyKebabCase, ToShoutySnakeCase, ToSnakeCase, ToTitleCase,
    ToTrainCase, ToUpperCamelCase,
};
use tera::{Kwargs, State, Tera};

/// A filter name and the conversion it applies.
pub(crate) type CaseFilter = (&'static str, fn(&str) -> String);

/// Every filter name and its conversion, for registration and documentation.
pub(crate) const CASE_FILTERS: &[CaseFilter] = &[
    ("snake_case", |s| s.to_snake_case()),
    ("kebab_case", |s| s.to_kebab_case()),
    ("upper_camel_case", |s| s.to_upper_camel_case()),
    ("lower_camel_case", |s| s.to_lower_camel_case()),
    ("shouty_snake_case", |s| s.to_shouty_snake_case()),
    ("shouty_kebab_case", |s| s.to_shouty_kebab_case()),
    ("title_case", |s| s.to_title_case()),
    ("train_case", |s| s.to_train_case()),
];

/// Registers every case filter on `tera`.
pub(crate) fn register(tera: &mut Tera) {
    for &(name, convert) in CASE_FILTERS {
        tera.register_filter(name, move |s: &str, _: Kwargs, _: &State| convert(s));
    }
}
