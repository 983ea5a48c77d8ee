//! Markdown from plugin developers, rendered to HTML that is safe to put in a page.

use pulldown_cmark::{html, Options, Parser};

/// Renders markdown and strips anything that could run script or restyle the host page:
/// only ammonia's allow-list of tags survives, links get `rel="noopener noreferrer nofollow"`,
/// and raw HTML in the source is sanitised like everything else.
pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TASKLISTS);
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["https", "http", "mailto"].into())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&unsafe_html)
        .to_string()
}

/// A plain-text excerpt of markdown for cards: markup removed, cut at a word boundary.
pub fn excerpt(markdown: &str, max_chars: usize) -> String {
    let mut text = String::new();
    for event in Parser::new(markdown) {
        use pulldown_cmark::Event;
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(_) => text.push(' '),
            _ => {}
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= max_chars {
        return text;
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = cut.rsplit_once(' ').map(|(head, _)| head).unwrap_or(&cut);
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_removed() {
        let html = render("Hi <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) **bold**");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("<strong>bold</strong>"), "{html}");
    }

    #[test]
    fn links_are_kept_with_a_safe_rel() {
        let html = render("[docs](https://example.com/docs)");
        assert!(html.contains(r#"href="https://example.com/docs""#), "{html}");
        assert!(html.contains("noopener"), "{html}");
    }

    #[test]
    fn excerpt_strips_markup_and_cuts_on_a_word() {
        assert_eq!(excerpt("# Title\n\nSome **bold** text.", 100), "Title Some bold text.");
        assert_eq!(excerpt("alpha beta gamma delta", 12), "alpha beta…");
    }
}
