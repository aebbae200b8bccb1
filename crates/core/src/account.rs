//! Accounts: email addresses, passwords, display names and the profile a person keeps.

use crate::invalid::{Invalid, text};
use crate::locale;
use std::fmt;

/// Longest email address we accept (RFC 5321's path limit).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Password length bounds, in characters. The upper bound caps hashing work per request.
pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 256;
pub const DISPLAY_NAME_MAX_CHARS: usize = 60;
/// How many languages one profile or listing may name.
pub const LANGUAGES_MAX: usize = 8;

/// An email address, trimmed and lowercased so that one person has one address.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, Invalid> {
        let bad = |why: &str| Invalid::one("email", format!("{input:?} {why}"));
        let value = input.trim().to_lowercase();
        if value.is_empty() {
            return Err(Invalid::one("email", "is required"));
        }
        if value.chars().count() > EMAIL_MAX_CHARS {
            return Err(Invalid::one(
                "email",
                format!("is longer than {EMAIL_MAX_CHARS} characters"),
            ));
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err(bad("has no @"));
        };
        if local.is_empty() || local.len() > 64 {
            return Err(bad("needs 1 to 64 characters before the @"));
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(bad("has a misplaced dot before the @"));
        }
        let local_ok = local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        if !local_ok {
            return Err(bad("has a character that is not allowed before the @"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(bad("needs a domain with a dot, like example.com"));
        }
        let labels_ok = labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if !labels_ok {
            return Err(bad("has a domain that is not valid"));
        }
        Ok(Email(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.0)
    }
}

/// A password someone typed. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Checks a new password against the policy (length only, as NIST SP 800-63B advises).
    pub fn parse_new(input: &str) -> Result<Password, Invalid> {
        let len = input.chars().count();
        if len < PASSWORD_MIN_CHARS {
            return Err(Invalid::one(
                "password",
                format!("is {len} characters long; it must be at least {PASSWORD_MIN_CHARS}"),
            ));
        }
        if len > PASSWORD_MAX_CHARS {
            return Err(Invalid::one(
                "password",
                format!("is {len} characters long; it must be at most {PASSWORD_MAX_CHARS}"),
            ));
        }
        if input.trim().is_empty() {
            return Err(Invalid::one("password", "must not be only spaces"));
        }
        Ok(Password(input.to_string()))
    }

    /// Wraps a password typed at sign-in, where only the length cap applies.
    pub fn given(input: &str) -> Result<Password, Invalid> {
        if input.is_empty() {
            return Err(Invalid::one("password", "is required"));
        }
        if input.chars().count() > PASSWORD_MAX_CHARS {
            return Err(Invalid::one(
                "password",
                format!("must be at most {PASSWORD_MAX_CHARS} characters"),
            ));
        }
        Ok(Password(input.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

/// The name shown to others.
pub fn display_name(input: &str) -> Result<String, Invalid> {
    text("display_name", input, 1..=DISPLAY_NAME_MAX_CHARS)
}

/// An IANA time zone name that this build's time zone database knows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(input: &str) -> Result<TimeZoneName, Invalid> {
        let name = input.trim();
        if name.is_empty() {
            return Err(Invalid::one("time_zone", "is required"));
        }
        if name.len() > 64 || jiff::tz::TimeZone::get(name).is_err() {
            return Err(Invalid::one(
                "time_zone",
                format!("{name:?} is not an IANA time zone name, like Europe/Paris"),
            ));
        }
        Ok(TimeZoneName(name.to_string()))
    }

    pub fn utc() -> TimeZoneName {
        TimeZoneName("UTC".to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A list of ISO 639-1 language codes: known, unique, at least `min`, at most `LANGUAGES_MAX`.
pub fn languages<S: AsRef<str>>(
    field: &'static str,
    input: &[S],
    min: usize,
) -> Result<Vec<String>, Invalid> {
    let mut out: Vec<String> = Vec::new();
    for code in input {
        let code = code.as_ref().trim().to_lowercase();
        if code.is_empty() {
            continue;
        }
        if locale::language(&code).is_none() {
            return Err(Invalid::one(
                field,
                format!("{code:?} is not a language code we know (ISO 639-1, like \"en\")"),
            ));
        }
        if !out.contains(&code) {
            out.push(code);
        }
    }
    if out.len() < min {
        return Err(Invalid::one(
            field,
            format!("needs at least {min} language"),
        ));
    }
    if out.len() > LANGUAGES_MAX {
        return Err(Invalid::one(
            field,
            format!(
                "names {} languages; at most {LANGUAGES_MAX} are allowed",
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// An ISO 3166-1 alpha-2 country code; empty input means "not given".
pub fn country(field: &'static str, input: &str) -> Result<Option<String>, Invalid> {
    let code = input.trim().to_uppercase();
    if code.is_empty() {
        return Ok(None);
    }
    match locale::country(&code) {
        Some(c) => Ok(Some(c.code.to_string())),
        None => Err(Invalid::one(
            field,
            format!("{code:?} is not an ISO 3166-1 country code, like \"DE\""),
        )),
    }
}

/// What a person may change about themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub display_name: String,
    pub time_zone: TimeZoneName,
    pub languages: Vec<String>,
    pub country: Option<String>,
}

impl Profile {
    pub fn parse(
        display_name_in: &str,
        time_zone: &str,
        languages_in: &[String],
        country_in: &str,
    ) -> Result<Profile, Invalid> {
        let mut errors = Invalid::default();
        let name = errors.take(display_name(display_name_in));
        let tz = errors.take(TimeZoneName::parse(time_zone));
        let langs = errors.take(languages("languages", languages_in, 0));
        let country = errors.take(country("country", country_in));
        errors.finish(|| Profile {
            display_name: name.expect("checked by finish"),
            time_zone: tz.expect("checked by finish"),
            languages: langs.expect("checked by finish"),
            country: country.expect("checked by finish"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn emails_are_normalized() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
    }

    #[test]
    fn bad_emails_name_the_problem() {
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.com",
            "ana@localhost",
            "a b@x.com",
            "ana@x..com",
            ".a@x.com",
            "ana@-x.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert_eq!(err.0[0].field, "email", "{bad}");
        }
    }

    #[test]
    fn passwords_are_redacted_and_bounded() {
        assert!(Password::parse_new("short").is_err());
        assert!(Password::parse_new(&"x".repeat(257)).is_err());
        let p = Password::parse_new("correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password([redacted])");
    }

    #[test]
    fn time_zones_come_from_the_database() {
        assert!(TimeZoneName::parse("Asia/Kathmandu").is_ok());
        assert!(TimeZoneName::parse("America/St_Johns").is_ok());
        assert!(TimeZoneName::parse("Mars/Olympus").is_err());
        assert!(TimeZoneName::parse("").is_err());
    }

    #[test]
    fn profile_collects_every_error() {
        let err = Profile::parse("", "Nowhere/City", &["xx".to_string()], "ZZ").unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["display_name", "time_zone", "languages", "country"]
        );
    }

    proptest! {
        #[test]
        fn parsed_emails_round_trip(local in "[a-z0-9]{1,20}", domain in "[a-z]{1,20}", tld in "[a-z]{2,6}") {
            let raw = format!("{local}@{domain}.{tld}");
            let email = Email::parse(&raw.to_uppercase()).unwrap();
            prop_assert_eq!(email.as_str(), raw.as_str());
            prop_assert_eq!(Email::parse(email.as_str()).unwrap(), email);
        }

        #[test]
        fn email_parse_never_panics(s in any::<String>()) {
            let _ = Email::parse(&s);
        }
    }
}
