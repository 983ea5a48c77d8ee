use crate::domain::PluginCard;
use leptos::prelude::*;

/// "12,840" for 12840.
pub fn format_count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A square icon: the plugin's own image, or its initials on a colour of its own.
#[component]
pub fn PluginIcon(name: String, slug: String, icon_url: Option<String>, #[prop(default = "")] size: &'static str) -> impl IntoView {
    let class = format!("plugin-icon {size}");
    match icon_url {
        Some(url) => view! { <img class=class src=url alt="" loading="lazy" width="48" height="48"/> }.into_any(),
        None => {
            let initials: String = name
                .split_whitespace()
                .filter_map(|w| w.chars().next())
                .take(2)
                .collect::<String>()
                .to_uppercase();
            let hue = slug.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32)) % 360;
            view! {
                <span class=class style=format!("--hue: {hue}") aria-hidden="true">{initials}</span>
            }
            .into_any()
        }
    }
}

#[component]
pub fn Rating(rating: f64, count: i64) -> impl IntoView {
    if count == 0 {
        view! { <span class="rating muted">"No reviews yet"</span> }.into_any()
    } else {
        let label = format!("Rated {rating:.1} out of 5 from {count} reviews");
        view! {
            <span class="rating" title=label.clone() aria-label=label>
                <span class="star" aria-hidden="true">"★"</span>
                {format!(" {rating:.1} ")}
                <span class="muted">{format!("({})", format_count(count))}</span>
            </span>
        }
        .into_any()
    }
}

/// Category, Verified and Installed, as the card and the plugin page show them.
#[component]
pub fn PluginBadges(plugin: PluginCard) -> impl IntoView {
    view! {
        <div class="badges">
            <span class="badge category">{plugin.category.label()}</span>
            {plugin.is_verified.then(|| view! {
                <span class="badge verified" title="Verified by Plugboard">"✓ Verified"</span>
            })}
            {plugin.is_installed.then(|| view! { <span class="badge installed">"Installed"</span> })}
        </div>
    }
}

#[component]
pub fn PluginCardView(plugin: PluginCard) -> impl IntoView {
    let href = format!("/marketplace/{}", plugin.slug);
    view! {
        <article class="plugin-card" data-plugin-slug=plugin.slug.clone()>
            <a class="card-link" href=href>
                <div class="card-head">
                    <PluginIcon name=plugin.name.clone() slug=plugin.slug.clone() icon_url=plugin.icon_url.clone()/>
                    <div class="card-title">
                        <h2>{plugin.name.clone()}</h2>
                        <p class="author">"by " {plugin.author.clone()}</p>
                    </div>
                </div>
                <p class="excerpt">{plugin.excerpt.clone()}</p>
                <PluginBadges plugin=plugin.clone()/>
                <div class="card-foot">
                    <Rating rating=plugin.rating count=plugin.review_count/>
                    <span class="installs">{format_count(plugin.install_count)} " installs"</span>
                </div>
            </a>
        </article>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(super::format_count(0), "0");
        assert_eq!(super::format_count(999), "999");
        assert_eq!(super::format_count(12_840), "12,840");
        assert_eq!(super::format_count(1_234_567), "1,234,567");
    }
}
