//! The names citizens use for what datasets call otherwise: place names and their short forms
//! (`data/places.tsv`) and everyday terms for official ones, Vietnamese and English
//! (`data/synonyms.tsv`). Both are data that ships with Cổng, applied when a dataset is
//! indexed: a dataset that mentions one name of a group is also indexed under the others, so a
//! search for "tphcm" or "sân bay" finds it. What is stored is never changed.

use crate::analyzer::{self, tokens};
use std::collections::HashMap;
use tantivy::tokenizer::TextAnalyzer;

const PLACES: &str = include_str!("../data/places.tsv");
const SYNONYMS: &str = include_str!("../data/synonyms.tsv");

/// How a table compares names with texts.
#[derive(Clone, Copy)]
enum Compare {
    /// Without diacritics: place names are typed every way, and distinctive anyway.
    Folded,
    /// With diacritics: everyday words without them collide ("lúa" and "lửa").
    Exact,
}

/// One table: the groups, and the names looked for in texts, by their first token.
struct Table {
    compare: Compare,
    groups: Vec<Vec<String>>,
    triggers: HashMap<String, Vec<(Vec<String>, usize)>>,
}

impl Table {
    fn analyzer(&self) -> TextAnalyzer {
        match self.compare {
            Compare::Folded => analyzer::folded(),
            Compare::Exact => analyzer::exact(),
        }
    }

    /// Parses `text`: one group a line, `names<TAB>short forms` (short forms only when
    /// `short_forms`), each a list separated by `;`. Names are looked for in texts; short
    /// forms only added.
    fn parse(text: &str, compare: Compare, short_forms: bool) -> Result<Table, String> {
        let mut table = Table {
            compare,
            groups: vec![],
            triggers: HashMap::new(),
        };
        let mut analyzer = table.analyzer();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_end();
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let (names, short) = match line.split_once('\t') {
                Some((names, short)) if short_forms => (names, short),
                Some(_) => return Err(format!("line {}: unexpected tab", n + 1)),
                None => (line, ""),
            };
            let split = |s: &str| -> Vec<String> {
                s.split(';')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(analyzer::nfc)
                    .collect()
            };
            let (names, short) = (split(names), split(short));
            if names.len() + short.len() < 2 {
                return Err(format!("line {}: a group needs two terms or more", n + 1));
            }
            let group = table.groups.len();
            for name in &names {
                let toks = tokens(&mut analyzer, name);
                let Some(first) = toks.first().cloned() else {
                    return Err(format!("line {}: \"{name}\" has no words", n + 1));
                };
                table.triggers.entry(first).or_default().push((toks, group));
            }
            table.groups.push(names.into_iter().chain(short).collect());
        }
        Ok(table)
    }

    /// The groups some name of which `text` holds, as whole words.
    fn matches(&self, analyzer: &mut TextAnalyzer, text: &str, found: &mut Vec<usize>) {
        let toks = tokens(analyzer, text);
        for (i, t) in toks.iter().enumerate() {
            for (name, group) in self.triggers.get(t).into_iter().flatten() {
                if toks[i..].starts_with(name) && !found.contains(group) {
                    found.push(*group);
                }
            }
        }
    }
}

/// Both tables.
pub struct Expansions {
    places: Table,
    synonyms: Table,
}

impl Expansions {
    /// The tables that ship with Cổng.
    pub fn shipped() -> Result<Expansions, String> {
        Ok(Expansions {
            places: Table::parse(PLACES, Compare::Folded, true)
                .map_err(|e| format!("data/places.tsv: {e}"))?,
            synonyms: Table::parse(SYNONYMS, Compare::Exact, false)
                .map_err(|e| format!("data/synonyms.tsv: {e}"))?,
        })
    }

    /// No expansion at all.
    pub fn none() -> Expansions {
        let empty = |compare| Table {
            compare,
            groups: vec![],
            triggers: HashMap::new(),
        };
        Expansions {
            places: empty(Compare::Folded),
            synonyms: empty(Compare::Exact),
        }
    }

    /// The terms to index beside `texts`: every term of each group that the texts mention.
    pub fn of(&self, texts: &[&str]) -> Vec<String> {
        let mut out = vec![];
        for table in [&self.places, &self.synonyms] {
            if table.groups.is_empty() {
                continue;
            }
            let mut analyzer = table.analyzer();
            let mut found = vec![];
            for text in texts {
                table.matches(&mut analyzer, text, &mut found);
            }
            for g in found {
                out.extend(table.groups[g].iter().cloned());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_tables_parse() {
        let e = Expansions::shipped().expect("tables");
        assert!(e.places.groups.len() >= 15);
        assert!(e.synonyms.groups.len() >= 30);
    }

    #[test]
    fn names_bring_their_group() {
        let e = Expansions::shipped().expect("tables");
        let hcm = e.of(&["Doanh nghiệp tại Thành phố Hồ Chí Minh"]);
        for t in ["TPHCM", "HCM", "Sài Gòn", "TP.HCM"] {
            assert!(hcm.iter().any(|x| x == t), "{t} in {hcm:?}");
        }
        // Found without diacritics too (place names), and only whole words.
        assert!(e
            .of(&["Ho Chi Minh City arrivals"])
            .iter()
            .any(|x| x == "TPHCM"));
        assert!(e.of(&["chín"]).is_empty());
        // A short form in a text brings nothing: "HN" may mean anything there.
        assert!(!e.of(&["Số liệu HN"]).iter().any(|x| x == "Hà Nội"));
        // Everyday terms compare with their diacritics: "lửa" is not "lúa".
        assert!(e.of(&["sản lượng lúa gạo"]).iter().any(|x| x == "rice"));
        assert!(!e.of(&["phòng cháy chữa lửa"]).iter().any(|x| x == "rice"));
        let airport = e.of(&["các cảng hàng không năm 2024"]);
        assert!(airport.iter().any(|x| x == "sân bay"), "{airport:?}");
    }

    #[test]
    fn bad_tables_are_refused_with_the_line() {
        assert!(Table::parse("a; b\nonly", Compare::Exact, false)
            .err()
            .is_some_and(|e| e.contains("line 2")));
        assert!(Table::parse("a\tb", Compare::Exact, false).is_err());
        assert!(Table::parse("; ;\tx", Compare::Folded, true).is_err());
    }
}
