//! Keyset paging (`cursor`): the last result's sort key, encoded for the client, and the
//! query for the datasets after it.

use crate::engine::Engine;
use crate::error::Error;
use crate::plan::SortKeys;
use crate::schema;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{IndexRecordOption, OwnedValue};
use tantivy::Term;

impl Engine {
    /// Datasets strictly after the cursor's sort key in the sort order.
    pub(crate) fn after_cursor(
        &self,
        sort: &SortKeys,
        cursor: &str,
    ) -> Result<Box<dyn Query>, Error> {
        let values = decode_cursor(cursor).ok_or(Error::Query("invalid cursor".into()))?;
        if values.len() != sort.0.len() {
            return Err(Error::Query("invalid cursor".into()));
        }
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = vec![];
        for i in 0..sort.0.len() {
            let mut all: Vec<(Occur, Box<dyn Query>)> = vec![];
            for ((field, _), value) in sort.0.iter().zip(&values).take(i) {
                let t = self.cursor_term(field, value)?;
                // Equal to the cursor's value. Dates as a range on the fast field: the inverted
                // index keeps them to the second only, so a term would never equal microseconds.
                let equal: Box<dyn Query> = if schema::DATE_FIELDS.contains(&field.as_str()) {
                    Box::new(RangeQuery::new(
                        std::ops::Bound::Included(t.clone()),
                        std::ops::Bound::Included(t),
                    ))
                } else {
                    Box::new(TermQuery::new(t, IndexRecordOption::Basic))
                };
                all.push((Occur::Must, equal));
            }
            let (field, desc) = &sort.0[i];
            let t = self.cursor_term(field, &values[i])?;
            let range = if *desc {
                RangeQuery::new(std::ops::Bound::Unbounded, std::ops::Bound::Excluded(t))
            } else {
                RangeQuery::new(std::ops::Bound::Excluded(t), std::ops::Bound::Unbounded)
            };
            all.push((Occur::Must, Box::new(range)));
            alternatives.push((Occur::Should, Box::new(BooleanQuery::new(all))));
        }
        Ok(Box::new(BooleanQuery::new(alternatives)))
    }

    fn cursor_term(&self, field: &str, v: &serde_json::Value) -> Result<Term, Error> {
        let f = self
            .fields
            .get(field)
            .ok_or(Error::Query("invalid cursor".into()))?;
        let bad = || Error::Query("invalid cursor".into());
        Ok(if schema::DATE_FIELDS.contains(&field) {
            Term::from_field_date(
                f,
                tantivy::DateTime::from_timestamp_nanos(v.as_i64().ok_or_else(bad)?),
            )
        } else if schema::NUMBER_FIELDS.contains(&field) {
            Term::from_field_u64(f, v.as_u64().ok_or_else(bad)?)
        } else {
            Term::from_field_text(f, v.as_str().ok_or_else(bad)?)
        })
    }
}

pub(crate) type SortValue = (OwnedValue, (OwnedValue, (OwnedValue, OwnedValue)));

fn owned_to_json(v: &OwnedValue) -> serde_json::Value {
    match v {
        OwnedValue::Str(s) => serde_json::Value::String(s.clone()),
        OwnedValue::U64(n) => serde_json::Value::from(*n),
        OwnedValue::I64(n) => serde_json::Value::from(*n),
        OwnedValue::F64(n) => serde_json::Value::from(*n),
        OwnedValue::Date(d) => serde_json::Value::from(d.into_timestamp_nanos()),
        _ => serde_json::Value::Null,
    }
}

/// The four values of a sort key, in order.
pub(crate) fn sort_values(k: &SortValue) -> Vec<serde_json::Value> {
    vec![
        owned_to_json(&k.0),
        owned_to_json(&k.1 .0),
        owned_to_json(&k.1 .1 .0),
        owned_to_json(&k.1 .1 .1),
    ]
}

pub(crate) fn encode_cursor(k: &SortValue) -> String {
    use base64::Engine as _;
    let values = serde_json::Value::Array(sort_values(k));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(values.to_string())
}

pub(crate) fn decode_cursor(c: &str) -> Option<Vec<serde_json::Value>> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
