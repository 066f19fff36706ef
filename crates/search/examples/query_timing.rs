//! Times one package_search in-process, without HTTP, on an existing index: the quickest way
//! to see what a change to the engine does to a query's cost (one core, no queueing).
//!
//! ```sh
//! cargo run --release -p search --example query_timing -- DATA_DIR/index 'du lich' \
//!     organization,tags,res_format 200
//! ```
//! Arguments: index directory, q, facet fields (comma-separated, or "" for none), repetitions.
//! Stop `cong serve` on that data dir first: the engine takes the index's writer lock.

use catalogue::actions::search::{SearchRequest, Visibility};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, q, facets, reps] = args.as_slice() else {
        return Err("usage: query_timing INDEX_DIR Q FACETS REPETITIONS".into());
    };
    let reps: usize = reps.parse()?;
    let (engine, _) = search::Engine::open(std::path::Path::new(dir), 50)?;
    let req = SearchRequest {
        q: q.clone(),
        fq: vec![],
        sort: vec![("score".into(), true), ("metadata_modified".into(), true)],
        sort_text: "score desc, metadata_modified desc".into(),
        rows: 10,
        start: 0,
        facet_fields: facets
            .split(',')
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect(),
        facet_limit: Some(50),
        facet_mincount: 1,
        cursor: None,
        dismax: Default::default(),
    };
    let vis = Visibility::default();
    let first = engine.search(&req, &vis)?;
    println!("count {} over {} documents", first.count, engine.num_docs());
    let names: Vec<String> = first
        .results
        .iter()
        .filter_map(|raw| serde_json::from_str::<serde_json::Value>(raw.get()).ok())
        .map(|d| d["name"].as_str().unwrap_or("?").to_string())
        .collect();
    println!("first page: {}", names.join(" "));
    let mut times = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        let hits = engine.search(&req, &vis)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(hits.count, first.count);
    }
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    let at = |p: f64| times[((times.len() as f64 - 1.0) * p) as usize];
    println!(
        "{reps} searches: mean {mean:.2} ms, min {:.2}, p50 {:.2}, p99 {:.2}",
        at(0.0),
        at(0.5),
        at(0.99)
    );
    Ok(())
}
