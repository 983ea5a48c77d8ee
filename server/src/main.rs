//! `server`: Plugboard's one binary. `server --help` lists the subcommands.

use app::domain::{Email, Password, Role, TenantName};
use app::server::accounts;
use clap::{Parser, Subcommand};
use server::{app_state, open_database, seed, serve, shutdown_signal, Config};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "server", version, about = "Plugboard: the plugin marketplace server")]
#[command(after_help = "Configuration comes from the environment: DATABASE_URL (default sqlite://data/plugboard.db), \
DATABASE_MAX_CONNECTIONS, LEPTOS_SITE_ADDR (default 127.0.0.1:3000), LEPTOS_SITE_ROOT (default target/site), \
LEPTOS_OUTPUT_NAME (default plugboard), PLUGBOARD_SECURE_COOKIES, PLUGBOARD_PUBLIC_URL, PLUGBOARD_OUTBOUND_ALLOWLIST, \
PLUGBOARD_WEBHOOK_TIMEOUT_SECS, PLUGBOARD_WEBHOOK_LEASE_SECS, PLUGBOARD_WEBHOOK_WORKER, PLUGBOARD_GRANT_REFRESHES_PER_MINUTE, PLUGBOARD_API_REQUESTS_PER_MINUTE, PLUGBOARD_JOB_TIMEOUT_SECS, \
PLUGBOARD_TRUSTED_PROXIES, PLUGBOARD_REQUEST_TIMEOUT_SECS, \
PLUGBOARD_ENV (production refuses to start without PLUGBOARD_TOKEN_KEY, and implies secure cookies), PLUGBOARD_TOKEN_KEY, RUST_LOG. \
See the README for each.")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the marketplace (the default): migrates first.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Write brotli and gzip copies of the built site's assets (LEPTOS_SITE_ROOT) beside
    /// them, for serving as they are; prints each asset's sizes. Run after each build.
    Precompress,
    /// Fill the database with demo or synthetic data.
    Seed {
        /// Demo tenants, people, ~40 plugins, installations and reviews (skipped when present).
        #[arg(long, conflicts_with = "synthetic")]
        demo: bool,
        /// N generated published plugins, for benchmarks.
        #[arg(long, value_name = "N")]
        synthetic: Option<usize>,
    },
    /// Manage user accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Register plugins as OAuth clients (operators, on the database), or check and deploy
    /// plugboard.toml (developers, at a running Plugboard with a developer token).
    Plugins {
        #[command(subcommand)]
        command: PluginsCommand,
    },
}

#[derive(Subcommand)]
enum PluginsCommand {
    /// Register a plugin; prints JSON {client_id, client_secret, webhook_secret, slug}.
    /// The secrets are shown this once.
    Create {
        #[arg(long)]
        name: String,
        /// Lowercase a-z, 0-9 and dashes.
        #[arg(long)]
        slug: String,
        /// One of: productivity, communication, developer-tools, analytics, automation,
        /// security, finance, marketing, support.
        #[arg(long)]
        category: String,
        /// Exact redirect URIs (https, or http on 127.0.0.1/localhost); repeat or list.
        #[arg(long = "redirect-uri", value_name = "URI", num_args = 1.., required = true)]
        redirect_uris: Vec<String>,
        /// Scopes the plugin asks for: read:projects write:projects read:tasks write:tasks read:users.
        #[arg(long = "scope", value_name = "S", num_args = 1..)]
        scopes: Vec<String>,
        #[arg(long)]
        webhook_url: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
        /// Defaults to the name.
        #[arg(long)]
        author: Option<String>,
        /// List it in the marketplace.
        #[arg(long)]
        publish: bool,
        /// Show the Verified badge.
        #[arg(long)]
        verified: bool,
    },
    /// Replace a plugin's client secret; prints JSON {client_id, client_secret, slug}.
    RotateSecret {
        #[arg(long)]
        slug: String,
    },
    /// Check plugboard.toml with the console form's rules, at a running Plugboard
    /// (developer token).
    Validate {
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Say what deploying plugboard.toml would change against what runs now, each change
    /// as live now, needs review or needs re-consent by installers, and why.
    Diff {
        #[command(flatten)]
        remote: RemoteArgs,
    },
    /// Register the plugin plugboard.toml describes, or save it as the plugin's draft,
    /// upload its client_bundle, and with --submit send it for review.
    Deploy {
        #[command(flatten)]
        remote: RemoteArgs,
        /// Submit the version for review with these release notes.
        #[arg(long, value_name = "RELEASE_NOTES")]
        submit: Option<String>,
    },
}

/// A running Plugboard and a developer token for the developer commands.
#[derive(clap::Args)]
struct RemoteArgs {
    /// The plugin's manifest.
    #[arg(long, default_value = "plugboard.toml")]
    manifest: std::path::PathBuf,
    /// Plugboard's address, e.g. https://plugboard.example.com.
    #[arg(long, env = "PLUGBOARD_URL")]
    url: String,
    /// A developer token (pbd_…) made in the developer console.
    #[arg(long, env = "PLUGBOARD_DEVELOPER_TOKEN", hide_env_values = true)]
    token: String,
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a user in a tenant (the tenant is created when no tenant has that name).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        /// The tenant's name.
        #[arg(long)]
        tenant: String,
        /// owner, admin, member or viewer.
        #[arg(long, default_value = "member")]
        role: String,
        #[arg(long, default_value = "")]
        name: String,
        /// A platform operator: reviews, publishes and verifies plugins.
        #[arg(long)]
        staff: bool,
        /// Give the user a developer profile (the console at /developer).
        #[arg(long)]
        developer: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    // The developer commands talk to a running Plugboard; they open no database.
    if let Some(Command::Plugins { command }) = &cli.command {
        use server::developer_cli::{self, Action, Remote};
        let (remote, action) = match command {
            PluginsCommand::Validate { remote } => (remote, Action::Validate),
            PluginsCommand::Diff { remote } => (remote, Action::Diff),
            PluginsCommand::Deploy { remote, submit } => (remote, Action::Deploy { submit: submit.clone() }),
            PluginsCommand::Create { .. } | PluginsCommand::RotateSecret { .. } => return operator(cli).await,
        };
        let remote = Remote { url: remote.url.clone(), token: remote.token.clone(), manifest: remote.manifest.clone() };
        return developer_cli::run(&remote, action).await;
    }
    operator(cli).await
}

async fn operator(cli: Cli) -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    if let Some(Command::Precompress) = cli.command {
        return precompress(&config);
    }
    let db = open_database(&config).await.map_err(|e| e.to_string())?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let listener = tokio::net::TcpListener::bind(config.site_addr)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", config.site_addr))?;
            tracing::info!("Plugboard listening on http://{}", config.site_addr);
            if config.vault.is_ephemeral() {
                tracing::warn!("PLUGBOARD_TOKEN_KEY is not set: connections to plugins' services last until this process stops");
            }
            serve(listener, app_state(&config, db), shutdown_signal()).await.map_err(|e| e.to_string())
        }
        Command::Precompress => precompress(&config),
        Command::Migrate => {
            println!("migrations applied");
            Ok(())
        }
        Command::Seed { demo, synthetic } => match (demo, synthetic) {
            (true, _) => {
                let report = seed::seed_demo(&db, &config.vault).await.map_err(|e| e.to_string())?;
                if report.skipped {
                    println!("demo data already present; nothing changed");
                } else {
                    println!(
                        "demo data: {} tenants, {} users, {} plugins, {} installations, {} reviews (password: {})",
                        report.tenants, report.users, report.plugins, report.installations, report.reviews, seed::DEMO_PASSWORD
                    );
                }
                Ok(())
            }
            (false, Some(n)) => {
                let started = std::time::Instant::now();
                let added = seed::seed_synthetic(&db, n).await.map_err(|e| e.to_string())?;
                println!("{added} synthetic plugins in {:.1}s", started.elapsed().as_secs_f64());
                Ok(())
            }
            (false, None) => Err("say what to seed: --demo or --synthetic N".into()),
        },
        Command::Users { command: UsersCommand::Create { email, password, tenant, role, name, staff, developer } } => {
            let email = Email::parse(&email).map_err(|m| format!("--email: {m}"))?;
            let password = Password::parse_new(&password).map_err(|m| format!("--password: {m}"))?;
            let tenant = TenantName::parse(&tenant).map_err(|m| format!("--tenant: {m}"))?;
            let role = Role::parse(&role).ok_or("--role: use owner, admin, member or viewer")?;
            let user = accounts::NewUser { email: &email, display_name: &name, password: &password, role };
            let (tenant_id, user_id) =
                accounts::create_user_in_tenant(&db, &tenant, &user).await.map_err(|e| e.to_string())?;
            accounts::set_platform_roles(&db, user_id, staff, developer).await.map_err(|e| e.to_string())?;
            let extra = [(staff, ", staff"), (developer, ", developer")].iter().filter(|(on, _)| *on).map(|(_, s)| *s).collect::<String>();
            println!("created user {user_id} ({}) in tenant {tenant_id} as {}{extra}", email.as_str(), role.as_str());
            Ok(())
        }
        Command::Plugins { command } => plugins(&db, &config, command).await,
    }
}

async fn plugins(db: &app::server::Db, config: &Config, command: PluginsCommand) -> Result<(), String> {
    use app::domain::{Category, PluginSlug, ScopeSet};
    use app::server::oauth::redirect_uri::RedirectUri;
    use app::server::registry::{self, Listing, NewPlugin};

    let credentials = match command {
        PluginsCommand::Create {
            name, slug, category, redirect_uris, scopes, webhook_url, description, author, publish, verified,
        } => {
            let slug = PluginSlug::parse(&slug).map_err(|e| format!("--slug: {e}"))?;
            let category = Category::parse(&category).ok_or_else(|| format!("--category: unknown category {category:?}"))?;
            let redirect_uris = redirect_uris
                .iter()
                .flat_map(|r| r.split_whitespace())
                .map(RedirectUri::parse)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("--redirect-uri: {e}"))?;
            let scopes = ScopeSet::parse_oauth(&scopes.join(" ")).map_err(|e| format!("--scope: {e}"))?;
            let webhook_url = webhook_url
                .map(|u| app::server::outbound::parse_endpoint_url(&u, &config.outbound_policy()))
                .transpose()
                .map_err(|e| format!("--webhook-url: {e}"))?;
            let listing = Listing { author: author.unwrap_or_else(|| name.clone()), slug, name, description, category, redirect_uris, scopes };
            let plugin = NewPlugin { webhook_url, publish, verified, ..NewPlugin::api_only(listing) };
            registry::create_plugin(db, &config.vault, &plugin).await.map_err(|e| e.to_string())?
        }
        PluginsCommand::RotateSecret { slug } => {
            let slug = PluginSlug::parse(&slug).map_err(|e| format!("--slug: {e}"))?;
            registry::rotate_client_secret(db, &slug).await.map_err(|e| e.to_string())?
        }
        PluginsCommand::Validate { .. } | PluginsCommand::Diff { .. } | PluginsCommand::Deploy { .. } => {
            return Err("the developer commands run against a Plugboard's address, not its database".into())
        }
    };
    println!("{}", serde_json::to_string_pretty(&credentials).map_err(|e| e.to_string())?);
    Ok(())
}

fn precompress(config: &Config) -> Result<(), String> {
    let dir = std::path::Path::new(&config.site_root);
    let report = server::assets::precompress(dir).map_err(|e| format!("compressing {}: {e}", dir.display()))?;
    println!("{:<44} {:>12} {:>12} {:>12}", "asset", "raw bytes", "gzip -9", "brotli 11");
    for asset in &report {
        let name = asset.path.strip_prefix(dir).unwrap_or(&asset.path).display().to_string();
        println!("{name:<44} {:>12} {:>12} {:>12}", asset.raw, asset.gzip, asset.brotli);
    }
    Ok(())
}
