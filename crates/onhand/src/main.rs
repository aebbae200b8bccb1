//! The `onhand` binary: parses configuration and wires the crates together. Nothing else.

mod config;
mod demo;

use anyhow::Context;
use clap::Parser;
use config::{Cli, Command};
use onhand_store::Store;
use onhand_web::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ONHAND_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let settings = config::Settings::load(&cli)?;
    match &cli.command {
        Command::Serve(_) => serve(settings).await,
        Command::Migrate => {
            let store = open(&settings).await?;
            store.close().await;
            match &settings.database_url {
                Some(_) => println!("migrations applied to the PostgreSQL database"),
                None => println!("migrations applied to {}", settings.data_dir.display()),
            }
            Ok(())
        }
        Command::MigrateTo => migrate_to(&settings).await,
        Command::Demo => {
            let store = open(&settings).await?;
            let report = demo::seed(&store).await?;
            report.print();
            store.close().await;
            Ok(())
        }
        Command::Admin(config::AdminCommand::Create { email, name }) => {
            let store = open(&settings).await?;
            let password =
                demo::create_operator(&store, email, name.as_deref().unwrap_or("Operator")).await?;
            println!("operator {email} created; password: {password}");
            println!("(shown once: store it in your password manager)");
            store.close().await;
            Ok(())
        }
    }
}

async fn open(settings: &config::Settings) -> anyhow::Result<Store> {
    match &settings.database_url {
        Some(url) => Store::open_postgres(url)
            .await
            .context("opening the PostgreSQL database"),
        None => Store::open_sqlite(&settings.data_dir)
            .await
            .with_context(|| format!("opening the database in {}", settings.data_dir.display())),
    }
}

/// `onhand migrate-to`: SQLite in the data folder -> the empty PostgreSQL database.
async fn migrate_to(settings: &config::Settings) -> anyhow::Result<()> {
    let Some(url) = &settings.database_url else {
        anyhow::bail!(
            "migrate-to needs --database-url postgres://... naming the new, empty database"
        );
    };
    let file = settings.data_dir.join(onhand_store::SQLITE_FILE);
    if !file.exists() {
        anyhow::bail!("there is no SQLite database at {}", file.display());
    }
    let source = Store::open_sqlite(&settings.data_dir)
        .await
        .with_context(|| format!("opening {}", file.display()))?;
    let target = Store::open_postgres(url)
        .await
        .context("opening the PostgreSQL database")?;
    let started = std::time::Instant::now();
    let report = source
        .copy_into(&target)
        .await
        .context("copying into PostgreSQL (nothing was written)")?;
    for (table, rows) in &report.tables {
        println!("{table:<24} {rows:>9} rows");
    }
    println!(
        "copied {} rows in {:.1}s; row counts match and the ledger replays to its balances",
        report.rows(),
        started.elapsed().as_secs_f64()
    );
    println!("serve from PostgreSQL now with --database-url (the SQLite file is left as it was)");
    source.close().await;
    target.close().await;
    Ok(())
}

async fn serve(settings: config::Settings) -> anyhow::Result<()> {
    let store = open(&settings).await?;
    if settings.demo {
        if store.is_empty().await? {
            let report = demo::seed(&store).await?;
            report.print();
        } else {
            tracing::info!("the database already has data; --demo seeds only an empty one");
            demo::print_credentials();
        }
    }
    let app = Application::build(settings.web.clone(), store.clone())
        .await
        .with_context(|| format!("binding {}", settings.web.listen))?;
    tracing::info!(address = %app.local_addr(), data_dir = %settings.data_dir.display(), "onhand is serving");
    println!("Onhand is running on http://{}", app.local_addr());
    app.serve(shutdown_signal()).await?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM; in-flight requests then finish before exit.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
