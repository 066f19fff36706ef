//! Which way a search takes: the sort keys a request asks for, and whether one typed key
//! decides the order (a fast plan) or the general multi-key sort is needed.

use crate::engine::Engine;
use crate::error::Error;
use crate::schema;
use catalogue::actions::search::SearchRequest;
use tantivy::collector::sort_key::SortByErasedType;
use tantivy::Order;

impl Engine {
    pub(crate) fn sort_keys(&self, req: &SearchRequest) -> Result<SortKeys, Error> {
        let mut keys: Vec<(String, bool)> = req.sort.clone();
        if req.cursor.is_some() {
            // Keyset paging needs a total order without relevance: fall back to recency.
            keys.retain(|(f, _)| f != "score");
            if keys.is_empty() {
                keys.push(("metadata_modified".into(), true));
            }
        }
        let mut out = vec![];
        for (field, desc) in keys {
            let field = match field.as_str() {
                "title" => "title_string".to_string(),
                "dataset_type" => "type".to_string(),
                f => f.to_string(),
            };
            let sortable = field == "score"
                || schema::STRING_FIELDS.contains(&field.as_str())
                    && field != "tags"
                    && field != "groups"
                    && field != "res_format"
                    && field != "res_url"
                || schema::DATE_FIELDS.contains(&field.as_str())
                || schema::NUMBER_FIELDS.contains(&field.as_str());
            if !sortable {
                return Err(Error::BadSort);
            }
            let unique = field == "id";
            out.push((field, desc));
            if unique {
                // Keys after the (unique) id never decide anything.
                break;
            }
        }
        // Three keys of the caller's choice, or four when the last is the id.
        let ends_with_id = out.last().is_some_and(|(f, _)| f == "id");
        if out.len() > 4 || out.len() == 4 && !ends_with_id {
            return Err(Error::BadSort);
        }
        // The dataset id breaks ties, so paging neither skips nor repeats.
        while out.len() < 4 {
            out.push(("id".into(), false));
        }
        Ok(SortKeys(out))
    }
}

/// Up to four sort keys: what the request asked for, then the id.
pub(crate) struct SortKeys(pub(crate) Vec<(String, bool)>);

pub(crate) type Key = (SortByErasedType, Order);

impl SortKeys {
    pub(crate) fn key(&self, i: usize) -> Key {
        let (field, desc) = &self.0[i];
        let computer = if field == "score" {
            SortByErasedType::for_score()
        } else {
            SortByErasedType::for_field(field)
        };
        (computer, if *desc { Order::Desc } else { Order::Asc })
    }

    /// Nested pairs, not a 4-tuple: tantivy 0.27's 4-tuple sort key ignores the keys' orders
    /// (`name asc` came back descending, and paging repeated datasets); pairs honour them.
    pub(crate) fn computer(&self) -> (Key, (Key, (Key, Key))) {
        (self.key(0), (self.key(1), (self.key(2), self.key(3))))
    }
}

/// A sort the index can do with one typed key (much cheaper than the general multi-key sort).
pub(crate) enum Plan {
    Score,
    Date(&'static str, Order),
    Number(&'static str, Order),
    Text(&'static str, Order),
}

/// The typed plan for `req`'s sort, when one key decides it: relevance for text queries
/// (CKAN's default `score desc, metadata_modified desc`), or a single field. Cursor paging
/// needs the full key of the last result, so it always takes the general path.
pub(crate) fn fast_plan(req: &SearchRequest, relevance: bool) -> Option<Plan> {
    if req.cursor.is_some() {
        return None;
    }
    let mut keys: Vec<(&str, bool)> = req.sort.iter().map(|(f, d)| (f.as_str(), *d)).collect();
    if !relevance {
        // Without query words every score is equal: relevance decides nothing.
        keys.retain(|(f, _)| *f != "score");
    }
    let order = |desc: bool| if desc { Order::Desc } else { Order::Asc };
    match keys.as_slice() {
        [] => Some(Plan::Score),
        [("score", true), ..] => Some(Plan::Score),
        [(field, desc)] => {
            let field = if *field == "title" {
                "title_string"
            } else {
                field
            };
            if let Some(f) = schema::DATE_FIELDS.iter().find(|f| **f == field) {
                Some(Plan::Date(f, order(*desc)))
            } else if let Some(f) = schema::NUMBER_FIELDS.iter().find(|f| **f == field) {
                Some(Plan::Number(f, order(*desc)))
            } else {
                SORTABLE_STRINGS
                    .iter()
                    .find(|f| **f == field)
                    .map(|f| Plan::Text(f, order(*desc)))
            }
        }
        _ => None,
    }
}

/// Exact-value fields with one value per dataset, which can order results.
const SORTABLE_STRINGS: [&str; 8] = [
    "id",
    "name",
    "title_string",
    "license_id",
    "state",
    "type",
    "organization",
    "owner_org",
];
