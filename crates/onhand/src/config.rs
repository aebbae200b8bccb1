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
    /// The database: postgres://user@host/db for PostgreSQL, which several nodes may
    /// share [default: SQLite in the data folder]. For migrate-to: where to copy to.
    #[arg(
        long,
        global = true,
        env = "ONHAND_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Runs the web app and JSON API.
    Serve(Box<ServeArgs>),
    /// Applies database migrations and exits.
    Migrate,
    /// Seeds demo data into an empty database and exits.
    Demo,
    /// Copies this installation's SQLite database (in the data folder) into the empty
    /// PostgreSQL database named by --database-url, then checks the copy.
    MigrateTo,
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
    /// Commission on paid sessions, in percent with up to two decimals [default: 20].
    /// Free and Health sessions never pay commission.
    #[arg(long, env = "ONHAND_COMMISSION_PERCENT")]
    pub commission_percent: Option<String>,
    /// The smallest payout, in the currency's main unit [default: 10].
    #[arg(long, env = "ONHAND_PAYOUT_MINIMUM")]
    pub payout_minimum: Option<String>,
    /// How people reach this installation, for links in emails [default: http://LISTEN].
    #[arg(long, env = "ONHAND_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// How browsers reach this node directly, when several nodes share a PostgreSQL
    /// database: video rooms this node hosts send participants here [default: the
    /// public URL].
    #[arg(long, env = "ONHAND_NODE_URL")]
    pub node_url: Option<String>,
    /// SMTP server for email; without one, mail is written to DATA_DIR/outbox.
    #[arg(long, env = "ONHAND_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// SMTP port [default: 587 for starttls, 465 for tls, 25 for none].
    #[arg(long, env = "ONHAND_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    /// starttls, tls or none [default: starttls].
    #[arg(long, env = "ONHAND_SMTP_TLS")]
    pub smtp_tls: Option<String>,
    #[arg(long, env = "ONHAND_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    #[arg(long, env = "ONHAND_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// A PEM file with a certificate to trust for the SMTP server (a private CA).
    #[arg(long, env = "ONHAND_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<PathBuf>,
    /// The sender of every email [default: "Onhand <no-reply@HOST>"].
    #[arg(long, env = "ONHAND_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// UDP address of the media server [default: the listen address, port + 1].
    #[arg(long, env = "ONHAND_MEDIA_LISTEN")]
    pub media_listen: Option<SocketAddr>,
    /// The address browsers reach the media server at, when it differs (behind NAT).
    #[arg(long, env = "ONHAND_MEDIA_PUBLIC_ADDRESS")]
    pub media_public_address: Option<SocketAddr>,
    /// A TURN server URL for browsers behind strict firewalls (repeat for several),
    /// e.g. turn:turn.example.com:3478?transport=udp.
    #[arg(long = "turn-url", env = "ONHAND_TURN_URLS", value_delimiter = ',')]
    pub turn_urls: Vec<String>,
    /// The TURN server's REST shared secret (coturn `static-auth-secret`).
    #[arg(long, env = "ONHAND_TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<String>,
    /// The bearer token Prometheus sends to scrape /metrics [default: /metrics is off].
    #[arg(long, env = "ONHAND_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// What `onhand.toml` may say.
#[derive(serde::Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub node_url: Option<String>,
    pub listen: Option<SocketAddr>,
    pub demo: Option<bool>,
    pub secure_cookies: Option<bool>,
    pub session_idle_minutes: Option<u64>,
    pub session_max_hours: Option<u64>,
    pub currency: Option<String>,
    pub commission_percent: Option<String>,
    pub payout_minimum: Option<String>,
    pub public_url: Option<String>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    pub smtp_tls: Option<String>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    pub smtp_ca_file: Option<PathBuf>,
    pub mail_from: Option<String>,
    pub media_listen: Option<SocketAddr>,
    pub media_public_address: Option<SocketAddr>,
    #[serde(default)]
    pub turn_urls: Vec<String>,
    pub turn_secret: Option<String>,
    pub metrics_token: Option<String>,
}

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    /// PostgreSQL, when set; else SQLite in `data_dir`.
    pub database_url: Option<String>,
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
            Command::Serve(args) => args.as_ref(),
            _ => &empty,
        };
        let defaults = onhand_web::Config::default();
        let idle_minutes = serve.session_idle_minutes.or(file.session_idle_minutes);
        let max_hours = serve.session_max_hours.or(file.session_max_hours);
        let currency = match serve.currency.as_deref().or(file.currency.as_deref()) {
            Some(code) => Currency::parse(code).map_err(|e| anyhow::anyhow!("currency: {e}"))?,
            None => defaults.currency,
        };
        let commission_bps = match serve
            .commission_percent
            .as_deref()
            .or(file.commission_percent.as_deref())
        {
            Some(raw) => commission_bps(raw)?,
            None => defaults.commission_bps,
        };
        let payout_minimum_minor = match serve
            .payout_minimum
            .as_deref()
            .or(file.payout_minimum.as_deref())
        {
            Some(raw) => currency
                .parse_amount("payout_minimum", raw)
                .map_err(|e| anyhow::anyhow!("payout minimum: {e}"))?,
            None => defaults.payout_minimum_minor,
        };
        if idle_minutes == Some(0) || max_hours == Some(0) {
            bail!("session timeouts must be at least 1");
        }
        let data_dir = cli
            .data_dir
            .clone()
            .or(file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("onhand-data"));
        let listen = serve.listen.or(file.listen).unwrap_or(defaults.listen);
        let public_url = serve
            .public_url
            .clone()
            .or(file.public_url.clone())
            .unwrap_or_else(|| format!("http://{listen}"));
        let public_url = public_url.trim_end_matches('/').to_string();
        let parsed = url::Url::parse(&public_url)
            .map_err(|e| anyhow::anyhow!("public URL {public_url:?}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            bail!("public URL {public_url:?} must be an http or https address");
        }
        let node_url = serve
            .node_url
            .clone()
            .or(file.node_url.clone())
            .map(|u| u.trim_end_matches('/').to_string())
            .unwrap_or_else(|| public_url.clone());
        let parsed_node = url::Url::parse(&node_url)
            .map_err(|e| anyhow::anyhow!("node URL {node_url:?}: {e}"))?;
        if !matches!(parsed_node.scheme(), "http" | "https")
            || parsed_node.host_str().is_none()
            || parsed_node.path() != "/"
        {
            bail!(
                "node URL {node_url:?} must be an http or https origin, like https://node1.example.com"
            );
        }
        let database_url = cli.database_url.clone().or(file.database_url.clone());
        if let Some(url) = &database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            bail!(
                "the database URL must start with postgres:// (SQLite needs none: it lives in the data folder)"
            );
        }
        let mail = mail_config(
            serve,
            &file,
            &data_dir,
            parsed.host_str().unwrap_or("localhost"),
        )?;
        let media_listen = serve.media_listen.or(file.media_listen).unwrap_or_else(|| {
            let port = if listen.port() == 0 {
                0
            } else {
                listen.port().wrapping_add(1)
            };
            SocketAddr::new(listen.ip(), port)
        });
        let media_public = serve.media_public_address.or(file.media_public_address);
        let turn_urls = if serve.turn_urls.is_empty() {
            file.turn_urls.clone()
        } else {
            serve.turn_urls.clone()
        };
        let turn_secret = serve.turn_secret.clone().or(file.turn_secret.clone());
        if let Some(bad) = turn_urls
            .iter()
            .find(|u| !(u.starts_with("turn:") || u.starts_with("turns:")))
        {
            bail!("TURN URL {bad:?} must start with turn: or turns:");
        }
        if turn_urls.is_empty() != turn_secret.is_none() {
            bail!("give both a TURN URL and the TURN secret, or neither");
        }
        let metrics_token = serve.metrics_token.clone().or(file.metrics_token.clone());
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            bail!("the metrics token must be at least 16 characters");
        }
        Ok(Settings {
            data_dir: data_dir.clone(),
            database_url,
            demo: serve.demo || file.demo.unwrap_or(false),
            web: onhand_web::Config {
                listen,
                public_url,
                node_url,
                mail,
                media_listen,
                media_public,
                turn_urls,
                turn_secret,
                metrics_token,
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
                commission_bps,
                payout_minimum_minor,
                search_dir: Some(data_dir.join("search")),
                ..defaults
            },
        })
    }
}

/// Where mail goes: the SMTP server if one is named, else the outbox in the data folder.
fn mail_config(
    serve: &ServeArgs,
    file: &FileConfig,
    data_dir: &Path,
    host: &str,
) -> anyhow::Result<onhand_web::mail::MailConfig> {
    use onhand_web::mail::{MailConfig, SmtpConfig, SmtpTls};
    let pick = |a: &Option<String>, b: &Option<String>| a.clone().or_else(|| b.clone());
    let from = pick(&serve.mail_from, &file.mail_from)
        .unwrap_or_else(|| format!("Onhand <no-reply@{host}>"));
    if onhand_web::mail::check_sender(&from).is_err() {
        bail!("mail from {from:?} is not an address like \"Onhand <help@example.com>\"");
    }
    let smtp = match pick(&serve.smtp_host, &file.smtp_host) {
        None => None,
        Some(host) => {
            let tls_raw =
                pick(&serve.smtp_tls, &file.smtp_tls).unwrap_or_else(|| "starttls".into());
            let Some(tls) = SmtpTls::parse(&tls_raw) else {
                bail!("smtp tls {tls_raw:?} is not one of starttls, tls, none");
            };
            let port = serve.smtp_port.or(file.smtp_port).unwrap_or(match tls {
                SmtpTls::StartTls => 587,
                SmtpTls::Tls => 465,
                SmtpTls::None => 25,
            });
            let ca_pem = match serve.smtp_ca_file.clone().or(file.smtp_ca_file.clone()) {
                Some(path) => Some(
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading the SMTP CA file {}", path.display()))?,
                ),
                None => None,
            };
            let username = pick(&serve.smtp_username, &file.smtp_username);
            let password = pick(&serve.smtp_password, &file.smtp_password);
            if username.is_some() != password.is_some() {
                bail!("give both the SMTP username and password, or neither");
            }
            Some(SmtpConfig {
                host,
                port,
                tls,
                username,
                password,
                ca_pem,
            })
        }
    };
    Ok(MailConfig {
        smtp,
        outbox: data_dir.join("outbox"),
        from,
    })
}

/// "20" or "12.5" percent as basis points, 0..=100 %.
fn commission_bps(raw: &str) -> anyhow::Result<u32> {
    let (whole, frac) = raw.trim().split_once('.').unwrap_or((raw.trim(), ""));
    let ok = !whole.is_empty()
        && whole.len() <= 3
        && frac.len() <= 2
        && whole
            .chars()
            .chain(frac.chars())
            .all(|c| c.is_ascii_digit());
    if !ok {
        bail!("commission percent {raw:?} must be a number like 20 or 12.5");
    }
    let bps = whole.parse::<u32>()? * 100 + format!("{frac:0<2}").parse::<u32>()?;
    if bps > 10_000 {
        bail!("commission percent {raw:?} must be at most 100");
    }
    Ok(bps)
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn commission_percent_parses_to_basis_points() {
        assert_eq!(super::commission_bps("20").unwrap(), 2000);
        assert_eq!(super::commission_bps("12.5").unwrap(), 1250);
        assert_eq!(super::commission_bps("0").unwrap(), 0);
        assert!(super::commission_bps("100.01").is_err());
        assert!(super::commission_bps("-1").is_err());
        assert!(super::commission_bps("twenty").is_err());
    }
}
