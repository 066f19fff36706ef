//! The catalogue endpoint's pages: which public datasets a page holds, in a stable order, and
//! the Hydra paging links ckanext-dcat's harvester follows.
//!
//! Order: `metadata_created asc` (see `Cursor` for ties). ckanext-dcat pages by
//! `metadata_modified desc`, so a dataset edited during a walk jumps to page 1 and another
//! slips between pages (and is deleted downstream until the next run). Creation order never moves an existing
//! dataset and puts new ones at the end; the `next` links carry a keyset cursor as well as
//! the page number, so a walk sees every dataset exactly once whatever changes meanwhile.

use crate::dataset::{Dataset, Organization};
use crate::dates;
use crate::format::{Format, RdfWriter};
use crate::profile::{CatalogFacts, Profile, Publisher, Site};
use crate::vocab::{dcat, hydra, xsd, Doc};
use crate::Error;
use base64::Engine as _;
use catalogue::actions::search::{SearchHits, SearchRequest, Visibility};
use catalogue::{actions, Actor, Catalogue, Params};
use oxrdf::{Literal, NamedNode, NamedOrBlankNode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A catalogue page request, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageQuery {
    /// 1-based.
    pub page: u64,
    pub modified_since: Option<String>,
    pub q: Option<String>,
    pub fq: Option<String>,
    pub profiles: Option<String>,
    /// Keyset position (from a `next` link); without it the page is found by offset.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// Reads `page`, `modified_since`, `q`, `fq`, `profiles` and `cursor` from a query string's
    /// pairs; other parameters are ignored, as ckanext-dcat does.
    pub fn parse(pairs: &[(String, String)]) -> Result<PageQuery, Error> {
        let get = |k: &str| {
            pairs
                .iter()
                .rev()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.trim())
        };
        let page = match get("page") {
            None | Some("") => 1,
            Some(p) => p
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=10_000_000).contains(n))
                .ok_or(Error::BadPage)?,
        };
        let modified_since = match get("modified_since").filter(|v| !v.is_empty()) {
            None => None,
            Some(v) => Some(dates::lexical_time(
                &dates::since(v).ok_or(Error::BadModifiedSince)?,
            )),
        };
        if let Some(p) = get("profiles").filter(|p| !p.is_empty()) {
            let unknown: Vec<&str> = p
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty() && *p != "euro_dcat_ap_3")
                .collect();
            if !unknown.is_empty() {
                return Err(Error::UnknownProfiles(unknown.join(", ")));
            }
        }
        let keep = |k: &str| get(k).filter(|v| !v.is_empty()).map(str::to_string);
        Ok(PageQuery {
            page,
            modified_since,
            q: keep("q"),
            fq: keep("fq"),
            profiles: keep("profiles"),
            cursor: keep("cursor"),
        })
    }
}

/// A page's datasets and where it sits in the walk.
pub struct Page {
    pub count: usize,
    pub per_page: usize,
    pub datasets: Vec<Dataset>,
    pub next_cursor: Option<String>,
}

/// Where a walk stands: the creation time of the last dataset sent, and the datasets created
/// at that very time that were sent already (usually one). The next page starts at that time,
/// inclusive, less those: exact whatever ties there are, and each page is one range filter on
/// a date column and the engine's fast sort on it, so a page costs the same at any depth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cursor {
    created: String,
    sent: Vec<String>,
}

impl Cursor {
    fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    }

    fn decode(text: &str) -> Result<Cursor, Error> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| Error::BadCursor)?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| Error::BadCursor)?;
        // Only a time this module wrote: it goes into a query.
        let time = dates::timestamp(&cursor.created).ok_or(Error::BadCursor)?;
        Ok(Cursor {
            created: dates::lexical_time(&time),
            sent: cursor.sent,
        })
    }

    /// The cursor after `page` (in creation order), which followed `previous`.
    fn after(page: &[Dataset], previous: Option<&Cursor>) -> Option<Cursor> {
        let lexical = |text: &str| dates::timestamp(text).map(|t| dates::lexical_time(&t));
        let created = lexical(&page.last()?.metadata_created)?;
        let mut sent: Vec<String> = match previous {
            Some(p) if p.created == created => p.sent.clone(),
            _ => vec![],
        };
        sent.extend(
            page.iter()
                .filter(|d| lexical(&d.metadata_created).as_deref() == Some(created.as_str()))
                .map(|d| d.id.clone()),
        );
        Some(Cursor { created, sent })
    }
}

/// Finds a page's public datasets through the search engine (so visibility is decided in
/// one place for every reader: private, draft and deleted datasets are never listed).
pub fn find_page(cat: &Catalogue, query: &PageQuery, per_page: usize) -> Result<Page, Error> {
    let mut fq = vec![];
    if let Some(f) = &query.fq {
        fq.push(f.clone());
    }
    if let Some(since) = &query.modified_since {
        fq.push(format!("metadata_modified:[{since}Z TO *]"));
    }
    let total = SearchRequest {
        q: query.q.clone().unwrap_or_default(),
        fq: fq.clone(),
        ..SearchRequest::every_dataset("metadata_created", false)
    };
    let cursor = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    let (hits, count) = match &cursor {
        None => {
            let start = (query.page as usize)
                .saturating_sub(1)
                .saturating_mul(per_page);
            let hits = search(
                cat,
                &SearchRequest {
                    rows: per_page,
                    start,
                    ..total.clone()
                },
            )?;
            let count = hits.count;
            (hits, count)
        }
        Some(c) => {
            let mut fq = fq.clone();
            fq.push(format!("metadata_created:[{}Z TO *]", c.created));
            let rows = per_page.saturating_add(c.sent.len());
            let hits = search(
                cat,
                &SearchRequest {
                    rows,
                    fq,
                    ..total.clone()
                },
            )?;
            // The page tells the whole walk's size, not what is left of it.
            (hits, search(cat, &total)?.count)
        }
    };
    let sent: std::collections::HashSet<&str> = cursor
        .iter()
        .flat_map(|c| c.sent.iter().map(String::as_str))
        .collect();
    let datasets: Vec<Dataset> = hits
        .results
        .iter()
        .filter_map(|raw| Dataset::from_json(raw.get()).ok())
        .filter(|d| !sent.contains(d.id.as_str()))
        .take(per_page)
        .collect();
    let next_cursor = if datasets.len() == per_page {
        Cursor::after(&datasets, cursor.as_ref()).map(|c| c.encode())
    } else {
        None
    };
    Ok(Page {
        count,
        per_page,
        datasets,
        next_cursor,
    })
}

fn search(cat: &Catalogue, req: &SearchRequest) -> Result<SearchHits, Error> {
    let searcher = cat
        .searcher()
        .ok_or_else(|| Error::Catalogue(catalogue::Error::Internal("no search engine".into())))?;
    searcher
        .search(cat, req, &Visibility::default())
        .map_err(Error::from)
}

/// The catalogue's first publication and latest change, from its public datasets.
pub fn facts(cat: &Catalogue) -> Result<CatalogFacts, Error> {
    let edge = |field: &str, desc: bool| -> Result<Option<String>, Error> {
        let req = SearchRequest {
            rows: 1,
            ..SearchRequest::every_dataset(field, desc)
        };
        let hits = search(cat, &req)?;
        Ok(hits.results.first().and_then(|r| {
            let v: Value = serde_json::from_str(r.get()).ok()?;
            v.get(field)?.as_str().map(str::to_string)
        }))
    };
    Ok(CatalogFacts {
        issued: edge("metadata_created", false)?,
        modified: edge("metadata_modified", true)?,
    })
}

/// Organizations as publishers, each read at most once a minute: reading one counts its
/// datasets, and at 100,000 datasets reading a page's twenty publishers took three times as
/// long as describing its hundred datasets. An organization's new name reaches the catalogue
/// within the minute.
#[derive(Default)]
pub struct PublisherCache {
    known: Mutex<HashMap<String, (Instant, Option<Publisher>)>>,
}

const PUBLISHER_TTL: Duration = Duration::from_secs(60);

impl PublisherCache {
    /// The dataset's organization as a publisher.
    pub fn get(&self, cat: &Catalogue, org: Option<&Organization>) -> Option<Publisher> {
        let org = org.filter(|o| !o.id.is_empty())?;
        self.cached(&org.id, || {
            read_publisher(cat, &org.id).or_else(|| Some(publisher_from(org, &Value::Null)))
        })
    }

    /// The publisher configured for the catalogue itself, by organization name.
    pub fn by_name(&self, cat: &Catalogue, name: &str) -> Option<Publisher> {
        self.cached(&format!("name:{name}"), || read_publisher(cat, name))
    }

    fn cached(&self, key: &str, read: impl FnOnce() -> Option<Publisher>) -> Option<Publisher> {
        let lock = || self.known.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, p)) = lock().get(key) {
            if at.elapsed() < PUBLISHER_TTL {
                return p.clone();
            }
        }
        let p = read();
        lock().insert(key.to_string(), (Instant::now(), p.clone()));
        p
    }
}

fn read_publisher(cat: &Catalogue, id: &str) -> Option<Publisher> {
    let action = actions::find("organization_show")?;
    let mut p = Params::new();
    p.insert("id".into(), id.into());
    for off in ["include_users", "include_groups", "include_datasets"] {
        p.insert(off.into(), false.into());
    }
    let dict = actions::call(cat, &Actor::Anonymous, action, p).ok()?;
    let org: Organization = serde_json::from_value(dict.clone()).ok()?;
    Some(publisher_from(&org, &dict))
}

/// An organization's publisher facts: its extras (`ten_tieng_anh`, `loai_co_quan`,
/// `ma_dvhc` as the demo loads them, or `title_en`, `type`, `code`), else the national list.
fn publisher_from(org: &Organization, dict: &Value) -> Publisher {
    let extra = |keys: &[&str]| -> Option<String> {
        let extras = dict.get("extras")?.as_array()?;
        keys.iter().find_map(|k| {
            extras
                .iter()
                .find(|e| e.get("key").and_then(Value::as_str) == Some(k))
                .and_then(|e| e.get("value")?.as_str())
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        })
    };
    let national = crate::ap3::places::national_body(&org.name);
    Publisher {
        id: org.id.clone(),
        name: org.name.clone(),
        title: org.title.clone(),
        title_en: extra(&["title_en", "ten_tieng_anh"])
            .or_else(|| national.map(|b| b.title_en.clone())),
        kind: extra(&["type", "loai_co_quan"]).or_else(|| national.map(|b| b.kind.clone())),
        code: extra(&["code", "ma_dvhc"]).or_else(|| national.and_then(|b| b.code.clone())),
        homepage: extra(&["url", "homepage", "website"]),
        email: extra(&["email", "contact_email"]),
    }
}

/// Where the page is: what builds its Hydra links.
pub struct Position<'a> {
    /// Absolute URL of the endpoint (`{site_url}/catalog.ttl`).
    pub endpoint: &'a str,
    pub query: &'a PageQuery,
}

impl Position<'_> {
    /// The URL of page `n` (with a cursor when the walk has one), parameters in a fixed
    /// order and percent-encoded.
    pub fn page_url(&self, n: u64, cursor: Option<&str>) -> String {
        let q = self.query;
        let mut pairs: Vec<(&str, &str)> = vec![];
        for (k, v) in [
            ("modified_since", &q.modified_since),
            ("profiles", &q.profiles),
            ("q", &q.q),
            ("fq", &q.fq),
        ] {
            if let Some(v) = v {
                pairs.push((k, v));
            }
        }
        let page = n.to_string();
        pairs.push(("page", &page));
        if let Some(c) = cursor {
            pairs.push(("cursor", c));
        }
        let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("{}?{}", self.endpoint, encoded)
    }
}

/// What every document is written with: the profile, the portal, where datasets and their
/// publishers are read.
pub struct Writer<'a> {
    pub profile: &'a dyn Profile,
    pub site: &'a Site,
    pub cat: &'a Catalogue,
    pub publishers: &'a PublisherCache,
}

/// Writes a whole catalogue page: the catalogue node, the page's datasets (each flushed to
/// `out` as soon as it is described) and the Hydra node.
pub fn write_page<W: Write>(
    with: &Writer<'_>,
    page: &Page,
    position: &Position<'_>,
    format: Format,
    out: W,
) -> Result<W, Error> {
    let Writer {
        profile,
        site,
        cat,
        publishers,
    } = *with;
    let mut doc = Doc::default();
    let mut writer = RdfWriter::new(format, out);
    let facts = facts(cat)?;
    let catalog = profile.catalog(&mut doc, site, &facts);
    for d in &page.datasets {
        let publisher = publishers.get(cat, d.organization.as_ref());
        let node = profile.dataset(&mut doc, site, d, publisher.as_ref());
        doc.add(&catalog, dcat::DATASET_P, node);
        writer.write(&mut doc.graph)?;
    }
    if page.count > 0 {
        hydra_node(&mut doc, page, position);
    }
    writer.write(&mut doc.graph)?;
    Ok(writer.finish()?)
}

/// ckanext-dcat's paging node: the current page's URL as subject, each link under both
/// Hydra's old and new names, as plain strings.
fn hydra_node(doc: &mut Doc, page: &Page, position: &Position<'_>) {
    let n = position.query.page;
    let per = page.per_page.max(1) as u64;
    let count = page.count as u64;
    let last = count.div_ceil(per).max(1);
    let current = position.page_url(n, position.query.cursor.as_deref());
    let s = NamedNode::new(current)
        .map(NamedOrBlankNode::from)
        .unwrap_or_else(|_| Doc::blank());
    doc.typed(&s, hydra::PAGED_COLLECTION);
    doc.add(
        &s,
        hydra::TOTAL_ITEMS,
        Literal::new_typed_literal(count.to_string(), xsd::INTEGER),
    );
    doc.add(
        &s,
        hydra::ITEMS_PER_PAGE,
        Literal::new_typed_literal(per.to_string(), xsd::INTEGER),
    );
    let mut links = vec![
        (hydra::FIRST, hydra::FIRST_PAGE, position.page_url(1, None)),
        (hydra::LAST, hydra::LAST_PAGE, position.page_url(last, None)),
    ];
    if n > 1 {
        links.push((
            hydra::PREVIOUS,
            hydra::PREVIOUS_PAGE,
            position.page_url((n - 1).min(last), None),
        ));
    }
    // More follow while this page was full and there is a cursor past it.
    if let Some(cursor) = page
        .next_cursor
        .as_deref()
        .filter(|_| page.datasets.len() == page.per_page)
    {
        if n * per < count || position.query.cursor.is_some() {
            links.push((
                hydra::NEXT,
                hydra::NEXT_PAGE,
                position.page_url(n + 1, Some(cursor)),
            ));
        }
    }
    for (new, old, url) in links {
        doc.add(&s, new, Literal::new_simple_literal(url.clone()));
        doc.add(&s, old, Literal::new_simple_literal(url));
    }
}

/// One dataset's document (`/dataset/{id}.ttl`): the dataset and what it points to.
pub fn write_dataset<W: Write>(
    with: &Writer<'_>,
    dataset: &Dataset,
    format: Format,
    out: W,
) -> Result<W, Error> {
    let Writer {
        profile,
        site,
        cat,
        publishers,
    } = *with;
    let mut doc = Doc::default();
    let publisher = publishers.get(cat, dataset.organization.as_ref());
    profile.dataset(&mut doc, site, dataset, publisher.as_ref());
    let mut writer = RdfWriter::new(format, out);
    writer.write(&mut doc.graph)?;
    Ok(writer.finish()?)
}

#[cfg(test)]
mod tests {
    use super::{Cursor, Dataset};

    fn dataset(id: &str, created: &str) -> Dataset {
        Dataset {
            id: id.into(),
            metadata_created: created.into(),
            ..Default::default()
        }
    }

    /// Datasets created at the same microsecond across a page boundary: the cursor carries
    /// every one already sent, and keeps them while the tie goes on.
    #[test]
    fn cursor_carries_ties_across_pages() {
        let first = [
            dataset("a", "2025-01-01T00:00:00.000001"),
            dataset("b", "2025-01-01T00:00:00.000002"),
        ];
        let c = Cursor::after(&first, None).unwrap_or_else(|| panic!("no cursor"));
        assert_eq!(
            c,
            Cursor {
                created: "2025-01-01T00:00:00.000002".into(),
                sent: vec!["b".into()]
            }
        );
        let second = [
            dataset("c", "2025-01-01T00:00:00.000002"),
            dataset("d", "2025-01-01T00:00:00.000002"),
        ];
        let c = Cursor::after(&second, Some(&c)).unwrap_or_else(|| panic!("no cursor"));
        assert_eq!(c.sent, ["b", "c", "d"]);
        let third = [dataset("e", "2025-01-01T00:00:00")];
        let c = Cursor::after(&third, Some(&c)).unwrap_or_else(|| panic!("no cursor"));
        assert_eq!(
            c,
            Cursor {
                created: "2025-01-01T00:00:00".into(),
                sent: vec!["e".into()]
            }
        );
        assert_eq!(Cursor::decode(&c.encode()).ok(), Some(c));
    }

    #[test]
    fn cursors_not_written_here_are_refused() {
        for bad in [
            "",
            "abc",
            "W10",
            "eyJjcmVhdGVkIjoiRFJPUCBUQUJMRSIsInNlbnQiOltdfQ",
        ] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }
}
