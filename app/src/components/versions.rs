//! A plugin's versions on the console, staff and marketplace pages: the history with its
//! release notes, and a version compared with the live one.

use crate::components::format::format_date;
use crate::domain::{BundleRef, Scope, VersionDiff, VersionSummary};
use leptos::prelude::*;

/// Scopes as the consent screen names them: each with its sentence.
#[component]
pub fn ScopeItems(scopes: Vec<Scope>, #[prop(into)] mark: String) -> impl IntoView {
    scopes
        .into_iter()
        .map(|s| {
            let mark = mark.clone();
            view! { <li data-scope=s.as_str() data-change=mark><strong>{s.as_str()}</strong><span>{s.sentence()}</span></li> }
        })
        .collect_view()
}

fn bundle_text(bundle: &Option<BundleRef>) -> String {
    match bundle {
        Some(b) => format!("{}… ({} bytes)", &b.sha256[..12.min(b.sha256.len())], b.bytes),
        None => "none".to_owned(),
    }
}

/// A version against the live one, field by field: staff read it before they decide,
/// developers see what their draft would change.
#[component]
pub fn VersionDiffView(diff: VersionDiff) -> AnyView {
    let heading = match diff.live_number {
        Some(live) => format!("Version {} against live version {live}", diff.number),
        None => format!("Version {} (nothing is live yet)", diff.number),
    };
    let nothing = diff.is_empty();
    let bundle = diff.bundle_changed.then(|| {
        let after_link = diff.bundle_after.as_ref().map(|b| format!("/bundles/{}.js", b.sha256));
        view! {
            <div class="diff-bundle" data-testid="diff-bundle">
                <h4>"Client-side code changed"</h4>
                <p>{format!("Before: {}", bundle_text(&diff.bundle_before))}</p>
                <p>{format!("After: {}", bundle_text(&diff.bundle_after))}
                    {after_link.map(|href| view! { " · " <a href=href target="_blank" rel="noopener">"View its text"</a> })}
                </p>
            </div>
        }
    });
    view! {
        <section class="version-diff" data-testid="version-diff" data-version=diff.number>
            <h3>{heading}</h3>
            {diff.release_notes.clone().map(|n| view! { <div class="release-notes"><h4>"What's new"</h4><p class="pre-wrap">{n}</p></div> })}
            {nothing.then(|| view! { <p class="muted">"Nothing differs from the live version."</p> })}
            {(!diff.scopes_added.is_empty() || !diff.scopes_removed.is_empty()).then(|| view! {
                <h4>"Permissions"</h4>
                <ul class="scope-list diff-scopes" data-testid="diff-scopes">
                    <ScopeItems scopes=diff.scopes_added.clone() mark="added"/>
                    <ScopeItems scopes=diff.scopes_removed.clone() mark="removed"/>
                </ul>
            })}
            {(!diff.origins_added.is_empty() || !diff.origins_removed.is_empty()).then(|| view! {
                <h4>"Network origins"</h4>
                <ul class="diff-origins" data-testid="diff-origins">
                    {diff.origins_added.iter().map(|o| view! { <li data-change="added">{format!("+ {o}")}</li> }).collect_view()}
                    {diff.origins_removed.iter().map(|o| view! { <li data-change="removed">{format!("− {o}")}</li> }).collect_view()}
                </ul>
            })}
            {bundle}
            {(!diff.changes.is_empty()).then(|| view! {
                <table class="diff-fields" data-testid="diff-fields">
                    <thead><tr><th>"Field"</th><th>"Live"</th><th>"This version"</th></tr></thead>
                    <tbody>
                        {diff.changes.iter().map(|c| view! {
                            <tr data-field=c.field.clone()><th>{c.field.clone()}</th><td class="pre-wrap">{c.before.clone()}</td><td class="pre-wrap">{c.after.clone()}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
    .into_any()
}

/// Every version, newest first, with its state, dates and release notes.
#[component]
pub fn VersionHistory(versions: Vec<VersionSummary>) -> AnyView {
    view! {
        <section class="panel versions" data-testid="version-history">
            <h2>"Versions"</h2>
            <ol class="version-list">
                {versions.into_iter().map(|v| {
                    let when = v.decided_at.or(v.submitted_at).unwrap_or(v.created_at);
                    view! {
                        <li data-version=v.number data-state=v.state.as_str()>
                            <strong>{format!("Version {}", v.number)}</strong>
                            {format!(" · {}", v.state.label())}
                            {v.live.then(|| view! { <span class="badge live">"Live"</span> })}
                            {format!(" · {}", format_date(when))}
                            {v.release_notes.map(|n| view! { <p class="pre-wrap">{n}</p> })}
                            {v.review_reason.map(|r| view! { <blockquote>{r}</blockquote> })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        </section>
    }
    .into_any()
}
