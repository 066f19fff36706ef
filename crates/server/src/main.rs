//! `cong`: serve the portal, migrate, load the demo, manage users and tokens, print the
//! OpenAPI document. See docs/cli-contract.md; tests and scripts depend on its exact form.

use catalogue::actions::user::{add_user, issue_token, NewUser};
use catalogue::Catalogue;
use clap::{Parser, Subcommand};
use server::config::{FileConfig, Overrides, Settings};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// mimalloc: fewer cycles per request than glibc's allocator under many small JSON
/// allocations, and freed memory goes back to the system (RSS stays near the working set).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "cong",
    version,
    about = "Cổng: a CKAN-compatible open-data portal"
)]
struct Cli {
    /// Where the SQLite database, index and files live.
    #[arg(long, global = true, env = "CONG_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// postgres://… for PostgreSQL; default: the SQLite file in the data dir.
    #[arg(long, global = true, env = "CONG_DATABASE_URL")]
    database_url: Option<String>,
    /// Configuration file (cong.toml); environment and options override it.
    #[arg(long, global = true, env = "CONG_CONFIG")]
    config: Option<PathBuf>,
    /// Public base URL, for absolute links.
    #[arg(long, global = true, env = "CONG_SITE_URL")]
    site_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations, then serve the portal and the API.
    Serve {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, env = "CONG_BIND")]
        bind: Option<String>,
        /// Load the demo catalogue first.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Load the demo catalogue (idempotent).
    Demo,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Print the OpenAPI document of the Action API.
    Openapi,
    /// Rebuild the search index from the database.
    Reindex,
    /// Check uploaded files against the catalogue.
    Files {
        #[command(subcommand)]
        command: FilesCommand,
    },
    /// Load synthetic datasets (for benchmarks).
    Generate {
        #[arg(long)]
        datasets: usize,
        #[arg(long, default_value_t = 5)]
        resources: usize,
        #[arg(long, default_value_t = 5)]
        tags: usize,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; prints its id.
    Add {
        name: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: Option<String>,
        #[arg(long)]
        sysadmin: bool,
    },
}

#[derive(Subcommand)]
enum FilesCommand {
    /// List stored files no resource refers to, and resources whose file is missing;
    /// exits non-zero when there are any.
    Check {
        /// Delete the unreferenced files.
        #[arg(long)]
        delete: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for USER; prints the token alone.
    Create {
        user: String,
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

fn settings(cli: &Cli, bind: Option<String>) -> Result<Settings, String> {
    let file = match &cli.config {
        Some(path) => FileConfig::load(path)?,
        None if std::path::Path::new("cong.toml").exists() => {
            FileConfig::load(std::path::Path::new("cong.toml"))?
        }
        None => FileConfig::default(),
    };
    Settings::resolve(
        file,
        Overrides {
            data_dir: cli.data_dir.clone(),
            database_url: cli.database_url.clone(),
            site_url: cli.site_url.clone(),
            bind,
        },
    )
}

/// Opens the catalogue for a command that needs the database now.
fn open(settings: &Settings) -> Result<Catalogue, String> {
    create_data_dir(settings)?;
    Catalogue::open(&settings.database_url, settings.catalogue.clone()).map_err(|e| e.to_string())
}

fn create_data_dir(settings: &Settings) -> Result<(), String> {
    let backend =
        catalogue::Backend::from_url(&settings.database_url).map_err(|e| e.to_string())?;
    if backend == catalogue::Backend::Sqlite {
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
            format!(
                "cannot create data directory {}: {e}",
                settings.data_dir.display()
            )
        })?;
    }
    Ok(())
}

fn describe(e: catalogue::Error) -> String {
    match e {
        catalogue::Error::Validation(f) => serde_json::Value::Object(f.into_map()).to_string(),
        other => other.to_string(),
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match &cli.command {
        Command::Serve { bind, demo } => {
            let settings = settings(&cli, bind.clone())?;
            serve(settings, *demo)
        }
        Command::Migrate => {
            open(&settings(&cli, None)?)?;
            eprintln!("cong: migrations applied");
            Ok(())
        }
        Command::Demo => {
            let cat = open(&settings(&cli, None)?)?;
            let r = catalogue::demo::load_demo(&cat).map_err(describe)?;
            eprintln!(
                "cong: demo loaded ({} organizations, {} groups, {} datasets added)",
                r.organizations, r.groups, r.datasets
            );
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Add {
                    name,
                    email,
                    password,
                    sysadmin,
                },
        } => {
            let cat = open(&settings(&cli, None)?)?;
            let u = add_user(
                &cat,
                NewUser {
                    name: name.clone(),
                    email: email.clone(),
                    password: password.clone(),
                    fullname: None,
                    about: None,
                    sysadmin: *sysadmin,
                },
            )
            .map_err(describe)?;
            println!("{}", u.id);
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { user, label },
        } => {
            let cat = open(&settings(&cli, None)?)?;
            let t = issue_token(&cat, user, label).map_err(describe)?;
            println!("{}", t.token);
            Ok(())
        }
        Command::Reindex => {
            let settings = settings(&cli, None)?;
            let cat = open(&settings)?;
            let (engine, _) = search::Engine::open(&index_dir(&settings), REINDEX_WRITER_MB)
                .map_err(|e| e.to_string())?;
            let started = std::time::Instant::now();
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} datasets ({per_sec}, {eta} left)",
                )
                .map_err(|e| e.to_string())?,
            );
            let n = engine
                .rebuild(&cat, |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                })
                .map_err(|e| e.to_string())?;
            bar.finish_and_clear();
            eprintln!(
                "cong: indexed {n} datasets in {:.1} s ({} MiB on disk)",
                started.elapsed().as_secs_f64(),
                engine.size_on_disk() / (1 << 20)
            );
            Ok(())
        }
        Command::Files {
            command: FilesCommand::Check { delete },
        } => {
            let settings = settings(&cli, None)?;
            let cat = open(&settings)?;
            let storage = files::Storage::open(&settings.storage).map_err(|e| e.to_string())?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(check_files(&cat, &storage, *delete))
        }
        Command::Openapi => {
            print!("{}", server::openapi::document_json());
            Ok(())
        }
        Command::Generate {
            datasets,
            resources,
            tags,
        } => {
            let cat = open(&settings(&cli, None)?)?;
            let started = std::time::Instant::now();
            let made = catalogue::demo::generate(&cat, *datasets, *resources, *tags, |i| {
                if i % 1000 == 0 {
                    eprintln!("cong: {i} datasets");
                }
            })
            .map_err(describe)?;
            eprintln!(
                "cong: generated {made} datasets in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

fn serve(settings: Settings, demo: bool) -> Result<(), String> {
    let listener = std::net::TcpListener::bind(&settings.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut settings = settings;
    if settings.site_url.is_none() {
        settings.catalogue.site_url = format!("http://{addr}");
    }
    create_data_dir(&settings)?;
    // The server starts even when the database is down, and answers 503 until it is back.
    let cat = Arc::new(
        Catalogue::open_lazily(&settings.database_url, settings.catalogue.clone())
            .map_err(|e| e.to_string())?,
    );
    let storage = files::Storage::open(&settings.storage).map_err(|e| e.to_string())?;
    let (engine, opened) =
        search::Engine::open(&index_dir(&settings), SERVE_WRITER_MB).map_err(|e| e.to_string())?;
    let engine = Arc::new(engine.with_cache(settings.search_cache_bytes));
    cat.install_searcher(engine.clone());
    let startup = Startup {
        cat: cat.clone(),
        engine: engine.clone(),
        rebuild: opened == search::Opened::Fresh,
        demo,
    };
    match cat.db.ensure_migrated() {
        Ok(()) => startup.run()?,
        Err(e) => {
            eprintln!("cong: the database is not reachable yet ({e}); answering 503 until it is");
            startup.run_when_reachable().map_err(|e| e.to_string())?;
        }
    }
    engine.follow(cat.clone()).map_err(|e| e.to_string())?;
    catalogue::feed::listen(cat.clone()).map_err(|e| e.to_string())?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let server = server::build(cat, storage, listener, &settings).map_err(|e| e.to_string())?;
        println!("cong: listening on http://{addr}");
        let _ = std::io::stdout().flush();
        server.await.map_err(|e| e.to_string())
    })
}

/// What `cong serve` does once the database answers: the demo catalogue if asked for, and
/// the search index brought up to date (rebuilt when it was missing, corrupt or outdated).
struct Startup {
    cat: Arc<Catalogue>,
    engine: Arc<search::Engine>,
    rebuild: bool,
    demo: bool,
}

impl Startup {
    fn run(&self) -> Result<(), String> {
        if self.demo {
            let r = catalogue::demo::load_demo(&self.cat).map_err(describe)?;
            eprintln!(
                "cong: demo loaded ({} organizations, {} groups, {} datasets added)",
                r.organizations, r.groups, r.datasets
            );
        }
        if self.rebuild {
            let started = std::time::Instant::now();
            let n = self
                .engine
                .rebuild(&self.cat, |_, _| {})
                .map_err(|e| e.to_string())?;
            eprintln!(
                "cong: search index built ({n} datasets, {:.1} s)",
                started.elapsed().as_secs_f64()
            );
        } else {
            self.engine.sync(&self.cat).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Runs [`Startup::run`] in the background as soon as the database answers.
    fn run_when_reachable(self) -> std::io::Result<()> {
        std::thread::Builder::new()
            .name("startup".into())
            .spawn(move || loop {
                std::thread::sleep(STARTUP_RETRY);
                if self.cat.db.ensure_migrated().is_err() {
                    continue;
                }
                match self.run() {
                    Ok(()) => {
                        eprintln!("cong: the database is reachable; serving normally");
                        return;
                    }
                    Err(e) => eprintln!("cong: start-up not finished ({e}); retrying"),
                }
            })
            .map(|_| ())
    }
}

/// How old a file without resource must be before `files check --delete` removes it.
const ORPHAN_GRACE: std::time::Duration = std::time::Duration::from_secs(3600);

/// `cong files check`: storage and catalogue must agree.
async fn check_files(
    cat: &Catalogue,
    storage: &files::Storage,
    delete: bool,
) -> Result<(), String> {
    let referenced = catalogue::files::referenced(cat).map_err(describe)?;
    let stored_with_age = storage.keys_with_age().await.map_err(|e| e.to_string())?;
    let stored: Vec<String> = stored_with_age.iter().map(|(k, _)| k.clone()).collect();
    let known: std::collections::HashSet<&str> =
        referenced.iter().map(|(k, _, _)| k.as_str()).collect();
    let present: std::collections::HashSet<&str> = stored.iter().map(String::as_str).collect();
    let orphans: Vec<&str> = stored
        .iter()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .collect();
    let missing: Vec<&(String, String, i32)> = referenced
        .iter()
        .filter(|(k, _, _)| !present.contains(k.as_str()))
        .collect();
    println!(
        "{} stored files, {} referenced by resources ({})",
        stored.len(),
        referenced.len(),
        storage.description
    );
    for k in &orphans {
        println!("file without resource: {k}");
    }
    for (k, rid, v) in &missing {
        println!("resource without file: resource {rid} version {v} ({k})");
    }
    if delete {
        // An upload is written before its resource commits: a young "orphan" may be one in
        // flight on a running server, so only old ones are deleted.
        let mut deleted = 0;
        for k in &orphans {
            let young = stored_with_age
                .iter()
                .any(|(key, age)| key == k && *age < ORPHAN_GRACE);
            if young {
                println!("kept (written less than an hour ago, maybe an upload in progress): {k}");
                continue;
            }
            storage.delete(k).await.map_err(|e| e.to_string())?;
            deleted += 1;
        }
        let trash = catalogue::files::trash(cat).map_err(describe)?;
        catalogue::files::empty_trash(cat, &trash).map_err(describe)?;
        println!("deleted {deleted} files without resource");
        return if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("{} resources have lost their file", missing.len()))
        };
    }
    if orphans.is_empty() && missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} files without resource, {} resources without file",
            orphans.len(),
            missing.len()
        ))
    }
}

/// Indexing memory for the server (kept small: it is resident) and for `cong reindex`.
const SERVE_WRITER_MB: usize = 16;
const REINDEX_WRITER_MB: usize = 256;
/// How often `cong serve` tries again to reach a database that was down at start-up.
const STARTUP_RETRY: std::time::Duration = std::time::Duration::from_millis(500);

fn index_dir(settings: &Settings) -> PathBuf {
    settings.data_dir.join("index")
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CONG_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cong: error: {e}");
            ExitCode::FAILURE
        }
    }
}
