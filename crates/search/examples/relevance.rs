//! Prints how well package_search answers the judged queries (crates/search/relevance):
//! success@1, success@3, MRR@10, nDCG@10, and every query whose answer is not first.
//!
//! ```sh
//! cargo run --release -p search --example relevance [-- GENERATED_DATASETS]
//! ```
//! The catalogue is the demo catalogue beside GENERATED_DATASETS synthetic ones (default 2000).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let generated: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(2000);
    // The judged set on the demo catalogue alone; queries made from generated titles on the
    // generated catalogue.
    let demo_dir = tempfile::tempdir()?;
    let (demo, _e1) = search::relevance::catalogue(demo_dir.path(), 0)?;
    let judged = search::relevance::parse(search::relevance::JUDGED)?;
    report("the demo catalogue", &demo, &judged)?;
    let dir = tempfile::tempdir()?;
    let (cat, _e2) = search::relevance::catalogue(dir.path(), generated)?;
    let made = search::relevance::generated_judged(&cat, (generated / 40).max(1))?;
    report(&format!("the demo catalogue and {generated} generated datasets (queries made from generated titles)"), &cat, &made)?;
    Ok(())
}

fn report(
    what: &str,
    cat: &catalogue::Catalogue,
    judged: &[search::relevance::Judged],
) -> Result<(), Box<dyn std::error::Error>> {
    let (scores, outcomes) = search::relevance::run(cat, judged)?;
    for (o, j) in outcomes.iter().zip(judged) {
        if o.first_best != Some(1) {
            let best = j
                .grades
                .iter()
                .filter(|(_, g)| **g == 3)
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            println!(
                "{:>2} {:<45} count {:>5}; wanted {best}; got {}",
                o.first_best.map_or("-".to_string(), |r| r.to_string()),
                o.query,
                o.count,
                o.results
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    println!(
        "\n{} queries on {what}:\n\
         success@1 {:.3}  success@3 {:.3}  MRR@10 {:.3}  nDCG@10 {:.3}\n\
         queries with an answer that found nothing: {}",
        scores.queries,
        scores.success_at_1,
        scores.success_at_3,
        scores.mrr_at_10,
        scores.ndcg_at_10,
        scores.empty_with_answer.len()
    );
    for q in &scores.empty_with_answer {
        println!("  found nothing: {q}");
    }
    Ok(())
}
