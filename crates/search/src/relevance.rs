//! Measuring search quality: judged queries (`relevance/judged.tsv`) run through
//! package_search, as an anonymous citizen would, on the demo catalogue beside generated
//! datasets; the answers scored as success@1, success@3, MRR@10 and nDCG@10.
//! `cargo run -p search --example relevance` prints them; `tests/relevance.rs` holds them to
//! the targets.

use catalogue::actions;
use catalogue::{Actor, Catalogue};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The judged set that ships in the repository.
pub const JUDGED: &str = include_str!("../relevance/judged.tsv");

/// One judged query: the datasets that answer it, by name, with grades (3 best).
#[derive(Debug, Clone)]
pub struct Judged {
    pub query: String,
    pub grades: HashMap<String, u8>,
}

/// Parses the judged set; a malformed line is an error naming it.
pub fn parse(text: &str) -> Result<Vec<Judged>, String> {
    let mut out = vec![];
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (query, answers) = line
            .split_once('\t')
            .ok_or_else(|| format!("line {}: query<TAB>answers expected", n + 1))?;
        let mut grades = HashMap::new();
        for a in answers.split_whitespace() {
            let (name, grade) = a
                .split_once('=')
                .and_then(|(name, g)| g.parse::<u8>().ok().map(|g| (name, g)))
                .filter(|(_, g)| (1..=3).contains(g))
                .ok_or_else(|| format!("line {}: \"{a}\" is not name=1..3", n + 1))?;
            grades.insert(name.to_string(), grade);
        }
        out.push(Judged {
            query: query.trim().to_string(),
            grades,
        });
    }
    Ok(out)
}

/// Judged queries for the generated datasets, made from their titles: for every `step`-th
/// one, its words without the fillers, typed with diacritics and without ("Dữ liệu y tế và
/// du lịch – Hà Nội, năm 2015" → `y tế du lịch hà nội 2015` and `y te du lich ha noi 2015`).
/// Every generated dataset with the same words in its title answers it (grade 3).
pub fn generated_judged(cat: &Catalogue, step: usize) -> Result<Vec<Judged>, String> {
    let list = actions::find("package_search").ok_or("no package_search")?;
    let mut titles: Vec<(String, String)> = vec![];
    let mut start = 0;
    loop {
        let Value::Object(p) = json!({"q": "name:bench-*", "rows": 1000, "start": start,
                                       "sort": "name asc"})
        else {
            return Err("params".into());
        };
        let page = actions::call(cat, &Actor::Anonymous, list, p).map_err(|e| format!("{e:?}"))?;
        let results = page["results"].as_array().cloned().unwrap_or_default();
        titles.extend(results.iter().filter_map(|d| {
            Some((
                d["name"].as_str()?.to_string(),
                d["title"].as_str()?.to_string(),
            ))
        }));
        if results.len() < 1000 {
            break;
        }
        start += 1000;
    }
    let words_of = |title: &str| -> String {
        let cleaned: String = title
            .replace("Dữ liệu ", "")
            .replace(" và ", " ")
            .replace(", năm ", " ")
            .replace(" statistics ", " ")
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        // The English titles end with the dataset's number: not something a citizen types.
        let words: Vec<&str> = cleaned.split_whitespace().collect();
        let keep = if title.contains(" statistics ") {
            words.len().saturating_sub(1)
        } else {
            words.len()
        };
        words[..keep].join(" ").to_lowercase()
    };
    let mut out = vec![];
    let mut folded = crate::analyzer::folded();
    for (name, title) in titles.iter().step_by(step.max(1)) {
        let words = words_of(title);
        let grades: HashMap<String, u8> = titles
            .iter()
            .filter(|(_, t)| words_of(t) == words)
            .map(|(n, _)| (n.clone(), 3))
            .collect();
        debug_assert!(grades.contains_key(name));
        let plain = crate::analyzer::tokens(&mut folded, &words).join(" ");
        for query in [words.clone(), plain] {
            out.push(Judged {
                query,
                grades: grades.clone(),
            });
        }
        out.dedup_by(|a, b| a.query == b.query);
    }
    Ok(out)
}

/// How one query fared.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub query: String,
    /// The names of the first ten results.
    pub results: Vec<String>,
    pub count: u64,
    /// 1-based rank of the first result with the query's best grade, within ten.
    pub first_best: Option<usize>,
    pub ndcg: f64,
}

/// The scores of a run.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    pub queries: usize,
    pub success_at_1: f64,
    pub success_at_3: f64,
    pub mrr_at_10: f64,
    pub ndcg_at_10: f64,
    /// Queries that found nothing although the judged set gives them an answer.
    pub empty_with_answer: Vec<String>,
}

/// Runs every judged query through package_search on `cat` (anonymous, ten rows).
pub fn run(cat: &Catalogue, judged: &[Judged]) -> Result<(Scores, Vec<Outcome>), String> {
    let search = actions::find("package_search").ok_or("no package_search")?;
    let mut outcomes = vec![];
    for j in judged {
        let Value::Object(p) = json!({"q": j.query, "rows": 10}) else {
            return Err("params".into());
        };
        let answer = actions::call(cat, &Actor::Anonymous, search, p)
            .map_err(|e| format!("{}: {e:?}", j.query))?;
        let results: Vec<String> = answer["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| d["name"].as_str().map(str::to_string))
            .collect();
        let best = j.grades.values().copied().max().unwrap_or(0);
        let first_best = results
            .iter()
            .position(|n| j.grades.get(n) == Some(&best))
            .map(|i| i + 1);
        outcomes.push(Outcome {
            query: j.query.clone(),
            count: answer["count"].as_u64().unwrap_or(0),
            first_best,
            ndcg: ndcg(&results, &j.grades),
            results,
        });
    }
    let n = outcomes.len().max(1) as f64;
    let scores = Scores {
        queries: outcomes.len(),
        success_at_1: outcomes.iter().filter(|o| o.first_best == Some(1)).count() as f64 / n,
        success_at_3: outcomes
            .iter()
            .filter(|o| o.first_best.is_some_and(|r| r <= 3))
            .count() as f64
            / n,
        mrr_at_10: outcomes
            .iter()
            .map(|o| o.first_best.map_or(0.0, |r| 1.0 / r as f64))
            .sum::<f64>()
            / n,
        ndcg_at_10: outcomes.iter().map(|o| o.ndcg).sum::<f64>() / n,
        empty_with_answer: outcomes
            .iter()
            .zip(judged)
            .filter(|(o, j)| o.count == 0 && !j.grades.is_empty())
            .map(|(o, _)| o.query.clone())
            .collect(),
    };
    Ok((scores, outcomes))
}

/// Normalised discounted cumulative gain of the first ten results (gain 2^grade − 1).
fn ndcg(results: &[String], grades: &HashMap<String, u8>) -> f64 {
    let gain = |g: u8| f64::from((1u32 << g) - 1);
    let dcg: f64 = results
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, n)| gain(grades.get(n).copied().unwrap_or(0)) / (i as f64 + 2.0).log2())
        .sum();
    let mut ideal: Vec<u8> = grades.values().copied().collect();
    ideal.sort_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, g)| gain(*g) / (i as f64 + 2.0).log2())
        .sum();
    if idcg == 0.0 {
        1.0
    } else {
        dcg / idcg
    }
}

/// The catalogue the judged set runs on: the demo catalogue and `generated` synthetic
/// datasets, indexed.
pub fn catalogue(
    dir: &std::path::Path,
    generated: usize,
) -> Result<(std::sync::Arc<Catalogue>, std::sync::Arc<crate::Engine>), String> {
    let url = format!("sqlite://{}/relevance.db", dir.display());
    let cat = std::sync::Arc::new(
        Catalogue::open(&url, catalogue::Config::default()).map_err(|e| e.to_string())?,
    );
    catalogue::demo::load_demo(&cat).map_err(|e| format!("demo: {e:?}"))?;
    catalogue::demo::generate(&cat, generated, 2, 3, |_| {}).map_err(|e| format!("{e:?}"))?;
    let (engine, _) = crate::Engine::open(&dir.join("index"), 64).map_err(|e| e.to_string())?;
    engine.rebuild(&cat, |_, _| {}).map_err(|e| e.to_string())?;
    let engine = std::sync::Arc::new(engine);
    cat.install_searcher(engine.clone());
    Ok((cat, engine))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_judged_set_parses_and_is_large_enough() {
        let j = parse(JUDGED).expect("judged set");
        assert!(j.len() >= 150, "{} queries", j.len());
        assert!(parse("q\tname=4").is_err());
        assert!(parse("no tab").is_err());
    }

    #[test]
    fn ndcg_is_one_for_the_ideal_order() {
        let g: HashMap<String, u8> = [("a".to_string(), 3), ("b".to_string(), 1)].into();
        assert!((ndcg(&["a".into(), "b".into()], &g) - 1.0).abs() < 1e-9);
        assert!(ndcg(&["b".into(), "a".into()], &g) < 1.0);
        assert_eq!(ndcg(&["x".into()], &g), 0.0);
    }
}
