//! Charts drawn as SVG by the app itself (no chart script is loaded): the same markup
//! on the server and in the browser.

use super::format::format_date;
use crate::domain::DayStats;
use leptos::prelude::*;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
/// Room on the left for the scale and at the bottom for the dates.
const LEFT: f64 = 36.0;
const BOTTOM: f64 = 20.0;

/// Installs rise above the middle line and uninstalls fall below it, one slot a day.
#[component]
pub fn InstallsChart(days: Vec<DayStats>) -> impl IntoView {
    let peak = days.iter().map(|d| d.installs.max(d.uninstalls)).max().unwrap_or(0).max(1) as f64;
    let slot = (WIDTH - LEFT) / days.len().max(1) as f64;
    let mid = (HEIGHT - BOTTOM) / 2.0;
    let scale = (mid - 6.0) / peak;
    let total_in: i64 = days.iter().map(|d| d.installs).sum();
    let total_out: i64 = days.iter().map(|d| d.uninstalls).sum();
    let label = format!("{total_in} installs and {total_out} uninstalls over {} days", days.len());
    let (first, last) = (days.first().map(|d| d.day), days.last().map(|d| d.day));
    view! {
        <svg class="chart installs-chart" data-testid="installs-chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            role="img" aria-label=label preserveAspectRatio="none">
            <title>{label.clone()}</title>
            <line class="axis" x1=LEFT y1=mid x2=WIDTH y2=mid/>
            <text class="scale" x="2" y="12">{format!("+{peak}")}</text>
            <text class="scale" x="2" y=HEIGHT - BOTTOM - 2.0>{format!("−{peak}")}</text>
            {days.iter().enumerate().map(|(i, d)| {
                let x = LEFT + i as f64 * slot + slot * 0.15;
                let w = slot * 0.7;
                let up = d.installs as f64 * scale;
                let down = d.uninstalls as f64 * scale;
                let title = format!("{}: {} installs, {} uninstalls", format_date(d.day), d.installs, d.uninstalls);
                view! {
                    <g class="day" data-day=d.day data-installs=d.installs data-uninstalls=d.uninstalls>
                        <title>{title}</title>
                        {(d.installs > 0).then(|| view! { <rect class="bar installs" x=x y=mid - up width=w height=up/> })}
                        {(d.uninstalls > 0).then(|| view! { <rect class="bar uninstalls" x=x y=mid width=w height=down/> })}
                    </g>
                }
            }).collect_view()}
            {first.map(|d| view! { <text class="date" x=LEFT y=HEIGHT - 4.0>{format_date(d)}</text> })}
            {last.map(|d| view! { <text class="date" x=WIDTH text-anchor="end" y=HEIGHT - 4.0>{format_date(d)}</text> })}
        </svg>
        <p class="chart-legend"><span class="key installs"></span>" installs " <span class="key uninstalls"></span>" uninstalls"</p>
    }
}

/// The mean rating at the end of each day, on a scale of 1 to 5 stars.
#[component]
pub fn RatingChart(days: Vec<DayStats>) -> impl IntoView {
    let slot = (WIDTH - LEFT) / days.len().max(1) as f64;
    let plot = HEIGHT - BOTTOM - 8.0;
    let y = move |rating: f64| 8.0 + plot * (5.0 - rating.clamp(1.0, 5.0)) / 4.0;
    let points: Vec<(f64, f64, f64)> = days
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.rating.map(|r| (LEFT + (i as f64 + 0.5) * slot, y(r), r)))
        .collect();
    if points.is_empty() {
        return view! { <p class="muted" data-testid="rating-chart-empty">"No reviews yet."</p> }.into_any();
    }
    let line = points.iter().map(|(x, y, _)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ");
    let latest = points.last().map(|p| p.2).unwrap_or_default();
    let label = format!("Rating over {} days, now {latest:.1} out of 5", days.len());
    view! {
        <svg class="chart rating-chart" data-testid="rating-chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            role="img" aria-label=label preserveAspectRatio="none">
            <title>{label.clone()}</title>
            {[1.0, 3.0, 5.0].into_iter().map(|r| view! {
                <line class="grid" x1=LEFT y1=y(r) x2=WIDTH y2=y(r)/>
                <text class="scale" x="2" y=y(r) + 4.0>{format!("{r:.0}★")}</text>
            }).collect_view()}
            <polyline class="rating-line" points=line fill="none"/>
            {points.iter().map(|(x, y, r)| view! {
                <circle class="rating-dot" cx=format!("{x:.1}") cy=format!("{y:.1}") r="3"><title>{format!("{r:.2}")}</title></circle>
            }).collect_view()}
        </svg>
    }
    .into_any()
}
