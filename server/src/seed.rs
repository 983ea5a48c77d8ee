//! Demo data for trying Plugboard, and synthetic catalogs for benchmarks (`server seed`).
//! Accounts are made through the application's own sign-up code; the rest of a running
//! marketplace's history is written through `app::server::store::seed`.

use app::domain::{Category, Email, Password, Role, Scope, ScopeSet, TaskStatus, TenantId, TenantName, UserId};
use app::server::accounts::{self, AccountError, NewUser};
use app::server::secrets::{random_hex, sha256_hex};
use app::server::store::{self, seed::{self as rows, DemoPluginRow, Kind, PluginWork, SyntheticPlugin}};
use app::server::vault::Vault;
use app::server::{now, Db};

/// Every demo account signs in with this password.
pub const DEMO_PASSWORD: &str = "plugboard-demo";

struct DemoPlugin {
    slug: &'static str,
    name: &'static str,
    author: &'static str,
    category: Category,
    verified: bool,
    installs: i64,
    tagline: &'static str,
    features: [&'static str; 3],
    scopes: &'static [Scope],
}

use Category::*;
use Scope::*;

const fn p(
    slug: &'static str,
    name: &'static str,
    author: &'static str,
    category: Category,
    verified: bool,
    installs: i64,
    tagline: &'static str,
    features: [&'static str; 3],
    scopes: &'static [Scope],
) -> DemoPlugin {
    DemoPlugin { slug, name, author, category, verified, installs, tagline, features, scopes }
}

const DEMO_PLUGINS: &[DemoPlugin] = &[
    p("focus-timer", "Focus Timer", "Deepwork Labs", Productivity, true, 18_420, "Pomodoro sessions attached to the task you are working on.", ["Start a 25-minute focus block from any task", "Logs focused time back to the task", "Weekly focus report per project"], &[ReadTasks, WriteTasks]),
    p("daily-planner", "Daily Planner", "Morningside", Productivity, false, 6_210, "Turns your open tasks into a realistic plan for today.", ["Suggests an order from due dates and effort", "Moves unfinished work to tomorrow", "Keeps a short log of what got done"], &[ReadProjects, ReadTasks, WriteTasks]),
    p("recurring-tasks", "Recurring Tasks", "Cadence Co", Productivity, true, 12_950, "Repeat tasks daily, weekly or on any schedule you describe.", ["Schedules like \"every second Tuesday\"", "Skips holidays you mark", "Creates the next task when one is done"], &[ReadTasks, WriteTasks]),
    p("meeting-notes", "Meeting Notes", "Notewise", Productivity, false, 4_330, "Take meeting notes and turn action items into tasks.", ["Agenda templates per project", "One click turns an action item into a task", "Shares notes with everyone who attended"], &[ReadProjects, WriteTasks, ReadUsers]),
    p("slack-bridge", "Slack Bridge", "Relay Systems", Communication, true, 24_800, "Post task updates to Slack channels and create tasks from messages.", ["Route each project to its own channel", "Create a task from any message with a shortcut", "Daily digest of what changed"], &[ReadProjects, ReadTasks, WriteTasks]),
    p("teams-notify", "Teams Notify", "Bluepeak", Communication, true, 9_870, "Microsoft Teams notifications for assignments and due dates.", ["Adaptive cards for new assignments", "Reminders a day before a task is due", "Quiet hours per person"], &[ReadTasks, ReadUsers]),
    p("email-to-task", "Email to Task", "Inboxly", Communication, false, 7_420, "Forward an email and it becomes a task, attachments included.", ["A private forwarding address per project", "Keeps the sender as a note on the task", "Replies when the task is done"], &[ReadProjects, WriteTasks]),
    p("standup-bot", "Standup Bot", "Huddle", Communication, false, 3_190, "Asynchronous standups built from what people actually moved.", ["Drafts each update from yesterday's task changes", "Collects blockers in one place", "Posts a summary at a time you choose"], &[ReadTasks, ReadUsers]),
    p("github-sync", "GitHub Sync", "Octoforge", DeveloperTools, true, 31_200, "Link pull requests to tasks and close tasks when they merge.", ["Mention a task key in a PR to link it", "Moves the task to done on merge", "Shows review status on the task"], &[ReadProjects, ReadTasks, WriteTasks]),
    p("gitlab-link", "GitLab Link", "Tanuki Tools", DeveloperTools, false, 8_760, "Merge requests, pipelines and issues next to your tasks.", ["Pipeline status on every linked task", "Create a branch from a task", "Import GitLab issues as tasks"], &[ReadProjects, ReadTasks, WriteTasks]),
    p("sentry-alerts", "Sentry Alerts", "Errorwatch", DeveloperTools, true, 11_340, "New production errors become triaged tasks automatically.", ["Groups duplicate errors into one task", "Sets priority from error frequency", "Links back to the stack trace"], &[ReadProjects, WriteTasks]),
    p("release-notes", "Release Notes", "Changelog HQ", DeveloperTools, false, 2_980, "Write release notes from the tasks finished in a milestone.", ["Groups changes by project", "Markdown and HTML output", "Edit before you publish"], &[ReadProjects, ReadTasks]),
    p("api-playground", "API Playground", "Plugboard Labs", DeveloperTools, true, 1_450, "Try the Plugboard API against your own data, safely.", ["Read-only by default", "Copies requests as curl", "Shows the scopes each call needs"], &[ReadProjects, ReadTasks]),
    p("burndown-charts", "Burndown Charts", "Metricly", Analytics, true, 14_610, "Burndown and burnup charts for every project, updated live.", ["Scope changes shown on the chart", "Compare sprints side by side", "Export as PNG or CSV"], &[ReadProjects, ReadTasks]),
    p("cycle-time", "Cycle Time", "Flowmetrics", Analytics, false, 5_520, "See how long work takes from start to done, and where it waits.", ["Cycle time per status", "Spot tasks stuck for too long", "Trends over months"], &[ReadProjects, ReadTasks]),
    p("workload-heatmap", "Workload Heatmap", "Teamscope", Analytics, false, 4_090, "Who has too much on their plate this week, at a glance.", ["Heatmap by person and day", "Counts only tasks with due dates", "Suggests who could take more"], &[ReadTasks, ReadUsers]),
    p("portfolio-dashboard", "Portfolio Dashboard", "Summit Analytics", Analytics, true, 7_880, "One dashboard across all projects for leadership reviews.", ["Health score per project", "Milestones on a single timeline", "Shareable read-only link"], &[ReadProjects, ReadTasks]),
    p("zapier-connector", "Zapier Connector", "Zapworks", Automation, true, 27_330, "Connect Plugboard tasks to thousands of apps without code.", ["Triggers for new and finished tasks", "Actions to create and update tasks", "Works with multi-step zaps"], &[ReadProjects, WriteProjects, ReadTasks, WriteTasks]),
    p("auto-assign", "Auto Assign", "Routewise", Automation, false, 6_740, "Assign new tasks by round robin, workload or skills.", ["Rules per project", "Skips people who are away", "Explains every assignment"], &[ReadTasks, WriteTasks, ReadUsers]),
    p("rules-engine", "Rules Engine", "Ifthen", Automation, true, 9_020, "When this happens, do that: rules for tasks, without code.", ["Triggers on status, due date and assignee", "Conditions with and/or", "Run history for every rule"], &[ReadProjects, ReadTasks, WriteTasks]),
    p("due-date-nudges", "Due Date Nudges", "Nudgekit", Automation, false, 3_860, "Gentle reminders before due dates, escalations after.", ["Reminder schedule per project", "Escalates overdue tasks to the owner", "Snooze from the notification"], &[ReadTasks, ReadUsers]),
    p("template-library", "Template Library", "Blueprints", Automation, false, 5_310, "Start projects from templates with tasks, owners and offsets.", ["Dozens of ready-made templates", "Save any project as a template", "Due dates relative to the start"], &[ReadProjects, WriteProjects, WriteTasks]),
    p("access-review", "Access Review", "Sentinel Cloud", Security, true, 3_420, "Quarterly reviews of who can see which project.", ["Lists every person's access", "One-click attestation", "Audit-ready export"], &[ReadProjects, ReadUsers]),
    p("audit-trail", "Audit Trail", "Ledgerlock", Security, true, 6_650, "A tamper-evident log of every change to projects and tasks.", ["Hash-chained entries", "Filter by person, project and date", "Stream to your SIEM"], &[ReadProjects, ReadTasks, ReadUsers]),
    p("dlp-scanner", "DLP Scanner", "Shieldline", Security, false, 1_980, "Finds secrets and personal data pasted into tasks.", ["Detects keys, tokens and card numbers", "Redacts with one click", "Weekly findings report"], &[ReadProjects, ReadTasks, WriteTasks]),
    p("sso-insights", "SSO Insights", "Keystone", Security, false, 1_210, "See which people still sign in with passwords.", ["Coverage by team", "Flags dormant accounts", "Exports for your identity provider"], &[ReadUsers]),
    p("time-billing", "Time & Billing", "Billable", Finance, true, 10_480, "Track billable hours on tasks and send invoices from projects.", ["Timers on every task", "Rates per person and client", "Invoices as PDF"], &[ReadProjects, ReadTasks, ReadUsers]),
    p("budget-tracker", "Budget Tracker", "Centsible", Finance, false, 4_760, "Budgets per project with spend tracked against tasks.", ["Planned versus actual", "Alerts at 80% of budget", "Currency per project"], &[ReadProjects, WriteProjects]),
    p("expense-capture", "Expense Capture", "Receipted", Finance, false, 2_640, "Attach receipts to tasks and export expenses for approval.", ["Photo receipts from your phone", "Categories and tax codes", "CSV export for accounting"], &[ReadTasks, WriteTasks]),
    p("quickbooks-sync", "QuickBooks Sync", "Ledgerline", Finance, true, 5_930, "Send billable time and expenses to QuickBooks.", ["Maps projects to customers", "Syncs nightly or on demand", "Shows what failed and why"], &[ReadProjects, ReadTasks]),
    p("campaign-planner", "Campaign Planner", "Launchpad", Marketing, true, 8_150, "Plan campaigns as projects with channels, assets and dates.", ["Campaign calendar across projects", "Asset checklist per channel", "Launch-day runbook"], &[ReadProjects, WriteProjects, WriteTasks]),
    p("content-calendar", "Content Calendar", "Editorial", Marketing, false, 6_990, "A publishing calendar built from your content tasks.", ["Drag to reschedule", "Status colours by stage", "iCal feed"], &[ReadProjects, ReadTasks, WriteTasks]),
    p("hubspot-sync", "HubSpot Sync", "Inbound Bridge", Marketing, true, 7_210, "Create onboarding projects when HubSpot deals close.", ["Project per closed deal", "Deal owner becomes project owner", "Links back to the deal"], &[WriteProjects, WriteTasks]),
    p("social-scheduler", "Social Scheduler", "Postwise", Marketing, false, 3_340, "Schedule social posts from approved content tasks.", ["Queues posts when tasks are approved", "Preview per network", "Reports engagement on the task"], &[ReadTasks]),
    p("zendesk-escalations", "Zendesk Escalations", "Ticketflow", Support, true, 12_070, "Escalate support tickets into engineering tasks and back.", ["Ticket context on the task", "Status synced both ways", "Customer count per bug"], &[ReadProjects, WriteTasks]),
    p("intercom-inbox", "Intercom Inbox", "Chatline", Support, false, 5_480, "Turn customer conversations into follow-up tasks.", ["Create a task from any conversation", "Notify the customer when it's done", "Tags become labels"], &[WriteTasks]),
    p("sla-monitor", "SLA Monitor", "Uptimely", Support, true, 4_220, "Keeps support tasks inside their SLA, with warnings before a breach.", ["SLA policies per priority", "Countdown on each task", "Breach report per month"], &[ReadTasks, WriteTasks]),
    p("feedback-board", "Feedback Board", "Voxpop", Support, false, 3_770, "Collect feature requests, vote, and link them to tasks.", ["Public or private boards", "Merge duplicates", "Tell voters when it ships"], &[ReadProjects, WriteTasks]),
    p("kanban-swimlanes", "Kanban Swimlanes", "Boardroom", Productivity, false, 9_640, "Swimlanes by assignee, priority or label on any board.", ["WIP limits per lane", "Collapse lanes you don't need", "Keyboard navigation"], &[ReadProjects, ReadTasks, WriteTasks]),
    p("okr-tracker", "OKR Tracker", "Keyresult", Analytics, false, 2_450, "Tie projects to objectives and track key results weekly.", ["Objectives with measurable results", "Progress from linked tasks", "Quarterly review view"], &[ReadProjects, ReadTasks]),
];

struct DemoTenant {
    name: &'static str,
    domain: &'static str,
    people: &'static [(&'static str, &'static str, Role)],
}

const DEMO_TENANTS: &[DemoTenant] = &[
    DemoTenant {
        name: "Acme Corp",
        domain: "acme.test",
        people: &[("owner", "Olivia Owner", Role::Owner), ("admin", "Adam Admin", Role::Admin), ("member", "Mia Member", Role::Member), ("viewer", "Victor Viewer", Role::Viewer)],
    },
    DemoTenant { name: "Globex", domain: "globex.test", people: &[("owner", "Grace Hopper", Role::Owner), ("member", "Gus Member", Role::Member)] },
    DemoTenant { name: "Initech", domain: "initech.test", people: &[("owner", "Peter Gibbons", Role::Owner)] },
    DemoTenant { name: "Umbrella Health", domain: "umbrella.test", people: &[("owner", "Alice Abernathy", Role::Owner)] },
    DemoTenant { name: "Hooli", domain: "hooli.test", people: &[("owner", "Gavin Belson", Role::Owner)] },
];

/// A demo client-side plugin: its bundle runs in a sandboxed frame (DESIGN.md §7).
struct DemoClientPlugin {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    scopes: &'static [Scope],
    bundle: &'static str,
}

const DEMO_CLIENT_PLUGINS: &[DemoClientPlugin] = &[
    DemoClientPlugin {
        slug: "task-counter",
        name: "Task Counter",
        description: "Counts your tasks by status, right on the Projects page.\n\nA client-side plugin: it runs in a sandboxed frame and only reads tasks.",
        scopes: &[ReadTasks],
        bundle: include_str!("demo_plugins/task-counter.js"),
    },
    DemoClientPlugin {
        slug: "quick-add",
        name: "Quick Add",
        description: "Add a task to any project in one line, and see the latest ones.\n\nA client-side plugin: it runs in a sandboxed frame with the permissions you grant.",
        scopes: &[ReadProjects, WriteTasks],
        bundle: include_str!("demo_plugins/quick-add.js"),
    },
];

/// Acme's installed plugins (its admin sees them marked Installed).
const ACME_INSTALLED: &[&str] = &["slack-bridge", "github-sync", "burndown-charts", "recurring-tasks", "zapier-connector", "time-billing"];

const REVIEWS: [&[&str]; 5] = [
    &["Didn't work for our setup and support was slow to answer."],
    &["Does the basics, but we hit too many rough edges to keep it."],
    &["Useful, though the settings are confusing at first.", "Fine for small teams; it slows down on big projects."],
    &["Solid and reliable. Would like more control over notifications.", "Saves our team real time every week."],
    &["Exactly what we needed. Set up in five minutes and it just works.", "We rolled it out to every project after a week. Excellent."],
];

#[derive(Debug, Default)]
pub struct SeedReport {
    pub tenants: usize,
    pub users: usize,
    pub plugins: usize,
    pub installations: usize,
    pub reviews: usize,
    pub skipped: bool,
}

/// A hash of a client secret nobody was shown: the plugin has credentials but no one
/// can use them until a secret is rotated (by its developer or `server plugins rotate-secret`).
fn unusable_secret_hash() -> String {
    sha256_hex(&random_hex(32))
}

fn demo_description(plugin: &DemoPlugin) -> String {
    format!(
        "{}\n\n## What it does\n\n- {}\n- {}\n- {}\n\n## Getting started\n\nInstall it, approve the permissions below, and {} picks up your projects right away. \
         Questions? Visit the developer's site from this page.",
        plugin.tagline, plugin.features[0], plugin.features[1], plugin.features[2], plugin.name
    )
}

fn scope_set(scopes: &[Scope]) -> ScopeSet {
    ScopeSet::new(scopes.iter().copied())
}

/// Whether the tenant at `t` (not Acme) has plugin `i`: a fixed pattern, so demo data is stable.
fn other_tenant_has(t: usize, i: usize) -> bool {
    (i * 7 + t * 3) % 5 < 2
}

/// A demo plugin's signing secret, stored as every plugin's is (its server is fictional,
/// but Install still signs a hand-over to it).
fn demo_signing_secret(vault: &Vault, slug: &str) -> String {
    app::server::registry::seal_signing_secret(vault, slug, &app::server::webhooks::signature::new_secret())
}

/// What a demo plugin lists; its credentials and addresses follow from its slug.
struct Listing<'a> {
    slug: &'a str,
    name: &'a str,
    description: &'a str,
    author: &'a str,
    category: Category,
    install_count: i64,
    verified: bool,
    scopes: &'a ScopeSet,
    kind: Kind,
    created_at: i64,
}

/// A published demo plugin of `developer`'s, with credentials nobody holds and a sealed
/// signing secret; its id.
async fn insert_demo_plugin(conn: &mut store::Conn, vault: &Vault, developer: UserId, listing: &Listing<'_>) -> Result<app::domain::PluginId, store::Error> {
    let row = DemoPluginRow {
        slug: listing.slug,
        name: listing.name,
        description: listing.description,
        author: listing.author,
        author_url: &format!("https://{}.example.com", listing.slug),
        category: listing.category,
        install_count: listing.install_count,
        verified: listing.verified,
        client_id: &app::server::registry::new_client_id(),
        client_secret_hash: &unusable_secret_hash(),
        scopes: listing.scopes,
        redirect_uri: &format!("https://{}.example.com/oauth/callback", listing.slug),
        kind: listing.kind,
        developer,
        created_at: listing.created_at,
        webhook_secret: &demo_signing_secret(vault, listing.slug),
    };
    rows::insert_plugin(conn, &row).await
}

/// Seeds the demo: tenants, people, ~40 plugins, installations and reviews.
/// Running it again changes nothing.
pub async fn seed_demo(db: &Db, vault: &Vault) -> Result<SeedReport, AccountError> {
    if rows::user_exists(db, "owner@acme.test").await? {
        return Ok(SeedReport { skipped: true, ..Default::default() });
    }
    let mut report = SeedReport::default();
    let password = Password::parse_new(DEMO_PASSWORD).map_err(|e| AccountError::Hashing(e.into()))?;
    let hash = accounts::hash_password(&password).await?;
    let started = now();

    let mut tx = db.begin_write().await?;
    let mut tenants: Vec<(TenantId, Vec<UserId>)> = Vec::new();
    for tenant in DEMO_TENANTS {
        let name = TenantName::parse(tenant.name).map_err(|e| AccountError::Hashing(e.into()))?;
        let tenant_id = accounts::insert_tenant(&mut tx, &name).await?;
        let mut users = Vec::new();
        for (local, display, role) in tenant.people {
            let email = Email::parse(&format!("{local}@{}", tenant.domain)).map_err(|e| AccountError::Hashing(e.into()))?;
            let new_user = NewUser { email: &email, display_name: display, password: &password, role: *role };
            users.push(accounts::insert_user(&mut tx, tenant_id, &new_user, &hash).await?);
            report.users += 1;
        }
        tenants.push((tenant_id, users));
        report.tenants += 1;
    }
    // A developer account that owns the demo plugins.
    let dev_tenant = accounts::insert_tenant(&mut tx, &TenantName::parse("Plugboard Partners").map_err(|e| AccountError::Hashing(e.into()))?).await?;
    let dev_email = Email::parse("developer@partners.test").map_err(|e| AccountError::Hashing(e.into()))?;
    let developer = accounts::insert_user(
        &mut tx,
        dev_tenant,
        &NewUser { email: &dev_email, display_name: "Dana Developer", password: &password, role: Role::Owner },
        &hash,
    )
    .await?;
    store::accounts::make_developer(&mut tx, developer, "Dana Developer").await?;
    report.users += 1;

    for (i, plugin) in DEMO_PLUGINS.iter().enumerate() {
        // Spread creation over the past year so "Newest" has an order.
        let created = started - (i as i64 * 7 + 3) * 86_400;
        let scopes = scope_set(plugin.scopes);
        let listing = Listing {
            slug: plugin.slug,
            name: plugin.name,
            description: &demo_description(plugin),
            author: plugin.author,
            category: plugin.category,
            install_count: plugin.installs,
            verified: plugin.verified,
            scopes: &scopes,
            kind: Kind::Server,
            created_at: created,
        };
        let plugin_id = insert_demo_plugin(&mut tx, vault, developer, &listing).await?;
        report.plugins += 1;

        for (t, (tenant_id, users)) in tenants.iter().enumerate() {
            let installed = if t == 0 { ACME_INSTALLED.contains(&plugin.slug) } else { other_tenant_has(t, i) };
            if !installed {
                continue;
            }
            rows::insert_installation(&mut tx, plugin_id, *tenant_id, &scopes, users[0], created + 86_400 * (t as i64 + 1)).await?;
            report.installations += 1;
            // Most installing tenants leave a review; ratings lean positive, like real marketplaces.
            if (i + t) % 4 != 3 {
                let rating = [5, 4, 5, 3, 4, 2, 5, 4, 1, 4][(i * 3 + t) % 10];
                let texts = REVIEWS[rating as usize - 1];
                let body = texts[(i + t) % texts.len()];
                rows::insert_review(&mut tx, plugin_id, *tenant_id, users[0], rating, body, created + 86_400 * (t as i64 + 8)).await?;
                report.reviews += 1;
            }
        }
        store::reviews::refresh_rating(&mut tx, plugin_id).await?;
    }

    // Two client-side plugins (DESIGN.md §7), installed in Acme: they run on its Projects page.
    let acme = &tenants[0];
    for (i, demo) in DEMO_CLIENT_PLUGINS.iter().enumerate() {
        let created = started - (400 + i as i64) * 86_400;
        let scopes = scope_set(demo.scopes);
        let listing = Listing {
            slug: demo.slug,
            name: demo.name,
            description: demo.description,
            author: "Plugboard Labs",
            category: Category::Productivity,
            install_count: 1,
            verified: true,
            scopes: &scopes,
            kind: Kind::Client,
            created_at: created,
        };
        let plugin_id = insert_demo_plugin(&mut tx, vault, developer, &listing).await?;
        let bundle = app::server::client_plugins::bundles::store(&mut tx, demo.bundle.as_bytes(), created).await?;
        rows::ship_bundle(&mut tx, plugin_id, &bundle).await?;
        rows::insert_installation(&mut tx, plugin_id, acme.0, &scopes, acme.1[0], created + 86_400).await?;
        report.plugins += 1;
        report.installations += 1;
    }

    // The demo installations' history, for the developer console's charts.
    rows::record_install_history(&mut tx).await?;
    // A platform operator, who reviews and publishes plugins at /admin.
    let staff_email = Email::parse("staff@plugboard.test").map_err(|e| AccountError::Hashing(e.into()))?;
    let staff = accounts::insert_user(
        &mut tx,
        dev_tenant,
        &NewUser { email: &staff_email, display_name: "Sam Staff", password: &password, role: Role::Member },
        &hash,
    )
    .await?;
    store::accounts::set_platform_roles(&mut tx, staff, true, false).await?;
    report.users += 1;

    // Projects and tasks of Acme and Globex: what plugins act on.
    const WORK: &[(usize, &str, &[&str])] = &[
        (0, "Website relaunch", &["Write the new homepage copy", "Choose a hero image", "Set up redirects from old URLs", "Accessibility review"]),
        (0, "Mobile app v2", &["Offline mode", "Push notification settings", "Crash on login with SSO"]),
        (0, "Q3 hiring", &["Post the backend engineer role", "Schedule onsite interviews"]),
        (1, "Plant safety audit", &["Walk the east wing", "File the inspection report"]),
    ];
    for (tenant_index, project, tasks) in WORK {
        let (tenant, users) = &tenants[*tenant_index];
        let project = rows::insert_project(&mut tx, *tenant, project, started).await?;
        for (k, title) in tasks.iter().enumerate() {
            let status = [TaskStatus::Todo, TaskStatus::Doing, TaskStatus::Done][k % 3];
            rows::insert_task(&mut tx, *tenant, project, title, status, users[k % users.len()], started).await?;
        }
    }
    // Some of Acme's work came from its plugins, as the Projects page shows.
    const PLUGIN_WORK: &[(&str, PluginWork, &str)] = &[
        ("zapier-connector", PluginWork::Created, "Schedule onsite interviews"),
        ("github-sync", PluginWork::Updated, "Crash on login with SSO"),
        ("recurring-tasks", PluginWork::Created, "Accessibility review"),
    ];
    for (slug, work, title) in PLUGIN_WORK {
        rows::mark_plugin_work(&mut tx, tenants[0].0, slug, *work, title).await?;
    }
    // Each demo plugin's one version, live.
    app::server::store::versions::first_versions(&mut tx, None, started).await?;
    tx.commit().await?;
    Ok(report)
}

const ADJECTIVES: &[&str] = &["Swift", "Bright", "Quiet", "Smart", "Bold", "Clear", "Rapid", "Steady", "Lucid", "Nimble", "Prime", "Sharp", "Calm", "Vivid", "Agile", "Solid"];
const NOUNS: &[&str] = &["Tracker", "Sync", "Board", "Digest", "Planner", "Monitor", "Bridge", "Report", "Assistant", "Timeline", "Inbox", "Ledger", "Radar", "Pilot", "Forms", "Vault"];
const TOPICS: &[&str] = &["invoices", "sprints", "tickets", "deadlines", "releases", "budgets", "campaigns", "meetings", "approvals", "customers", "incidents", "roadmaps", "contracts", "feedback", "onboarding", "inventory"];
const SYNTHETIC_BATCH: usize = 400;

/// Adds `count` generated, published plugins in batches (for benchmarks). Names and
/// descriptions come from small vocabularies so searches match realistic fractions.
pub async fn seed_synthetic(db: &Db, count: usize) -> Result<usize, store::Error> {
    let run = random_hex(4);
    let started = now();
    let scopes = scope_set(&[ReadTasks]);
    let mut tx = db.begin_write().await?;
    let mut done = 0;
    while done < count {
        let n = SYNTHETIC_BATCH.min(count - done);
        let batch: Vec<SyntheticPlugin> = (done..done + n)
            .map(|k| {
                // A cheap, well-spread mix of k for picking words and numbers.
                let h = (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 16;
                let pick = |list: &[&'static str], shift: u32| list[((h >> shift) as usize) % list.len()];
                let (adj, noun, topic, topic2) = (pick(ADJECTIVES, 0), pick(NOUNS, 8), pick(TOPICS, 16), pick(TOPICS, 24));
                SyntheticPlugin {
                    slug: format!("synth-{run}-{k}"),
                    name: format!("{adj} {noun} {k}"),
                    description: format!("{adj} {noun} keeps your {topic} and {topic2} in order. Generated plugin number {k} for load testing."),
                    author: format!("Synthetic Labs {}", k % 97),
                    category: Category::ALL[((h >> 32) as usize) % Category::ALL.len()],
                    install_count: ((h >> 40) % 50_000) as i64,
                    rating: 1.0 + ((h >> 20) % 401) as f64 / 100.0,
                    review_count: ((h >> 44) % 300) as i64,
                    verified: (h >> 12) % 5 == 0,
                    client_id: format!("pbc_s{run}{k}"),
                    client_secret_hash: unusable_secret_hash(),
                    scopes: scopes.clone(),
                    created_at: started - (k as i64 % 100_000) * 60,
                }
            })
            .collect();
        rows::insert_synthetic(&mut tx, &batch).await?;
        done += n;
    }
    app::server::store::versions::first_versions(&mut tx, None, started).await?;
    tx.commit().await?;
    Ok(done)
}
