//! The flow page's theme (issue 12, "Theming per app"): an app's appearance, with an embed's
//! `?appearance=` override laid over it, turned into what goes in the page's `<head>` before
//! the app's first paint — one `<style>` of CSS custom properties (`--pf-theme-*`, which
//! `style/main.css` reads with the built-in look as fallback), `color-scheme`, a
//! `prefers-color-scheme` rule for `auto`, and the header's name and logo as `<meta>` tags the
//! app reads.
//!
//! Every value written here is the model's re-serialisation of a parsed value
//! ([`payout_model::appearance::ThemeValue`]), never the text that came in; the `<style>` is
//! allowed by its sha256 in the page's CSP like any inline element ([`crate::headers`]). An
//! override that breaks a rule is not applied: the page keeps the app's own look and says why
//! in the browser console (an inline script, also hashed), naming the field.

use crate::html::escape_attr;
use payout_model::appearance::{
    logo_origin, Appearance, Palette, Source, Theme, ThemeMode, ThemeValue, Var,
};
use payout_model::{ApiError, Invalid, Origin};
use std::fmt::Write as _;

/// What the flow page of one app adds to its `<head>`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct PageTheme {
    /// The elements to insert before `</head>` (empty for the built-in look).
    pub head: String,
    /// The logo's origin, for the page's `img-src`.
    pub logo_origin: Option<Origin>,
}

/// The head of the page of a flow of an app whose stored appearance is `saved`, opened with the
/// query's `appearance` (JSON text) if any.
pub(crate) fn page_theme(saved: &Appearance, override_json: Option<&str>) -> PageTheme {
    let mut head = String::new();
    let shown = as_shown(saved);
    let appearance = match override_json.map(|json| read_override(&shown, json)) {
        Some(Ok(merged)) => merged,
        Some(Err(message)) => {
            console_error(&mut head, &message);
            shown
        }
        None => shown,
    };
    let theme = (!appearance.is_empty())
        .then(|| appearance.resolve(Source::Settings, "appearance").ok())
        .flatten();
    let Some(theme) = theme else {
        return PageTheme {
            head,
            logo_origin: None,
        };
    };
    head.push_str("<style id=\"pf-theme\">");
    head.push_str(&style(&theme));
    head.push_str("</style>");
    let mut logo = None;
    if let Some(ThemeValue::Text(name)) = theme.light.get(Var::app_name) {
        meta(&mut head, "pf-app-name", name);
    }
    if let Some(ThemeValue::Url(url)) = theme.light.get(Var::logo_url) {
        logo = logo_origin(url);
        if logo.is_some() {
            meta(&mut head, "pf-logo-url", url);
        }
    }
    PageTheme {
        head,
        logo_origin: logo,
    }
}

/// `saved` as the flow page shows it: whole when it keeps every rule; stored before a rule
/// tightened, without the variables that now break one (their defaults instead), keeping the
/// rest of the look, the logo and the name; the built-in look when that still breaks one.
fn as_shown(saved: &Appearance) -> Appearance {
    let Err(invalid) = saved.resolve(Source::Settings, "appearance") else {
        return saved.clone();
    };
    tracing::warn!(message = %ApiError::from(invalid.clone()).message, "stored appearance breaks a rule");
    let kept = saved.without_broken(&invalid, "appearance");
    match kept.resolve(Source::Settings, "appearance") {
        Ok(_) => kept,
        Err(_) => Appearance::default(),
    }
}

/// The override read and checked by the rules of the settings (less the app's identity), laid
/// over `shown` (the saved look as the page shows it, [`as_shown`]: a saved variable that breaks
/// a newer rule does not refuse it; review: it did, in words naming a field the host never
/// sent); else what is wrong, in the API's words.
fn read_override(shown: &Appearance, json: &str) -> Result<Appearance, String> {
    let mut de = serde_json::Deserializer::from_str(json);
    let over: Appearance = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = match e.path().to_string().as_str() {
            "." => "appearance".to_owned(),
            path => format!("appearance.{path}"),
        };
        format!("{field}: {}", e.inner())
    })?;
    let wording = |invalid: Invalid| ApiError::from(invalid).message;
    over.check_values(Source::Override, "appearance")
        .map_err(wording)?;
    let merged = shown.overlaid(&over);
    merged
        .resolve(Source::Settings, "appearance")
        .map_err(wording)?;
    Ok(merged)
}

/// The theme's CSS: each theme's values as `--pf-theme-*` custom properties on `:root`, with
/// its `color-scheme`; `auto` adds the dark ones under `prefers-color-scheme: dark`.
pub(crate) fn style(theme: &Theme) -> String {
    let mut css = String::new();
    match theme.mode {
        ThemeMode::Light => {
            css.push_str(":root{color-scheme:light;");
            properties(&mut css, &theme.light);
            css.push('}');
        }
        ThemeMode::Dark => {
            css.push_str(":root{color-scheme:dark;");
            properties(&mut css, &theme.dark);
            css.push('}');
        }
        ThemeMode::Auto => {
            css.push_str(":root{color-scheme:light dark;");
            properties(&mut css, &theme.light);
            css.push_str("}@media (prefers-color-scheme: dark){:root{");
            properties(&mut css, &theme.dark);
            css.push_str("}}");
        }
    }
    css
}

/// One theme's custom properties, and the colours the flow derives from them (hover, tinted
/// notice backgrounds), mixed here so the CSS needs no `color-mix()`.
fn properties(css: &mut String, palette: &Palette) {
    for (var, value) in &palette.values {
        if matches!(value, ThemeValue::Url(_) | ThemeValue::Text(_)) {
            continue;
        }
        let _ = write!(css, "--pf-theme-{}:{value};", kebab(var.as_str()));
    }
    for (name, value) in palette.derived() {
        let _ = write!(css, "--pf-theme-{name}:{value};");
    }
}

/// `colorPrimary` → `color-primary`.
fn kebab(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A `<meta name=… content=…>` with the content escaped for the attribute.
fn meta(head: &mut String, name: &str, content: &str) {
    let _ = write!(
        head,
        "<meta name=\"{name}\" content=\"{}\">",
        escape_attr(content)
    );
}

/// An inline script that logs `message` as an error in the browser console; the message is
/// a JSON string with `<`, `>` and `&` escaped, so no text closes the script.
fn console_error(head: &mut String, message: &str) {
    let text = format!("payout-flows: the appearance override was not applied: {message}");
    let json = serde_json::Value::String(text)
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    let _ = write!(head, "<script>console.error({json})</script>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn appearance(json: serde_json::Value) -> Appearance {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn writes_custom_properties_from_parsed_values() {
        let theme = page_theme(
            &appearance(serde_json::json!({"variables": {"colorPrimary": "#15C",
                "fontFamily": "Inter, sans-serif", "appName": "Acme & Co"}})),
            None,
        );
        assert!(theme
            .head
            .starts_with("<style id=\"pf-theme\">:root{color-scheme:light;"));
        assert!(theme.head.contains("--pf-theme-color-primary:#1155cc;"));
        assert!(theme
            .head
            .contains("--pf-theme-font-family:\"Inter\", sans-serif;"));
        assert!(theme
            .head
            .contains("<meta name=\"pf-app-name\" content=\"Acme &amp; Co\">"));
        assert!(!theme.head.contains("prefers-color-scheme"));
        assert_eq!(
            page_theme(&Appearance::default(), None),
            PageTheme::default()
        );
    }

    /// Review: a theme saved before a rule tightened (here the secondary text's contrast on the
    /// page) lost the whole look, the logo and the name on the flow page. Only the variable
    /// that breaks a rule now falls back to its default.
    #[test]
    fn a_stored_theme_that_breaks_a_newer_rule_keeps_the_rest() {
        let theme = page_theme(
            &appearance(serde_json::json!({"variables": {"colorPrimary": "#15C",
                "colorTextSecondary": "#767676", "colorSurface": "#fff",
                "appName": "Acme"}})),
            None,
        );
        assert!(theme.head.contains("--pf-theme-color-primary:#1155cc;"));
        assert!(theme
            .head
            .contains("<meta name=\"pf-app-name\" content=\"Acme\">"));
        assert!(!theme.head.contains("#767676"), "{}", theme.head);
    }

    /// Review: with such a stored theme, an embed's valid override was refused, the console
    /// naming the stored variable the host never sent. It applies over the look the page shows.
    #[test]
    fn an_override_applies_over_a_stored_theme_that_breaks_a_newer_rule() {
        let theme = page_theme(
            &appearance(serde_json::json!({"variables": {"colorPrimary": "#15C",
                "colorTextSecondary": "#767676", "colorSurface": "#fff"}})),
            Some(r#"{"variables": {"borderRadius": "4px"}}"#),
        );
        assert!(!theme.head.contains("console.error"), "{}", theme.head);
        assert!(
            theme.head.contains("--pf-theme-border-radius:4px;"),
            "{}",
            theme.head
        );
        assert!(theme.head.contains("--pf-theme-color-primary:#1155cc;"));
        assert!(!theme.head.contains("#767676"), "{}", theme.head);
        // Review of that fix: a stored theme that still breaks rules without its broken
        // variables (here defaults it never set, on its dark surface) shows the built-in look;
        // the override applies over that, not over the stored theme.
        let theme = page_theme(
            &appearance(serde_json::json!({"variables": {"colorBackground": "#000",
                "colorSurface": "#111", "colorText": "#fff", "colorTextSecondary": "#ccc"}})),
            Some(r#"{"variables": {"borderRadius": "4px"}}"#),
        );
        assert!(!theme.head.contains("console.error"), "{}", theme.head);
        assert!(
            theme.head.contains("--pf-theme-border-radius:4px;"),
            "{}",
            theme.head
        );
        assert!(!theme.head.contains("#111"), "{}", theme.head);
    }

    /// The app's CSS falls back to the light defaults the contrast rule checks themes against:
    /// a colour changed in one place and not the other would check a look nobody sees.
    #[test]
    fn the_css_fallbacks_are_the_light_defaults() {
        let css = include_str!("../../../style/main.css");
        for (var, color) in payout_model::appearance::defaults(ThemeMode::Light) {
            let name = format!("var(--pf-theme-{}, ", kebab(var.as_str()));
            let at = css
                .find(&name)
                .unwrap_or_else(|| panic!("{name} not in main.css"))
                + name.len();
            let fallback = &css[at..at + css[at..].find(')').unwrap()];
            assert_eq!(fallback, color.to_string(), "{}", var.as_str());
        }
    }

    #[test]
    fn a_bad_override_is_logged_never_applied() {
        let saved = appearance(serde_json::json!({"variables": {"colorPrimary": "#1f4fd1"}}));
        let theme = page_theme(
            &saved,
            Some(r##"{"variables":{"colorPrimary":"red;}</style><script>alert(1)</script>"}}"##),
        );
        assert!(theme
            .head
            .starts_with("<script>console.error(\"payout-flows:"));
        assert!(theme.head.contains("appearance.variables.colorPrimary"));
        assert_eq!(theme.head.matches("</script>").count(), 1);
        assert!(!theme.head.contains("alert"));
        assert!(theme.head.contains("--pf-theme-color-primary:#1f4fd1;"));
        let unknown = page_theme(&saved, Some(r##"{"variables":{"colorPrimry":"#000"}}"##));
        assert!(
            unknown.head.contains("appearance.variables.colorPrimry"),
            "{}",
            unknown.head
        );
        let applied = page_theme(&saved, Some(r##"{"theme":"dark"}"##));
        assert!(applied.head.contains(":root{color-scheme:dark;"));
    }
}
