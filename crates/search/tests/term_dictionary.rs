//! The term dictionaries tantivy writes go through Cổng's patched tantivy-fst (a node registry
//! that starts small and grows: vendor/tantivy-fst/PATCHED.md). The registry only decides which
//! suffixes are shared; these tests hold the maps built through every growth step to what was
//! put in, and their size to what sharing suffixes should give.

use tantivy_fst::{IntoStreamer, Map, MapBuilder, Streamer};

/// Keys like an index's: Vietnamese syllables joined in pairs, numbers, names with suffixes.
fn keys(n: usize) -> Vec<String> {
    let syllables = [
        "du", "lich", "giao", "thong", "dan", "so", "dat", "dai", "nong", "nghiep", "y", "te",
    ];
    let mut keys: Vec<String> = (0..n)
        .map(|i| {
            let a = syllables[i % syllables.len()];
            let b = syllables[(i / syllables.len()) % syllables.len()];
            format!("{a}{b}-{i:07}-{}", ["ha-noi", "da-nang", "hue"][i % 3])
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn build(keys: &[String]) -> Map<Vec<u8>> {
    let mut builder = MapBuilder::memory();
    for (i, k) in keys.iter().enumerate() {
        builder
            .insert(k, i as u64)
            .unwrap_or_else(|e| panic!("insert {k}: {e}"));
    }
    let bytes = builder.into_inner().unwrap_or_else(|e| panic!("{e}"));
    Map::from_bytes(bytes).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_key_is_found_at_every_size() {
    // Sizes below, at and well past each growth of the registry (64 → 512 → 4,096 → 10,000 rows).
    for n in [1, 10, 63, 64, 130, 1_000, 5_000, 40_000, 120_000] {
        let keys = keys(n);
        let map = build(&keys);
        assert_eq!(map.len(), keys.len(), "{n}");
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(map.get(k), Some(i as u64), "{n}: {k}");
        }
        assert_eq!(map.get("khong-co"), None);
        let mut stream = map.stream();
        let mut i = 0;
        while let Some((k, v)) = stream.next() {
            assert_eq!((k, v), (keys[i].as_bytes(), i as u64), "{n}");
            i += 1;
        }
        assert_eq!(i, keys.len());
        let range: Vec<u64> = map
            .range()
            .ge(&keys[keys.len() / 2])
            .into_stream()
            .into_values();
        assert_eq!(range.len(), keys.len() - keys.len() / 2, "{n}");
    }
}

/// Suffixes are still shared once the registry has grown: the map of 120,000 keys that end in
/// one of three names is far smaller than the keys themselves.
#[test]
fn suffixes_are_still_shared() {
    let keys = keys(120_000);
    let raw: usize = keys.iter().map(String::len).sum();
    let map = build(&keys);
    let size = map.as_fst().size();
    assert!(
        size * 4 < raw,
        "FST of {size} bytes for {raw} bytes of keys"
    );
}
