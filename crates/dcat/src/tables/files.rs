//! File types and media types: the EU file-type table, IANA media types, and the names CKAN
//! publishers give formats.

use crate::vocab::EU;

/// A file type: EU file-type code, its label, the IANA media type ("" when none is
/// registered), and the names CKAN publishers give it (folded, upper case).
pub struct FileType {
    pub code: &'static str,
    pub label: &'static str,
    pub media_type: &'static str,
    /// CKAN's short format name, what a harvested resource's `format` becomes.
    pub ckan: &'static str,
    pub aliases: &'static [&'static str],
}

macro_rules! file_types {
    ($(($code:literal, $label:literal, $media:literal, $ckan:literal, [$($alias:literal),*])),* $(,)?) => {
        pub const FILE_TYPES: &[FileType] = &[
            $(FileType { code: $code, label: $label, media_type: $media, ckan: $ckan, aliases: &[$($alias),*] }),*
        ];
    };
}

file_types![
    (
        "CSV",
        "CSV",
        "text/csv",
        "CSV",
        ["TEXT/CSV", "TEXT/COMMA-SEPARATED-VALUES"]
    ),
    (
        "XLSX",
        "XLSX",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLSX",
        []
    ),
    (
        "XLS",
        "XLS",
        "application/vnd.ms-excel",
        "XLS",
        ["EXCEL", "APPLICATION/VND.MS-EXCEL"]
    ),
    (
        "ODS",
        "ODS",
        "application/vnd.oasis.opendocument.spreadsheet",
        "ODS",
        []
    ),
    (
        "JSON",
        "JSON",
        "application/json",
        "JSON",
        ["APPLICATION/JSON"]
    ),
    (
        "GEOJSON",
        "GeoJSON",
        "application/geo+json",
        "GeoJSON",
        ["APPLICATION/GEO+JSON", "APPLICATION/VND.GEO+JSON"]
    ),
    ("PDF", "PDF", "application/pdf", "PDF", ["APPLICATION/PDF"]),
    (
        "XML",
        "XML",
        "application/xml",
        "XML",
        ["TEXT/XML", "APPLICATION/XML"]
    ),
    ("ZIP", "ZIP", "application/zip", "ZIP", ["APPLICATION/ZIP"]),
    ("SHP", "SHP", "", "SHP", ["SHAPEFILE", "ESRI SHAPEFILE"]),
    (
        "KML",
        "KML",
        "application/vnd.google-earth.kml+xml",
        "KML",
        []
    ),
    ("KMZ", "KMZ", "application/vnd.google-earth.kmz", "KMZ", []),
    (
        "RDF_XML",
        "RDF/XML",
        "application/rdf+xml",
        "RDF",
        ["RDF", "RDF/XML", "APPLICATION/RDF+XML"]
    ),
    (
        "RDF_TURTLE",
        "Turtle",
        "text/turtle",
        "TTL",
        ["TTL", "TURTLE", "TEXT/TURTLE"]
    ),
    (
        "JSON_LD",
        "JSON-LD",
        "application/ld+json",
        "JSON-LD",
        ["JSON-LD", "JSONLD", "APPLICATION/LD+JSON"]
    ),
    (
        "RDF_N_TRIPLES",
        "N-Triples",
        "application/n-triples",
        "NT",
        ["NT", "N-TRIPLES"]
    ),
    ("TXT", "TXT", "text/plain", "TXT", ["TEXT/PLAIN", "TEXT"]),
    (
        "DOCX",
        "DOCX",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "DOCX",
        []
    ),
    ("DOC", "DOC", "application/msword", "DOC", ["WORD"]),
    (
        "ODT",
        "ODT",
        "application/vnd.oasis.opendocument.text",
        "ODT",
        []
    ),
    (
        "PPTX",
        "PPTX",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "PPTX",
        []
    ),
    ("HTML", "HTML", "text/html", "HTML", ["HTM", "TEXT/HTML"]),
    ("TSV", "TSV", "text/tab-separated-values", "TSV", []),
    ("GML", "GML", "application/gml+xml", "GML", []),
    (
        "GPKG",
        "GeoPackage",
        "application/geopackage+sqlite3",
        "GPKG",
        ["GEOPACKAGE"]
    ),
    ("PNG", "PNG", "image/png", "PNG", ["IMAGE/PNG"]),
    ("JPEG", "JPEG", "image/jpeg", "JPEG", ["JPG", "IMAGE/JPEG"]),
    ("TIFF", "TIFF", "image/tiff", "TIFF", ["TIF", "IMAGE/TIFF"]),
    ("GEOTIFF", "GeoTIFF", "image/tiff", "GeoTIFF", []),
    ("GZIP", "GZIP", "application/gzip", "GZ", ["GZ"]),
    ("RAR", "RAR", "application/vnd.rar", "RAR", []),
    ("7Z", "7Z", "", "7Z", []),
    ("TAR", "TAR", "", "TAR", []),
    (
        "PARQUET",
        "Parquet",
        "application/vnd.apache.parquet",
        "Parquet",
        []
    ),
    ("WMS_SRVC", "WMS", "", "WMS", ["WMS"]),
    ("WFS_SRVC", "WFS", "", "WFS", ["WFS"]),
    ("WCS_SRVC", "WCS", "", "WCS", ["WCS"]),
    ("WMTS_SRVC", "WMTS", "", "WMTS", ["WMTS"]),
    (
        "REST",
        "Esri REST",
        "",
        "Esri REST",
        ["ESRI REST", "ARCGIS_REST", "ARCGIS REST"]
    ),
];

/// The file type a CKAN format (or media type) names: `csv`, `.CSV`, `text/csv` → CSV.
pub fn file_type(format: &str) -> Option<&'static FileType> {
    let key = format.trim().trim_start_matches('.').to_uppercase();
    if key.is_empty() {
        return None;
    }
    FILE_TYPES.iter().find(|t| {
        t.code == key || t.label.to_uppercase() == key || t.aliases.contains(&key.as_str())
    })
}

/// The file type a resource URL's extension suggests (`…/a.csv?x=1` → CSV).
pub fn file_type_of_url(url: &str) -> Option<&'static FileType> {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    let (_, ext) = last.rsplit_once('.')?;
    file_type(ext).filter(|t| !t.code.ends_with("_SRVC"))
}

/// The file type an EU file-type IRI names.
pub fn file_type_of_iri(iri: &str) -> Option<&'static FileType> {
    let code = iri.strip_prefix(&format!("{EU}file-type/"))?;
    FILE_TYPES.iter().find(|t| t.code == code)
}

/// The file type a registered media type stands for.
pub fn file_type_of_media(media: &str) -> Option<&'static FileType> {
    let media = media.trim().to_ascii_lowercase();
    FILE_TYPES
        .iter()
        .find(|t| !t.media_type.is_empty() && t.media_type == media)
}

/// Whether a media type is one IANA registered (no `x-` subtypes, one slash, known top level).
pub fn is_registered_media_type(m: &str) -> bool {
    let Some((top, sub)) = m.split_once('/') else {
        return false;
    };
    let tops = [
        "application",
        "audio",
        "font",
        "image",
        "model",
        "multipart",
        "text",
        "video",
    ];
    tops.contains(&top)
        && !sub.is_empty()
        && !sub.starts_with("x-")
        && !sub.contains('/')
        && sub
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_publishers_write_them() {
        assert_eq!(file_type(".csv").map(|t| t.code), Some("CSV"));
        assert_eq!(file_type("text/csv").map(|t| t.code), Some("CSV"));
        assert_eq!(file_type("GeoJSON").map(|t| t.code), Some("GEOJSON"));
        assert_eq!(file_type("Excel").map(|t| t.code), Some("XLS"));
        assert!(file_type("API").is_none());
        assert_eq!(
            file_type_of_url("https://x.vn/a/b.XLSX?y=1").map(|t| t.code),
            Some("XLSX")
        );
        assert!(file_type_of_url("https://x.vn/api").is_none());
        assert!(is_registered_media_type("text/csv"));
        assert!(!is_registered_media_type("application/x-7z-compressed"));
        assert!(!is_registered_media_type("csv"));
    }
}
