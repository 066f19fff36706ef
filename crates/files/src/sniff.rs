//! The content type of an upload: from its bytes where they tell (PDF, ZIP, XLSX, PNG, …),
//! else from the file name (CSV, JSON, GeoJSON, Parquet have no magic bytes).

pub fn mimetype_of(head: &[u8], filename: &str) -> String {
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_string();
    }
    let by_name = mime_guess::from_path(filename).first_raw();
    match by_name {
        Some(m) => m.to_string(),
        None if !head.is_empty() && std::str::from_utf8(head).is_ok() => "text/plain".into(),
        None => "application/octet-stream".into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_beats_the_name() {
        assert_eq!(
            super::mimetype_of(b"%PDF-1.7\n...", "report.csv"),
            "application/pdf"
        );
        assert_eq!(super::mimetype_of(b"a,b\n1,2\n", "data.csv"), "text/csv");
        assert_eq!(super::mimetype_of(b"{}", "x.json"), "application/json");
        assert_eq!(super::mimetype_of(b"plain words", "noext"), "text/plain");
        assert_eq!(
            super::mimetype_of(&[0, 159, 146, 150], "blob"),
            "application/octet-stream"
        );
    }
}
