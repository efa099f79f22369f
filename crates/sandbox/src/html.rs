//! The little HTML the sandbox writes into pages it serves: attribute values escaped, and
//! elements inserted into a document's `<head>`.

/// `s` safe inside a double-quoted HTML attribute.
pub(crate) fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `html` with `head` inserted before its `</head>` (or at its start when it has none).
pub(crate) fn insert_head(html: &str, head: &str) -> String {
    if head.is_empty() {
        return html.to_owned();
    }
    let at = html.to_ascii_lowercase().find("</head>").unwrap_or(0);
    let mut out = String::with_capacity(html.len() + head.len());
    out.push_str(&html[..at]);
    out.push_str(head);
    out.push_str(&html[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_attribute_values() {
        assert_eq!(
            escape_attr(r#"http://x/"><script>'&"#),
            "http://x/&quot;&gt;&lt;script&gt;&#39;&amp;"
        );
    }

    #[test]
    fn inserts_before_the_end_of_head() {
        assert_eq!(
            insert_head(
                "<html><head><title>x</title></HEAD><body>",
                "<style>a</style>"
            ),
            "<html><head><title>x</title><style>a</style></HEAD><body>"
        );
        assert_eq!(insert_head("<p>", ""), "<p>");
    }
}
