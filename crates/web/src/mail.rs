//! Email: over SMTP with lettre (STARTTLS, implicit TLS or plain, with credentials), or,
//! with no SMTP server configured, as `.eml` files in the data folder's outbox.

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

/// How to reach the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain, then upgraded with STARTTLS (refused if the server cannot).
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
    /// No encryption: only for a relay on the same machine.
    None,
}

impl SmtpTls {
    pub fn parse(s: &str) -> Option<SmtpTls> {
        match s {
            "starttls" => Some(SmtpTls::StartTls),
            "tls" => Some(SmtpTls::Tls),
            "none" => Some(SmtpTls::None),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
    /// A PEM certificate to trust besides the system's (a private CA, or a test server's).
    pub ca_pem: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `None` writes mail to `outbox`.
    pub smtp: Option<SmtpConfig>,
    pub outbox: PathBuf,
    pub from: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp: None,
            outbox: std::env::temp_dir().join("onhand-outbox"),
            from: "Onhand <no-reply@onhand.invalid>".into(),
        }
    }
}

/// Whether `from` is a sender address ("Onhand <help@example.com>").
pub fn check_sender(from: &str) -> Result<(), String> {
    from.parse::<Mailbox>()
        .map(|_| ())
        .map_err(|e| format!("{from:?} is not an address: {e}"))
}

pub enum Mailer {
    Outbox(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Mailer, String> {
        let Some(smtp) = &config.smtp else {
            std::fs::create_dir_all(&config.outbox).map_err(|e| {
                format!("cannot create the outbox {}: {e}", config.outbox.display())
            })?;
            tracing::info!(outbox = %config.outbox.display(), "no SMTP server configured: mail is written to the outbox as .eml files");
            return Ok(Mailer::Outbox(config.outbox.clone()));
        };
        let tls_parameters = || {
            let mut b = TlsParameters::builder(smtp.host.clone());
            if let Some(pem) = &smtp.ca_pem {
                let cert = Certificate::from_pem(pem.as_bytes())
                    .map_err(|e| format!("the SMTP CA certificate is not valid PEM: {e}"))?;
                b = b.add_root_certificate(cert);
            }
            b.build()
                .map_err(|e| format!("TLS settings for {}: {e}", smtp.host))
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
            .port(smtp.port)
            .timeout(Some(std::time::Duration::from_secs(20)));
        builder = match smtp.tls {
            SmtpTls::StartTls => builder.tls(Tls::Required(tls_parameters()?)),
            SmtpTls::Tls => builder.tls(Tls::Wrapper(tls_parameters()?)),
            SmtpTls::None => builder.tls(Tls::None),
        };
        if let (Some(user), Some(pass)) = (&smtp.username, &smtp.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        tracing::info!(host = %smtp.host, port = smtp.port, tls = ?smtp.tls, "mail goes out over SMTP");
        Ok(Mailer::Smtp(builder.build()))
    }

    /// Sends one message; `name` names its outbox file.
    pub async fn send(&self, message: Message, name: &str) -> Result<(), String> {
        match self {
            Mailer::Outbox(dir) => {
                let path = dir.join(format!("{name}.eml"));
                let tmp = dir.join(format!(".{name}.eml.tmp"));
                tokio::fs::write(&tmp, message.formatted())
                    .await
                    .map_err(|e| format!("writing {}: {e}", tmp.display()))?;
                tokio::fs::rename(&tmp, &path)
                    .await
                    .map_err(|e| format!("writing {}: {e}", path.display()))?;
                tracing::info!(path = %path.display(), "mail written to the outbox");
                Ok(())
            }
            Mailer::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| format!("SMTP: {e}")),
        }
    }
}

/// One email: both parts, an optional calendar file, and the one-click unsubscribe link.
pub struct Email<'a> {
    pub from: &'a str,
    pub to_name: &'a str,
    pub to_address: &'a str,
    pub subject: &'a str,
    pub text: String,
    pub html: String,
    pub ics: Option<String>,
    pub unsubscribe_url: &'a str,
}

impl Email<'_> {
    pub fn build(self) -> Result<Message, String> {
        let from: Mailbox = self
            .from
            .parse()
            .map_err(|e| format!("the sender {:?} is not an address: {e}", self.from))?;
        let to = Mailbox::new(
            Some(self.to_name.to_string()),
            self.to_address
                .parse()
                .map_err(|e| format!("{:?} is not an address: {e}", self.to_address))?,
        );
        let body = MultiPart::alternative_plain_html(self.text, self.html);
        let body = match self.ics {
            Some(ics) => MultiPart::mixed().multipart(body).singlepart(
                Attachment::new("session.ics".into()).body(
                    ics,
                    ContentType::parse("text/calendar; charset=utf-8; method=PUBLISH")
                        .expect("a valid content type"),
                ),
            ),
            None => MultiPart::mixed().multipart(body),
        };
        let header = |name: &'static str, value: String| {
            HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
        };
        Message::builder()
            .from(from)
            .to(to)
            .subject(self.subject)
            .raw_header(header(
                "List-Unsubscribe",
                format!("<{}>", self.unsubscribe_url),
            ))
            .raw_header(header(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".into(),
            ))
            .multipart(body)
            .map_err(|e| format!("building the message: {e}"))
    }
}
