//! Dates as DCAT-AP types them: CKAN's naive-UTC timestamps as `xsd:dateTime`, a day as
//! `xsd:date`, a year or month as `xsd:gYear` / `xsd:gYearMonth`. Text that is none of these
//! is dropped, never written as a plain string.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// A date or time value and the XSD type it is written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateValue {
    Year(i32),
    YearMonth(i32, u32),
    Date(NaiveDate),
    /// The lexical form, already normalized (`YYYY-MM-DDTHH:MM:SS[.ffffff]`, UTC, no zone).
    DateTime(String),
}

impl DateValue {
    pub fn lexical(&self) -> String {
        match self {
            DateValue::Year(y) => format!("{y:04}"),
            DateValue::YearMonth(y, m) => format!("{y:04}-{m:02}"),
            DateValue::Date(d) => d.format("%Y-%m-%d").to_string(),
            DateValue::DateTime(s) => s.clone(),
        }
    }

    pub fn datatype(&self) -> oxrdf::NamedNodeRef<'static> {
        use crate::vocab::xsd;
        match self {
            DateValue::Year(_) => xsd::G_YEAR,
            DateValue::YearMonth(..) => xsd::G_YEAR_MONTH,
            DateValue::Date(_) => xsd::DATE,
            DateValue::DateTime(_) => xsd::DATE_TIME,
        }
    }
}

/// A date or time as publishers write them: ISO 8601 (with or without a zone, `T` or a
/// space), `YYYY`, `YYYY-MM`, or the Vietnamese `DD/MM/YYYY`.
pub fn parse(text: &str) -> Option<DateValue> {
    let t = text.trim();
    if t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().ok().map(DateValue::Year);
    }
    if let Some((y, m)) = t.split_once('-').filter(|_| t.len() == 7) {
        let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
        return (1..=12).contains(&m).then_some(DateValue::YearMonth(y, m));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(DateValue::Date(d));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%d/%m/%Y") {
        return Some(DateValue::Date(d));
    }
    timestamp(t).map(|dt| DateValue::DateTime(lexical_time(&dt)))
}

/// A timestamp: naive (taken as UTC, CKAN's convention) or with a zone (converted to UTC).
pub fn timestamp(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc).naive_utc());
    }
    let t = t.strip_suffix('Z').unwrap_or(t);
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return Some(dt);
        }
    }
    None
}

/// The `modified_since` of a catalogue request: a day (midnight UTC) or a timestamp.
pub fn since(text: &str) -> Option<NaiveDateTime> {
    let t = text.trim();
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0);
    }
    timestamp(t)
}

/// CKAN's lexical form: microseconds only when there are some.
pub fn lexical_time(dt: &NaiveDateTime) -> String {
    if dt.and_utc().timestamp_subsec_micros() == 0 {
        dt.format("%Y-%m-%dT%H:%M:%S").to_string()
    } else {
        dt.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
    }
}

/// A stored CKAN timestamp as `xsd:dateTime` (`None` when it is not one).
pub fn ckan_time(text: &str) -> Option<DateValue> {
    timestamp(text).map(|dt| DateValue::DateTime(lexical_time(&dt)))
}

/// A year range as the demo catalogue writes it (`2025–2026`, `2020-2024`): its first and
/// last years.
pub fn year_range(text: &str) -> Option<(i32, i32)> {
    let t = text.trim();
    if let Ok(y) = t.parse::<i32>() {
        return (t.len() == 4).then_some((y, y));
    }
    let (a, b) = t.split_once(['–', '-', '—'])?;
    let (a, b) = (a.trim(), b.trim());
    if a.len() != 4 || b.len() != 4 {
        return None;
    }
    let (a, b): (i32, i32) = (a.parse().ok()?, b.parse().ok()?);
    (a <= b).then_some((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_publishers_write() {
        assert_eq!(parse("2024"), Some(DateValue::Year(2024)));
        assert_eq!(parse("2024-05"), Some(DateValue::YearMonth(2024, 5)));
        assert_eq!(parse("2024-13"), None);
        assert_eq!(
            parse("31/12/2024").map(|d| d.lexical()),
            Some("2024-12-31".into())
        );
        assert_eq!(
            parse("2024-05-01T10:20:30.123456").map(|d| d.lexical()),
            Some("2024-05-01T10:20:30.123456".into())
        );
        assert_eq!(
            parse("2024-05-01T17:20:30+07:00").map(|d| d.lexical()),
            Some("2024-05-01T10:20:30".into())
        );
        assert_eq!(
            parse("2024-05-01 10:20:30").map(|d| d.lexical()),
            Some("2024-05-01T10:20:30".into())
        );
        assert_eq!(parse("hôm qua"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn since_accepts_days_and_times() {
        assert_eq!(
            since("2015-07-24").map(|d| lexical_time(&d)),
            Some("2015-07-24T00:00:00".into())
        );
        assert!(since("2026-11-23T04:27:30.593566").is_some());
        assert!(since("2026-11-23T04:27:30Z").is_some());
        assert!(since("yesterday").is_none());
        assert!(since("2026-02-30").is_none());
    }

    #[test]
    fn year_ranges() {
        assert_eq!(year_range("2025–2026"), Some((2025, 2026)));
        assert_eq!(year_range("2024"), Some((2024, 2024)));
        assert_eq!(year_range("2026-2025"), None);
        assert_eq!(year_range("năm 2024"), None);
    }
}
