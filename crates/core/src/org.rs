//! Organizations: businesses with an owner and member providers.

use crate::invalid::{Invalid, text};

pub const NAME_CHARS: std::ops::RangeInclusive<usize> = 2..=80;
pub const DESCRIPTION_CHARS: std::ops::RangeInclusive<usize> = 10..=2000;
pub const MEMBERS_MAX: usize = 200;

/// A checked organization: its name, the URL slug made from it, and what it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub name: String,
    pub slug: String,
    pub description: String,
}

impl Organization {
    pub fn parse(name: &str, description: &str) -> Result<Organization, Invalid> {
        let mut errors = Invalid::default();
        let name = errors.take(text("name", name, NAME_CHARS));
        let description = errors.take(text("description", description, DESCRIPTION_CHARS));
        let slug = name.as_deref().map(slugify);
        if slug.as_deref() == Some("") {
            errors.push("name", "needs at least one letter or digit");
        }
        if let Some(found) = description
            .as_deref()
            .and_then(crate::contact::find_contact)
        {
            errors.push(
                "description",
                format!("contains {} ({:?})", found.kind.describe(), found.excerpt),
            );
        }
        errors.finish(|| Organization {
            name: name.expect("checked"),
            slug: slug.expect("checked"),
            description: description.expect("checked"),
        })
    }
}

/// "FixIt Repair Co." becomes "fixit-repair-co"; letters outside ASCII are kept.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').chars().take(60).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("FixIt Repair Co."), "fixit-repair-co");
        assert_eq!(slugify("  Café  Olé!! "), "café-olé");
        assert!(Organization::parse("!!!", "A repair chain in three cities.").is_err());
    }
}
