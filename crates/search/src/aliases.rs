//! Former names of merged provinces and ministries, as search aliases: a search for
//! "Bình Dương" finds datasets of Thành phố Hồ Chí Minh. The table ships with Cổng (from
//! shared/fixtures/vn/organizations.json, via `catalogue::demo::ORGANIZATIONS_JSON`).

use catalogue::validate::fold_diacritics;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
struct Entry {
    name: String,
    title: String,
    #[serde(default)]
    merged_from: Vec<String>,
}

/// Organization (by name, or by folded title) → the names it absorbed.
#[derive(Default)]
pub struct Aliases {
    by_key: HashMap<String, Vec<String>>,
}

fn title_key(title: &str) -> String {
    fold_diacritics(title).to_lowercase()
}

impl Aliases {
    pub fn shipped() -> Aliases {
        let entries: Vec<Entry> =
            serde_json::from_str(catalogue::demo::ORGANIZATIONS_JSON).unwrap_or_default();
        let mut by_key = HashMap::new();
        for e in entries.into_iter().filter(|e| !e.merged_from.is_empty()) {
            by_key.insert(title_key(&e.title), e.merged_from.clone());
            by_key.insert(e.name, e.merged_from);
        }
        Aliases { by_key }
    }

    /// Former names of the organization `name` (titled `title`), if any.
    pub fn of(&self, name: &str, title: &str) -> &[String] {
        self.by_key
            .get(name)
            .or_else(|| self.by_key.get(&title_key(title)))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn merged_provinces_are_aliases() {
        let a = super::Aliases::shipped();
        assert!(a.of("ho-chi-minh", "").iter().any(|n| n == "Bình Dương"));
        assert!(a
            .of("other-slug", "Thành phố Hồ Chí Minh")
            .iter()
            .any(|n| n == "Bình Dương"));
        assert!(a.of("nowhere", "Nowhere").is_empty());
    }
}
