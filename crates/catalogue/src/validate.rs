//! CKAN's validation rules for names, e-mails, tags and extras, and Vietnamese-aware slugs.

use unicode_normalization::UnicodeNormalization;

pub const NAME_MIN: usize = 2;
pub const NAME_MAX: usize = 100;
pub const RESERVED_NAMES: [&str; 3] = ["new", "edit", "search"];

/// Messages for a dataset/group/organization `name`, as CKAN's `name_validator` gives them.
pub fn name_problems(name: &str) -> Vec<String> {
    if RESERVED_NAMES.contains(&name) {
        return vec!["That name cannot be used".into()];
    }
    let mut out = vec![];
    if name.chars().count() < NAME_MIN {
        out.push(format!("Must be at least {NAME_MIN} characters long"));
    }
    if name.chars().count() > NAME_MAX {
        out.push(format!(
            "Name must be a maximum of {NAME_MAX} characters long"
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        out.push(
            "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_".into(),
        );
    }
    out
}

/// Longest id a client may choose (a UUID has 36 characters).
pub const ID_MAX: usize = 100;
pub const ID_MESSAGE: &str =
    "Must be 1 to 100 characters long: letters, digits, hyphens and underscores";

/// Whether a client-chosen id (of a dataset, resource, organization or group) is one Cổng
/// accepts: it appears in URLs and file paths, so only safe characters, and bounded.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= ID_MAX
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// CKAN's e-mail check (`email_validator`): a local part of the usual characters, `@`, and
/// a host of dot-separated labels.
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, host)) = email.rsplit_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "_.!#$%&'*+-/=?^`{|}~".contains(c));
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    local_ok && !host.is_empty() && host.split('.').all(label_ok)
}

pub const TAG_MIN: usize = 2;
pub const TAG_MAX: usize = 100;

/// Messages for one free tag, worded as CKAN's tag validators word them.
pub fn tag_problems(tag: &str) -> Vec<String> {
    let mut out = vec![];
    let len = tag.chars().count();
    if len < TAG_MIN {
        out.push(format!(
            "Tag \"{tag}\" length is less than minimum {TAG_MIN}"
        ));
    }
    if len > TAG_MAX {
        out.push(format!(
            "Tag \"{tag}\" length is more than maximum {TAG_MAX}"
        ));
    }
    if !tag
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.' || c == ' ')
    {
        out.push(format!(
            "Tag \"{tag}\" must be alphanumeric characters or symbols: -_."
        ));
    }
    out
}

/// Folds text to an ASCII slug: NFC, đ→d, drop combining marks, lower case, runs of anything
/// else to one `-`. `Dữ liệu Đà Nẵng` → `du-lieu-da-nang` (CKAN's munge gives `d-li-u`).
pub fn slugify(text: &str) -> String {
    let folded = fold_diacritics(text).to_lowercase();
    let mut slug = String::with_capacity(folded.len());
    let mut dash = false;
    for c in folded.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
            dash = false;
        } else if !dash && !slug.is_empty() {
            slug.push('-');
            dash = true;
        }
    }
    let slug = slug.trim_end_matches('-');
    slug.chars()
        .take(NAME_MAX)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

/// Removes Vietnamese (and other Latin) diacritics: `Đà Nẵng` → `Da Nang`.
pub fn fold_diacritics(text: &str) -> String {
    text.nfc()
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect::<String>()
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect()
}

/// Core dataset fields, which an extra's key may not shadow.
pub const PACKAGE_CORE_FIELDS: [&str; 24] = [
    "id",
    "name",
    "title",
    "type",
    "state",
    "private",
    "owner_org",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "license_id",
    "notes",
    "url",
    "version",
    "creator_user_id",
    "metadata_created",
    "metadata_modified",
    "extras",
    "resources",
    "tags",
    "groups",
    "organization",
    "relationships_as_subject",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_fold_vietnamese_properly() {
        assert_eq!(slugify("Dữ liệu Đà Nẵng"), "du-lieu-da-nang");
        assert_eq!(
            slugify("  Thành phố Hồ Chí Minh!! "),
            "thanh-pho-ho-chi-minh"
        );
        assert_eq!(slugify("Kinh tế – Thương mại"), "kinh-te-thuong-mai");
        assert_eq!(slugify("ĐẮK LẮK 2025"), "dak-lak-2025");
        // NFD input (pasted text) folds the same way.
        let nfd: String = "Nẵng".nfd().collect();
        assert_eq!(slugify(&nfd), "nang");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn names_follow_ckan_rules() {
        assert!(name_problems("truong-hoc_2").is_empty());
        assert_eq!(
            name_problems("Trường Học"),
            vec!["Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"]
        );
        assert_eq!(
            name_problems("a"),
            vec!["Must be at least 2 characters long"]
        );
        assert_eq!(
            name_problems(&"a".repeat(101)),
            vec!["Name must be a maximum of 100 characters long"]
        );
        assert_eq!(name_problems("new"), vec!["That name cannot be used"]);
    }

    #[test]
    fn emails_and_tags() {
        assert!(is_valid_email("dulieu@example.gov.vn"));
        assert!(!is_valid_email("nope"));
        assert!(!is_valid_email("a@-bad.vn"));
        assert!(tag_problems("giáo dục").is_empty());
        assert_eq!(
            tag_problems("a"),
            vec!["Tag \"a\" length is less than minimum 2"]
        );
        assert_eq!(tag_problems("a/b").len(), 1);
    }
}
