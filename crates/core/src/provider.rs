//! Becoming a provider: the application an operator vets, and where it stands.

use crate::account::{TimeZoneName, country, languages};
use crate::invalid::{Invalid, text};

pub const HEADLINE_CHARS: std::ops::RangeInclusive<usize> = 10..=120;
pub const BIO_CHARS: std::ops::RangeInclusive<usize> = 40..=2000;
pub const EXPERIENCE_CHARS: std::ops::RangeInclusive<usize> = 10..=2000;
pub const REASON_CHARS: std::ops::RangeInclusive<usize> = 5..=1000;

/// Application fields as sent.
#[derive(Debug, Clone, Default)]
pub struct ApplicationInput {
    pub headline: String,
    pub bio: String,
    pub languages: Vec<String>,
    pub time_zone: String,
    pub country: String,
    pub experience: String,
    pub licence_number: String,
    pub licence_authority: String,
}

/// A licence that lets a provider offer Health sessions, as the applicant stated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Licence {
    pub number: String,
    pub authority: String,
}

/// A checked application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub headline: String,
    pub bio: String,
    pub languages: Vec<String>,
    pub time_zone: TimeZoneName,
    pub country: String,
    pub experience: String,
    pub licence: Option<Licence>,
}

impl Application {
    /// `wants_health` says whether the applicant asks to offer Health sessions, which
    /// needs a licence number and its issuing authority.
    pub fn parse(input: &ApplicationInput, wants_health: bool) -> Result<Application, Invalid> {
        let mut errors = Invalid::default();
        let headline = errors.take(text("headline", &input.headline, HEADLINE_CHARS));
        let bio = errors.take(text("bio", &input.bio, BIO_CHARS));
        let langs = errors.take(languages("languages", &input.languages, 1));
        let tz = errors.take(TimeZoneName::parse(&input.time_zone));
        let country = match errors.take(country("country", &input.country)) {
            Some(Some(c)) => Some(c),
            Some(None) => {
                errors.push("country", "is required");
                None
            }
            None => None,
        };
        let experience = errors.take(text("experience", &input.experience, EXPERIENCE_CHARS));
        let number = input.licence_number.trim();
        let authority = input.licence_authority.trim();
        let licence = match (number.is_empty(), authority.is_empty()) {
            (true, true) => {
                if wants_health {
                    errors.push(
                        "licence_number",
                        "is required to offer Health sessions, with the issuing authority",
                    );
                }
                None
            }
            _ => {
                let n = errors.take(text("licence_number", number, 3..=60));
                let a = errors.take(text("licence_authority", authority, 3..=200));
                n.zip(a)
                    .map(|(number, authority)| Licence { number, authority })
            }
        };
        for (field, value) in [("headline", &input.headline), ("bio", &input.bio)] {
            if let Some(found) = crate::contact::find_contact(value) {
                errors.push(
                    field,
                    format!(
                        "contains {} ({:?}); buyers reach you through Onhand",
                        found.kind.describe(),
                        found.excerpt
                    ),
                );
            }
        }
        errors.finish(|| Application {
            headline: headline.expect("checked"),
            bio: bio.expect("checked"),
            languages: langs.expect("checked"),
            time_zone: tz.expect("checked"),
            country: country.expect("checked"),
            experience: experience.expect("checked"),
            licence,
        })
    }
}

/// Where a provider application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderStatus {
    Submitted,
    Approved,
    Rejected,
}

impl ProviderStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ProviderStatus::Submitted => "submitted",
            ProviderStatus::Approved => "approved",
            ProviderStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<ProviderStatus> {
        Some(match s {
            "submitted" => ProviderStatus::Submitted,
            "approved" => ProviderStatus::Approved,
            "rejected" => ProviderStatus::Rejected,
            _ => return None,
        })
    }
}

/// A reason an operator gives for a decision, shown to the person it concerns.
pub fn reason(input: &str) -> Result<String, Invalid> {
    text("reason", input, REASON_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ApplicationInput {
        ApplicationInput {
            headline: "Spanish tutor from Buenos Aires".into(),
            bio: "I have taught Spanish to adults for twelve years, online and in person.".into(),
            languages: vec!["es".into(), "en".into()],
            time_zone: "America/Argentina/Buenos_Aires".into(),
            country: "ar".into(),
            experience: "Twelve years, DELE examiner.".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_application_parses() {
        let a = Application::parse(&input(), false).unwrap();
        assert_eq!(a.country, "AR");
        assert_eq!(a.licence, None);
    }

    #[test]
    fn health_needs_a_licence() {
        let err = Application::parse(&input(), true).unwrap_err();
        assert!(err.message_for("licence_number").is_some());
        let mut with = input();
        with.licence_number = "LPC-60412".into();
        with.licence_authority = "Texas Behavioral Health Executive Council".into();
        assert!(Application::parse(&with, true).unwrap().licence.is_some());
        with.licence_authority = String::new();
        assert!(
            Application::parse(&with, true)
                .unwrap_err()
                .message_for("licence_authority")
                .is_some()
        );
    }

    #[test]
    fn bio_may_not_carry_contact_details() {
        let mut bad = input();
        bad.bio =
            "Twelve years of teaching. Reach me on WhatsApp for a cheaper rate outside the site."
                .into();
        assert!(
            Application::parse(&bad, false)
                .unwrap_err()
                .message_for("bio")
                .is_some()
        );
    }
}
