//! "Projects": the tenant's projects and tasks, the data plugins act on, with what each
//! plugin created or changed marked, so a tenant sees its plugins at work.

use crate::domain::{InstallationId, JobStatus, JobView, ProjectBoard, ProjectId, TaskId, RunnablePlugin, TaskCard, TaskStatus, WorkOverview};
use crate::error::AppError;
use crate::components::format::format_date;
use crate::components::client_plugins::ClientPluginPanels;
use crate::components::layout::SignInPrompt;
use leptos::prelude::*;
use leptos_meta::Title;

#[server(prefix = "/rpc", endpoint = "projects_overview")]
pub async fn projects_overview() -> Result<WorkOverview, AppError> {
    crate::server_fn::with_status(projects_overview_inner().await)
}

#[cfg(feature = "ssr")]
async fn projects_overview_inner() -> Result<WorkOverview, AppError> {
    use crate::server::{internal, session, work, AppState};
    let state = AppState::from_context()?;
    let user = session::require_user().await?;
    let overview = work::overview(&state.db, &user.scope()).await.map_err(internal("loading projects failed"))?;
    Ok(WorkOverview { may_edit: user.role.can_edit_work(), may_delete_projects: user.role.can_delete_projects(), ..overview })
}

/// One edit of the page by a signed-in person who may edit (viewers only read): `change`
/// writes through `server::work`, which queues its data events; the worker is woken.
#[cfg(feature = "ssr")]
async fn edit<F>(change: impl FnOnce(crate::server::AppState, crate::server::scope::Member) -> F) -> Result<(), AppError>
where
    F: std::future::Future<Output = Result<(), AppError>>,
{
    let outcome = async {
        let (state, user) = crate::server::session::signed_in().await?;
        if !user.role.can_edit_work() {
            return Err(AppError::Forbidden("Viewers see projects and tasks; ask an admin to change your role to edit them.".into()));
        }
        let wakeup = state.webhook_wakeup.clone();
        change(state, user).await?;
        wakeup.notify_one();
        Ok(())
    };
    crate::server_fn::with_status(outcome.await)
}

/// A new project, named by a person of the organisation.
#[server(prefix = "/rpc", endpoint = "add_project")]
pub async fn add_project(name: String) -> Result<(), AppError> {
    use crate::server::work::{create_project, NewProject};
    edit(|state, user| async move {
        create_project(&state.db, &user.scope(), &NewProject { name, description: String::new(), archived: false }).await?;
        Ok(())
    })
    .await
}

/// Archives a project, or brings it back.
#[server(prefix = "/rpc", endpoint = "archive_project")]
pub async fn archive_project(project_id: ProjectId, archived: bool) -> Result<(), AppError> {
    use crate::server::work::{update_project, ProjectPatch};
    edit(|state, user| async move {
        update_project(&state.db, &user.scope(), project_id, &ProjectPatch { archived: Some(archived), ..Default::default() }).await?;
        Ok(())
    })
    .await
}

/// Renames a project.
#[server(prefix = "/rpc", endpoint = "rename_project")]
pub async fn rename_project(project_id: ProjectId, name: String) -> Result<(), AppError> {
    use crate::server::work::{update_project, ProjectPatch};
    edit(|state, user| async move {
        update_project(&state.db, &user.scope(), project_id, &ProjectPatch { name: Some(name), ..Default::default() }).await?;
        Ok(())
    })
    .await
}

/// Changes a task's title and due date (an empty date clears it).
#[server(prefix = "/rpc", endpoint = "edit_task")]
pub async fn edit_task(task_id: TaskId, title: String, #[server(default)] due_date: String) -> Result<(), AppError> {
    use crate::server::work::{update_task, TaskPatch};
    edit(|state, user| async move {
        let due_date = Some(Some(due_date.trim().to_owned()).filter(|d| !d.is_empty()));
        update_task(&state.db, &user.scope(), task_id, &TaskPatch { title: Some(title), due_date, ..Default::default() }).await?;
        Ok(())
    })
    .await
}

/// Deletes a project and its tasks: owners and admins only.
#[server(prefix = "/rpc", endpoint = "remove_project")]
pub async fn remove_project(project_id: ProjectId) -> Result<(), AppError> {
    edit(|state, user| async move {
        if !user.role.can_delete_projects() {
            return Err(AppError::Forbidden("Only owners and admins delete projects.".into()));
        }
        Ok(crate::server::work::delete_project(&state.db, &user.scope(), project_id).await?)
    })
    .await
}

/// A new task to do in one of the organisation's projects.
#[server(prefix = "/rpc", endpoint = "add_task")]
pub async fn add_task(project_id: ProjectId, title: String) -> Result<(), AppError> {
    use crate::server::work::{create_task, NewTask};
    edit(|state, user| async move {
        create_task(&state.db, &user.scope(), &NewTask { project_id, title, status: TaskStatus::Todo, assignee_id: None, due_date: None }).await?;
        Ok(())
    })
    .await
}

/// Moves a task to another status.
#[server(prefix = "/rpc", endpoint = "move_task")]
pub async fn move_task(task_id: TaskId, status: TaskStatus) -> Result<(), AppError> {
    use crate::server::work::{update_task, TaskPatch};
    edit(|state, user| async move {
        update_task(&state.db, &user.scope(), task_id, &TaskPatch { status: Some(status), ..Default::default() }).await?;
        Ok(())
    })
    .await
}

#[server(prefix = "/rpc", endpoint = "remove_task")]
pub async fn remove_task(task_id: TaskId) -> Result<(), AppError> {
    edit(|state, user| async move { Ok(crate::server::work::delete_task(&state.db, &user.scope(), task_id).await?) }).await
}

/// Installed plugins that can Run on tasks.
#[server(prefix = "/rpc", endpoint = "runnable_plugins")]
pub async fn runnable_plugins() -> Result<Vec<RunnablePlugin>, AppError> {
    crate::server_fn::with_status(runnable_plugins_inner().await)
}

#[cfg(feature = "ssr")]
async fn runnable_plugins_inner() -> Result<Vec<RunnablePlugin>, AppError> {
    use crate::server::{internal, plugin_servers::jobs, session};
    let (state, user) = session::signed_in().await?;
    jobs::runnable(&state.db, &user).await.map_err(internal("listing runnable plugins failed"))
}

/// The organisation's latest Runs, newest first.
#[server(prefix = "/rpc", endpoint = "plugin_runs")]
pub async fn plugin_runs() -> Result<Vec<JobView>, AppError> {
    crate::server_fn::with_status(plugin_runs_inner().await)
}

#[cfg(feature = "ssr")]
async fn plugin_runs_inner() -> Result<Vec<JobView>, AppError> {
    use crate::server::{internal, now, plugin_servers::jobs, session};
    let (state, user) = session::signed_in().await?;
    let recent = jobs::recent(&state.db, &user.scope(), now()).await.map_err(internal("listing runs failed"))?;
    Ok(recent.iter().map(|j| j.view()).collect())
}

/// Sends a task to an installed plugin's server (DESIGN.md §6 content processing).
#[server(prefix = "/rpc", endpoint = "run_plugin")]
pub async fn run_plugin(installation_id: InstallationId, task_id: TaskId) -> Result<JobView, AppError> {
    crate::server_fn::with_status(run_plugin_inner(installation_id, task_id).await)
}

#[cfg(feature = "ssr")]
async fn run_plugin_inner(installation: InstallationId, task_id: TaskId) -> Result<JobView, AppError> {
    use crate::server::plugin_servers::jobs;
    use crate::server::{now, session};
    let (state, user) = session::signed_in().await?;
    Ok(jobs::run_on_task(&state, &user, installation, task_id, now()).await?.view())
}

/// How often a page with unfinished Runs asks for news.
const POLL_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

#[component]
pub fn ProjectsPage() -> impl IntoView {
    view! {
        <Title text="Projects"/>
        <ProjectsWorkspace/>
    }
}

/// The host product's page is interactive throughout (edits in place, Runs polled while
/// a plugin works, client-side plugins' frames and their bridge): one island, in a WASM
/// chunk of its own that only this page fetches.
#[island(lazy)]
fn ProjectsWorkspace() -> impl IntoView {
    // A client-side plugin that changed a task has the boards read again.
    let changed = RwSignal::new(0u32);
    let edits = Edits {
        add_project: ServerAction::<AddProject>::new(),
        archive_project: ServerAction::<ArchiveProject>::new(),
        rename_project: ServerAction::<RenameProject>::new(),
        remove_project: ServerAction::<RemoveProject>::new(),
        add_task: ServerAction::<AddTask>::new(),
        move_task: ServerAction::<MoveTask>::new(),
        edit_task: ServerAction::<EditTask>::new(),
        remove_task: ServerAction::<RemoveTask>::new(),
    };
    let overview = Resource::new(move || (changed.get(), edits.version()), |_| projects_overview());
    let runnable = Resource::new(|| (), |_| runnable_plugins());
    let run = ServerAction::<RunPlugin>::new();
    let runs = Resource::new(move || run.version().get(), |_| plugin_runs());
    // The Runs the rows show: filled from `runs` by the page's one Suspend (a resource read
    // in many Suspense boundaries can stall server rendering: leptos#4851), then kept
    // fresh by polling while a plugin works on one.
    let jobs = RwSignal::new(Vec::<JobView>::new());
    let look_scheduled = StoredValue::new(false);
    Effect::new(move |_| {
        let unfinished = jobs.with(|jobs| jobs.iter().any(|j| j.status == JobStatus::Pending));
        if unfinished && !look_scheduled.get_value() {
            look_scheduled.set_value(true);
            set_timeout(
                move || {
                    leptos::task::spawn_local(async move {
                        if let Ok(latest) = plugin_runs().await {
                            jobs.set(latest);
                        }
                        look_scheduled.set_value(false);
                    });
                },
                POLL_EVERY,
            );
        }
    });
    let context = RunContext { jobs, run, edits, may_edit: false, may_delete: false };
    view! {
        <section class="hero">
            <h1>"Projects and tasks"</h1>
            <p class="muted">"Your organisation's work. What a plugin added or changed is marked with its name."</p>
        </section>
        <ClientPluginPanels on_change=move |_| changed.update(|n| *n += 1)/>
        {move || run.value().get().and_then(Result::err).map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
        {move || edits.error().map(|e| view! { <p class="form-error" role="alert" data-testid="edit-error">{e.to_string()}</p> })}

        <Transition fallback=|| view! { <p class="loading">"Loading projects…"</p> }>
            {move || Suspend::new(async move {
                let plugins = runnable.await.unwrap_or_default();
                jobs.set(runs.await.unwrap_or_default());
                match overview.await {
                    Err(AppError::NotSignedIn) => view! {
                        <SignInPrompt message="Sign in to see your organisation's projects." next="/projects"/>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(o) if o.boards.is_empty() => view! {
                        {o.may_edit.then(|| view! { <NewProjectForm edits/> })}
                        <div class="empty-state">
                            <h2>"No projects yet"</h2>
                            <p class="muted">"Projects appear here as your team, or a plugin with the write:projects permission, creates them."</p>
                        </div>
                    }.into_any(),
                    Ok(o) => view! {
                        {o.may_edit.then(|| view! { <NewProjectForm edits/> })}
                        <div class="project-boards">
                            {o.boards.into_iter().map(|board| {
                                let context = RunContext { may_edit: o.may_edit, may_delete: o.may_delete_projects, ..context };
                                view! { <ProjectBoardView board plugins=plugins.clone() context/> }
                            }).collect_view()}
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

/// What a task row needs to Run plugins and show their jobs, and the page's edits with
/// what the reader may do.
#[derive(Clone, Copy)]
struct RunContext {
    jobs: RwSignal<Vec<JobView>>,
    run: ServerAction<RunPlugin>,
    edits: Edits,
    may_edit: bool,
    may_delete: bool,
}

#[component]
fn NewProjectForm(edits: Edits) -> impl IntoView {
    view! {
        <ActionForm action=edits.add_project attr:class="inline-form new-project">
            <label for="new-project-name">"New project"</label>
            <input id="new-project-name" name="name" required maxlength="200" placeholder="Name"/>
            <button type="submit" class="button">"Add project"</button>
        </ActionForm>
    }
}

/// The changes a person makes on the page; each one read the boards again.
#[derive(Clone, Copy)]
struct Edits {
    add_project: ServerAction<AddProject>,
    archive_project: ServerAction<ArchiveProject>,
    rename_project: ServerAction<RenameProject>,
    remove_project: ServerAction<RemoveProject>,
    add_task: ServerAction<AddTask>,
    move_task: ServerAction<MoveTask>,
    edit_task: ServerAction<EditTask>,
    remove_task: ServerAction<RemoveTask>,
}

impl Edits {
    /// Changes whenever an edit finishes.
    fn version(&self) -> usize {
        self.add_project.version().get()
            + self.archive_project.version().get()
            + self.rename_project.version().get()
            + self.remove_project.version().get()
            + self.add_task.version().get()
            + self.move_task.version().get()
            + self.edit_task.version().get()
            + self.remove_task.version().get()
    }

    /// The last refusal, if the latest answer of an edit was one.
    fn error(&self) -> Option<AppError> {
        let err = |v: Option<Result<(), AppError>>| v.and_then(Result::err);
        err(self.add_project.value().get())
            .or_else(|| err(self.archive_project.value().get()))
            .or_else(|| err(self.rename_project.value().get()))
            .or_else(|| err(self.remove_project.value().get()))
            .or_else(|| err(self.add_task.value().get()))
            .or_else(|| err(self.move_task.value().get()))
            .or_else(|| err(self.edit_task.value().get()))
            .or_else(|| err(self.remove_task.value().get()))
    }
}

#[component]
fn ProjectBoardView(board: ProjectBoard, plugins: Vec<RunnablePlugin>, context: RunContext) -> impl IntoView {
    let ProjectBoard { project, activity, tasks } = board;
    let counts = TaskStatus::ALL.map(|s| (s, tasks.iter().filter(|t| t.task.status == s).count()));
    let edits = context.edits;
    let project_id = project.id.get();
    let archived = project.archived;
    let (delete_label, new_task_label) = (format!("Delete project {}", project.name), format!("New task in {}", project.name));
    let (project_name, rename_label) = (project.name.clone(), format!("Name of project {}", project.name));
    view! {
        <section class="project-board" data-project-id=project.id.get()>
            <header class="project-head">
                <div>
                    <h2>{project.name.clone()}</h2>
                    {(!project.description.is_empty()).then(|| view! { <p class="muted">{project.description.clone()}</p> })}
                </div>
                <div class="badges">
                    {project.archived.then(|| view! { <span class="badge">"Archived"</span> })}
                    {activity.summary().map(|s| view! { <span class="badge plugin-activity">{s}</span> })}
                    {context.may_edit.then(|| view! {
                        <details class="edit">
                            <summary>"Rename"</summary>
                            <ActionForm action=edits.rename_project attr:class="inline-form">
                                <input type="hidden" name="project_id" value=project_id/>
                                <input name="name" required maxlength="200" value=project_name.clone() aria-label=rename_label.clone()/>
                                <button type="submit" class="button subtle">"Save name"</button>
                            </ActionForm>
                        </details>
                        <ActionForm action=edits.archive_project attr:class="inline-form">
                            <input type="hidden" name="project_id" value=project_id/>
                            <input type="hidden" name="archived" value=(!archived).to_string()/>
                            <button type="submit" class="button subtle">{if archived { "Unarchive" } else { "Archive" }}</button>
                        </ActionForm>
                    })}
                    {context.may_delete.then(|| view! {
                        <ActionForm action=edits.remove_project attr:class="inline-form">
                            <input type="hidden" name="project_id" value=project_id/>
                            <button type="submit" class="button subtle danger" aria-label=delete_label>"Delete"</button>
                        </ActionForm>
                    })}
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
                        {tasks.into_iter().map(|card| view! { <TaskRow card plugins=plugins.clone() context/> }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {context.may_edit.then(|| view! {
                <ActionForm action=edits.add_task attr:class="inline-form new-task">
                    <input type="hidden" name="project_id" value=project_id/>
                    <input name="title" required maxlength="300" placeholder="New task" aria-label=new_task_label/>
                    <button type="submit" class="button">"Add task"</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn TaskRow(card: TaskCard, plugins: Vec<RunnablePlugin>, context: RunContext) -> AnyView {
    let TaskCard { task, assignee, activity } = card;
    let status = task.status;
    let task_id = task.id;
    let RunContext { jobs, run, edits, may_edit, .. } = context;
    let (status_label, delete_label) = (format!("Status of {}", task.title), format!("Delete task {}", task.title));
    let (edit_label, title_label, due_label) = (format!("Edit task {}", task.title), format!("Title of {}", task.title), format!("Due date of {}", task.title));
    let (title, due) = (task.title.clone(), task.due_date.clone().unwrap_or_default());
    view! {
        <li class="task-row" data-task-id=task.id.get()>
            <span class=format!("status-pill status-{}", status.as_str())>{status.label()}</span>
            <span class="task-title">{task.title.clone()}</span>
            {may_edit.then(|| view! {
                <ActionForm action=edits.move_task attr:class="inline-form move-task">
                    <input type="hidden" name="task_id" value=task_id.get()/>
                    <select name="status" aria-label=status_label>
                        {TaskStatus::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=s == status>{s.label()}</option> }).collect_view()}
                    </select>
                    <button type="submit" class="button subtle">"Move"</button>
                </ActionForm>
                <details class="edit">
                    <summary aria-label=edit_label>"Edit"</summary>
                    <ActionForm action=edits.edit_task attr:class="inline-form">
                        <input type="hidden" name="task_id" value=task_id.get()/>
                        <input name="title" required maxlength="300" value=title.clone() aria-label=title_label.clone()/>
                        <input type="date" name="due_date" value=due.clone() aria-label=due_label.clone()/>
                        <button type="submit" class="button subtle">"Save"</button>
                    </ActionForm>
                </details>
                <ActionForm action=edits.remove_task attr:class="inline-form">
                    <input type="hidden" name="task_id" value=task_id.get()/>
                    <button type="submit" class="button subtle danger" aria-label=delete_label>"Delete"</button>
                </ActionForm>
            })}
            <span class="task-meta muted">
                {assignee.unwrap_or_else(|| "Unassigned".to_owned())}
                {task.due_date.clone().map(|d| format!(" · due {d}"))}
                {format!(" · updated {}", format_date(task.updated_at))}
            </span>
            {activity.summary().map(|s| view! { <span class="badge plugin-activity">{s}</span> })}
            {(!plugins.is_empty()).then(|| view! {
                <ActionForm action=run attr:class="run-form">
                    <input type="hidden" name="task_id" value=task_id.get()/>
                    <select name="installation_id" aria-label="Plugin to run" data-testid="run-plugin">
                        {plugins.iter().map(|p| view! { <option value=p.installation_id.get()>{p.name.clone()}</option> }).collect_view()}
                    </select>
                    <button type="submit" class="button" disabled=move || run.pending().get()>"Run"</button>
                </ActionForm>
            })}
            {move || {
                let mine: Vec<JobView> = jobs.with(|all| all.iter().filter(|j| j.task_id == Some(task_id)).take(5).cloned().collect());
                (!mine.is_empty()).then(|| view! {
                    <ul class="job-list" aria-label="Runs">
                        {mine.into_iter().map(|job| view! { <JobRow job/> }).collect_view()}
                    </ul>
                })
            }}
        </li>
    }
    // A row's view type is deep; erased, it keeps the WASM build within the type-depth limit.
    .into_any()
}

/// One Run: the plugin, where it stands, and its answer or what went wrong.
#[component]
fn JobRow(job: JobView) -> impl IntoView {
    view! {
        <li class=format!("job job-{}", job.status.as_str()) data-testid="job" data-job-status=job.status.as_str()>
            <span class="job-plugin">{job.plugin_name}</span>
            <span class="job-status">{job.status.label()}</span>
            {job.summary.map(|s| view! { <span class="job-result" data-testid="job-result">{s}</span> })}
            <span class="muted">{format_date(job.created_at)}</span>
        </li>
    }
}
