//! Search quality, held to its targets: the judged queries (crates/search/relevance) on the
//! demo catalogue, and queries made from generated titles on a generated catalogue, must
//! reach MRR@10 ≥ 0.95, and no query with an answer may find nothing.

use search::relevance::{catalogue, generated_judged, parse, run, Judged, JUDGED};

fn check(what: &str, cat: &catalogue::Catalogue, judged: &[Judged]) {
    let (scores, outcomes) = run(cat, judged).expect("run");
    let misses: Vec<String> = outcomes
        .iter()
        .filter(|o| o.first_best != Some(1))
        .map(|o| {
            format!(
                "{} → {:?} {:?}",
                o.query,
                o.first_best,
                o.results.iter().take(3).collect::<Vec<_>>()
            )
        })
        .collect();
    assert!(
        scores.mrr_at_10 >= 0.95,
        "{what}: MRR@10 {:.3} (success@1 {:.3}); not first: {misses:#?}",
        scores.mrr_at_10,
        scores.success_at_1
    );
    assert!(
        scores.empty_with_answer.is_empty(),
        "{what}: found nothing for {:?}",
        scores.empty_with_answer
    );
}

#[test]
fn judged_queries_on_the_demo_catalogue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cat, _engine) = catalogue(dir.path(), 0).expect("catalogue");
    let judged = parse(JUDGED).expect("judged set");
    assert!(judged.len() >= 150);
    check("demo catalogue", &cat, &judged);
}

#[test]
fn queries_from_generated_titles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cat, _engine) = catalogue(dir.path(), 400).expect("catalogue");
    let judged = generated_judged(&cat, 20).expect("generated queries");
    assert!(judged.len() >= 30, "{}", judged.len());
    check("generated catalogue", &cat, &judged);
}
