//! Safe file names: whatever a client sends, the stored name is a short ASCII slug with an
//! extension — no path, no NUL, nothing that can escape a directory or a header.

use catalogue::validate::fold_diacritics;

const MAX_LEN: usize = 100;
const MAX_EXT: usize = 16;

/// `../../etc/passwd` → `passwd`; `Báo cáo 2025.XLSX` → `bao-cao-2025.xlsx`; empty → `file`.
pub fn sanitize_filename(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let folded = fold_diacritics(base).to_lowercase();
    let (stem, ext) = match folded.rsplit_once('.') {
        Some((s, e)) if !s.trim_matches('.').is_empty() => (s.to_string(), e.to_string()),
        _ => (folded.clone(), String::new()),
    };
    let clean = |s: &str| {
        let mut out = String::new();
        for c in s.chars() {
            if c.is_ascii_alphanumeric() || c == '_' {
                out.push(c);
            } else if !out.ends_with('-') {
                out.push('-');
            }
        }
        out.trim_matches('-').to_string()
    };
    let ext: String = clean(&ext)
        .chars()
        .filter(|c| *c != '-')
        .take(MAX_EXT)
        .collect();
    let mut stem = clean(&stem);
    let room = MAX_LEN - if ext.is_empty() { 0 } else { ext.len() + 1 };
    stem = stem
        .chars()
        .take(room)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string();
    if stem.is_empty() {
        stem = "file".into();
    }
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

#[cfg(test)]
mod tests {
    use super::sanitize_filename as s;

    #[test]
    fn hostile_names_become_harmless() {
        assert_eq!(s("../../etc/passwd"), "passwd");
        assert_eq!(s("..\\..\\windows\\win.ini"), "win.ini");
        assert_eq!(s("a\0b.csv"), "a-b.csv");
        assert_eq!(s("Báo cáo Đà Nẵng 2025.XLSX"), "bao-cao-da-nang-2025.xlsx");
        assert_eq!(s(""), "file");
        assert_eq!(s(".."), "file");
        assert_eq!(s(".hidden"), "hidden");
        assert_eq!(s("x.tar.gz"), "x-tar.gz");
        let long = s(&format!("{}.csv", "a".repeat(500)));
        assert!(long.len() <= 100 && long.ends_with(".csv"), "{long}");
        for name in ["a/b", "a b<c>\"d\".csv", "日本語.json", "\r\n.txt"] {
            let out = s(name);
            assert!(
                out.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
                "{out}"
            );
            assert!(!out.starts_with('.') && !out.contains(".."), "{out}");
        }
    }
}
