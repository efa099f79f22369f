//! Generates the app's `i18n` module (keys, locales, interpolation builders) from
//! `locales/en.json` and `locales/es.json` with `leptos_i18n_build`; `src/i18n.rs` includes it.
//! English is the default: a key missing from another locale falls back to it, and the native
//! test `i18n::tests::every_locale_has_every_key` fails the build's tests.
//!
//! It also writes `templates.rs`: each text with `{{ placeholders }}` as written, one per locale,
//! which `t!` fills at run time (`i18n::fill`). leptos_i18n's own interpolation compiles every
//! such key into formatting code of its own (issue 9: the release wasm must not grow).

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The locales, default first; `templates.rs` lists each text in this order.
const LOCALES: [&str; 2] = ["en", "es"];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let config = LOCALES[1..]
        .iter()
        .try_fold(
            Config::new(LOCALES[0]).expect("valid locale name"),
            |c, l| c.add_locale(l),
        )
        .expect("valid locale names")
        // Interpolated keys also render to strings (`td_string!`), for attributes and notices.
        .parse_options(ParseOptions::default().interpolate_display(true));
    let infos = TranslationsInfos::parse(config).expect("locales/*.json parse");
    infos.rerun_if_locales_changed();
    infos.emit_warnings();
    infos
        .generate_i18n_module(out_dir.join("i18n"))
        .expect("the i18n module is written to OUT_DIR");
    std::fs::write(out_dir.join("templates.rs"), templates())
        .expect("templates.rs is written to OUT_DIR");
}

/// `pub const key: Texts = [en, es];` for every text with a placeholder, and `pick`, which
/// chooses a locale's text. A locale without the key gets the default's text, as leptos_i18n
/// does.
fn templates() -> String {
    let locales: Vec<BTreeMap<String, String>> = LOCALES
        .iter()
        .map(|l| {
            let json = std::fs::read_to_string(format!("locales/{l}.json"))
                .expect("locales/*.json are readable");
            serde_json::from_str(&json).expect("a locale file is a flat JSON object of strings")
        })
        .collect();
    let mut out = format!(
        "/// A key's text in each locale.\npub type Texts = [&'static str; {}];\n",
        LOCALES.len()
    );
    for (key, default) in locales[0].iter().filter(|(_, text)| text.contains("{{")) {
        let texts: Vec<String> = locales
            .iter()
            .map(|texts| format!("{:?}", texts.get(key).unwrap_or(default)))
            .collect();
        let _ = writeln!(out, "pub const {key}: Texts = [{}];", texts.join(", "));
    }
    let arms: Vec<String> = LOCALES
        .iter()
        .enumerate()
        .map(|(i, l)| format!("super::Locale::{l} => texts[{i}]"))
        .collect();
    let _ = writeln!(
        out,
        "pub fn pick(texts: &Texts, locale: super::Locale) -> &'static str {{ match locale {{ {} }} }}",
        arms.join(", ")
    );
    out
}
