//! Configuration: command-line flags, then `ONHAND_*` environment variables, then
//! `onhand.toml`, then defaults — the first that says something wins.

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use onhand_core::money::Currency;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "onhand",
    version,
    about = "Onhand: live help over video, as a self-hostable marketplace"
)]
pub struct Cli {
    /// Configuration file; ./onhand.toml is read when present.
    #[arg(long, global = true, env = "ONHAND_CONFIG")]
    pub config: Option<PathBuf>,
    /// Folder for the database and other data [default: ./onhand-data].
    #[arg(long, global = true, env = "ONHAND_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Runs the web app and JSON API.
    Serve(ServeArgs),
    /// Applies database migrations and exits.
    Migrate,
    /// Seeds demo data into an empty database and exits.
    Demo,
    /// Operator accounts.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Creates an operator and prints a generated password.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "ONHAND_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Seed demo data into an empty database before serving.
    #[arg(long, env = "ONHAND_DEMO")]
    pub demo: bool,
    /// Mark cookies Secure (set when serving over https) [default: false].
    #[arg(long, env = "ONHAND_SECURE_COOKIES")]
    pub secure_cookies: Option<bool>,
    /// End sessions unused for this many minutes [default: 4320, three days].
    #[arg(long, env = "ONHAND_SESSION_IDLE_MINUTES")]
    pub session_idle_minutes: Option<u64>,
    /// End sessions this many hours after sign-in [default: 720, thirty days].
    #[arg(long, env = "ONHAND_SESSION_MAX_HOURS")]
    pub session_max_hours: Option<u64>,
    /// Platform currency [default: USD].
    #[arg(long, env = "ONHAND_CURRENCY")]
    pub currency: Option<String>,
}

/// What `onhand.toml` may say.
#[derive(serde::Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub demo: Option<bool>,
    pub secure_cookies: Option<bool>,
    pub session_idle_minutes: Option<u64>,
    pub session_max_hours: Option<u64>,
    pub currency: Option<String>,
}

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub demo: bool,
    pub web: onhand_web::Config,
}

impl Settings {
    pub fn load(cli: &Cli) -> anyhow::Result<Settings> {
        let file = match &cli.config {
            Some(path) => read_file(path)?,
            None if Path::new("onhand.toml").exists() => read_file(Path::new("onhand.toml"))?,
            None => FileConfig::default(),
        };
        let empty = ServeArgs::default();
        let serve = match &cli.command {
            Command::Serve(args) => args,
            _ => &empty,
        };
        let defaults = onhand_web::Config::default();
        let idle_minutes = serve.session_idle_minutes.or(file.session_idle_minutes);
        let max_hours = serve.session_max_hours.or(file.session_max_hours);
        let currency = match serve.currency.as_deref().or(file.currency.as_deref()) {
            Some(code) => Currency::parse(code).map_err(|e| anyhow::anyhow!("currency: {e}"))?,
            None => defaults.currency,
        };
        if idle_minutes == Some(0) || max_hours == Some(0) {
            bail!("session timeouts must be at least 1");
        }
        Ok(Settings {
            data_dir: cli
                .data_dir
                .clone()
                .or(file.data_dir)
                .unwrap_or_else(|| PathBuf::from("onhand-data")),
            demo: serve.demo || file.demo.unwrap_or(false),
            web: onhand_web::Config {
                listen: serve.listen.or(file.listen).unwrap_or(defaults.listen),
                secure_cookies: serve
                    .secure_cookies
                    .or(file.secure_cookies)
                    .unwrap_or(false),
                session_idle: idle_minutes
                    .map(|m| Duration::from_secs(m * 60))
                    .unwrap_or(defaults.session_idle),
                session_max: max_hours
                    .map(|h| Duration::from_secs(h * 3600))
                    .unwrap_or(defaults.session_max),
                currency,
                ..defaults
            },
        })
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}
