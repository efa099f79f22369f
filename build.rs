//! Generates the app's `i18n` module (keys, locales, interpolation builders) from
//! `locales/en.json` and `locales/es.json` with `leptos_i18n_build`; `src/i18n.rs` includes it.
//! English is the default: a key missing from another locale falls back to it, and the native
//! test `i18n::tests::every_locale_has_every_key` fails the build's tests.

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("i18n");
    let config = Config::new("en")
        .and_then(|c| c.add_locale("es"))
        .expect("valid locale names")
        // Interpolated keys also render to strings (`td_string!`), for attributes and notices.
        .parse_options(ParseOptions::default().interpolate_display(true));
    let infos = TranslationsInfos::parse(config).expect("locales/*.json parse");
    infos.rerun_if_locales_changed();
    infos.emit_warnings();
    infos
        .generate_i18n_module(out)
        .expect("the i18n module is written to OUT_DIR");
}
