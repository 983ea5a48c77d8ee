//! Reading the server's HTML the way a test asserts on it.

/// The `data-plugin-slug` values of the grid's cards, in page order.
pub fn card_slugs(html: &str) -> Vec<String> {
    html.split("<article data-plugin-slug=\"")
        .skip(1)
        .filter(|rest| rest.split('>').next().is_some_and(|tag| tag.contains("class=\"plugin-card\"")))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// The HTML of one card.
pub fn card_html<'a>(html: &'a str, slug: &str) -> &'a str {
    let start = html
        .find(&format!("data-plugin-slug=\"{slug}\""))
        .unwrap_or_else(|| panic!("no card for {slug}"));
    let rest = &html[start..];
    &rest[..rest.find("</article>").unwrap_or(rest.len())]
}
