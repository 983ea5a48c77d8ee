//! "Projects": the tenant's projects and tasks, the data plugins act on, with what each
//! plugin created or changed marked, so a tenant sees its plugins at work.

use crate::domain::{ProjectBoard, TaskCard, TaskStatus, WorkOverview};
use crate::error::AppError;
use crate::components::format::format_date;
use crate::components::layout::SignInPrompt;
use leptos::prelude::*;
use leptos_meta::Title;

#[server(prefix = "/rpc", endpoint = "projects_overview")]
pub async fn projects_overview() -> Result<WorkOverview, AppError> {
    crate::server::with_status(projects_overview_inner().await)
}

#[cfg(feature = "ssr")]
async fn projects_overview_inner() -> Result<WorkOverview, AppError> {
    use crate::server::{internal, session, work, AppState};
    let state = AppState::from_context()?;
    let user = session::require_user().await?;
    work::overview(&state.db, user.tenant_id).await.map_err(internal("loading projects failed"))
}

#[component]
pub fn ProjectsPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| projects_overview());
    view! {
        <Title text="Projects"/>
        <section class="hero">
            <h1>"Projects and tasks"</h1>
            <p class="muted">"Your organisation's work. What a plugin added or changed is marked with its name."</p>
        </section>
        <Transition fallback=|| view! { <p class="loading">"Loading projects…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(AppError::NotSignedIn) => view! {
                        <SignInPrompt message="Sign in to see your organisation's projects." next="/projects"/>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(o) if o.boards.is_empty() => view! {
                        <div class="empty-state">
                            <h2>"No projects yet"</h2>
                            <p class="muted">"Projects appear here as your team, or a plugin with the write:projects permission, creates them."</p>
                        </div>
                    }.into_any(),
                    Ok(o) => view! {
                        <div class="project-boards">
                            {o.boards.into_iter().map(|board| view! { <ProjectBoardView board/> }).collect_view()}
                        </div>
                        {(o.more_projects > 0).then(|| view! {
                            <p class="muted">{format!("{} older projects are not shown.", o.more_projects)}</p>
                        })}
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ProjectBoardView(board: ProjectBoard) -> impl IntoView {
    let ProjectBoard { project, activity, tasks } = board;
    let counts = TaskStatus::ALL.map(|s| (s, tasks.iter().filter(|t| t.task.status == s).count()));
    view! {
        <section class="project-board" data-project-id=project.id>
            <header class="project-head">
                <div>
                    <h2>{project.name.clone()}</h2>
                    {(!project.description.is_empty()).then(|| view! { <p class="muted">{project.description.clone()}</p> })}
                </div>
                <div class="badges">
                    {project.archived.then(|| view! { <span class="badge">"Archived"</span> })}
                    {activity.summary().map(|s| view! { <span class="badge plugin-activity">{s}</span> })}
                </div>
            </header>
            <p class="task-counts muted">
                {counts.into_iter().map(|(s, n)| format!("{n} {}", s.label().to_lowercase())).collect::<Vec<_>>().join(" · ")}
            </p>
            {if tasks.is_empty() {
                view! { <p class="muted">"No tasks."</p> }.into_any()
            } else {
                view! {
                    <ul class="task-list">
                        {tasks.into_iter().map(|card| view! { <TaskRow card/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn TaskRow(card: TaskCard) -> impl IntoView {
    let TaskCard { task, assignee, activity } = card;
    let status = task.status;
    view! {
        <li class="task-row" data-task-id=task.id>
            <span class=format!("status-pill status-{}", status.as_str())>{status.label()}</span>
            <span class="task-title">{task.title.clone()}</span>
            <span class="task-meta muted">
                {assignee.unwrap_or_else(|| "Unassigned".to_owned())}
                {task.due_date.clone().map(|d| format!(" · due {d}"))}
                {format!(" · updated {}", format_date(task.updated_at))}
            </span>
            {activity.summary().map(|s| view! { <span class="badge plugin-activity">{s}</span> })}
        </li>
    }
}
