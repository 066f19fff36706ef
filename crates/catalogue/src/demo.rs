//! The demo catalogue (`cong demo`, `serve --demo`): Vietnam's ministries and the 34
//! province-level units of 2025 as organizations, the national theme groups, and a few dozen
//! datasets. Loading is idempotent: what exists already is left alone. Also the synthetic
//! catalogue for benchmarks (`cong generate`).

use crate::actions::{self, load};
use crate::actor::Actor;
use crate::error::{Error, Result};
use crate::Catalogue;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The ministries and provinces of 2025 with the units merged into each
/// (shared/fixtures/vn/organizations.json): the demo's organizations and search's aliases.
pub const ORGANIZATIONS_JSON: &str = include_str!("../demo/organizations.json");

#[derive(Deserialize)]
struct Org {
    name: String,
    title: String,
    title_en: String,
    #[serde(rename = "type")]
    kind: String,
    code: Option<String>,
    #[serde(default)]
    merged_from: Vec<String>,
}

#[derive(Deserialize)]
struct Group {
    name: String,
    title: String,
    title_en: String,
}

/// What `load_demo` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DemoReport {
    pub organizations: usize,
    pub groups: usize,
    pub datasets: usize,
}

fn run(cat: &Catalogue, action: &str, params: Value) -> Result<Value> {
    let a = actions::find(action).ok_or_else(|| Error::Internal(format!("no action {action}")))?;
    let Value::Object(p) = params else {
        return Err(Error::Internal("params must be an object".into()));
    };
    actions::call(cat, &Actor::System, a, p)
}

fn exists_group(cat: &Catalogue, name: &str) -> Result<bool> {
    Ok(cat.db.read(|c| load::find_group(c, name, None))?.is_some())
}

/// Loads whatever part of the demo catalogue is missing.
pub fn load_demo(cat: &Catalogue) -> Result<DemoReport> {
    let orgs: Vec<Org> = serde_json::from_str(ORGANIZATIONS_JSON)
        .map_err(|e| Error::Internal(format!("demo organizations: {e}")))?;
    let groups: Vec<Group> = serde_json::from_str(include_str!("../demo/groups.json"))
        .map_err(|e| Error::Internal(format!("demo groups: {e}")))?;
    let datasets: Vec<Map<String, Value>> =
        serde_json::from_str(include_str!("../demo/datasets.json"))
            .map_err(|e| Error::Internal(format!("demo datasets: {e}")))?;
    let mut report = DemoReport::default();
    for o in orgs {
        if exists_group(cat, &o.name)? {
            continue;
        }
        let mut extras = vec![
            json!({"key": "loai_co_quan", "value": o.kind}),
            json!({"key": "ten_tieng_anh", "value": o.title_en}),
        ];
        if let Some(code) = o.code {
            extras.push(json!({"key": "ma_dvhc", "value": code}));
        }
        if !o.merged_from.is_empty() {
            extras.push(json!({"key": "hop_nhat_tu", "value": o.merged_from.join("; ")}));
        }
        run(
            cat,
            "organization_create",
            json!({"name": o.name, "title": o.title, "description": o.title_en, "extras": extras}),
        )?;
        report.organizations += 1;
    }
    for g in groups {
        if exists_group(cat, &g.name)? {
            continue;
        }
        run(
            cat,
            "group_create",
            json!({"name": g.name, "title": g.title, "description": g.title_en}),
        )?;
        report.groups += 1;
    }
    for d in datasets {
        let name = d
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if cat.db.read(|c| load::find_package(c, &name))?.is_some() {
            continue;
        }
        run(cat, "package_create", Value::Object(d))?;
        report.datasets += 1;
    }
    Ok(report)
}

const WORDS_VI: [&str; 24] = [
    "dân số",
    "trường học",
    "bệnh viện",
    "ngân sách",
    "giao thông",
    "nông nghiệp",
    "lúa gạo",
    "du lịch",
    "doanh nghiệp",
    "chất lượng không khí",
    "nước sạch",
    "điện năng",
    "đầu tư công",
    "lao động",
    "việc làm",
    "thủy sản",
    "rừng",
    "đất đai",
    "xây dựng",
    "y tế",
    "giáo dục",
    "khí tượng",
    "thủy văn",
    "bảo hiểm",
];
const WORDS_EN: [&str; 12] = [
    "population",
    "schools",
    "hospitals",
    "budget",
    "traffic",
    "agriculture",
    "tourism",
    "businesses",
    "air quality",
    "water",
    "electricity",
    "employment",
];
const FORMATS: [&str; 6] = ["CSV", "XLSX", "JSON", "GeoJSON", "PDF", "XML"];

/// Loads `n` synthetic datasets (each with `resources` resources and `tags` tags) spread over
/// a few synthetic organizations; returns how many were created.
pub fn generate(
    cat: &Catalogue,
    n: usize,
    resources: usize,
    tags: usize,
    mut progress: impl FnMut(usize),
) -> Result<usize> {
    let orgs: Vec<String> = (0..20).map(|i| format!("bench-org-{i:02}")).collect();
    for (i, o) in orgs.iter().enumerate() {
        if !exists_group(cat, o)? {
            run(
                cat,
                "organization_create",
                json!({"name": o, "title": format!("Sở dữ liệu số {i}")}),
            )?;
        }
    }
    let existing: usize = cat.db.read(|c| {
        use crate::store::schema::packages;
        use diesel::prelude::*;
        packages::table
            .filter(packages::name.like("bench-%"))
            .count()
            .get_result::<i64>(c)
    })? as usize;
    for i in existing..n {
        let a = WORDS_VI[i % WORDS_VI.len()];
        let b = WORDS_VI[(i / 7 + 3) % WORDS_VI.len()];
        let e = WORDS_EN[i % WORDS_EN.len()];
        let title = if i % 3 == 0 {
            format!("{e} statistics {i}")
        } else {
            format!("Dữ liệu {a} và {b} năm {}", 2000 + i % 26)
        };
        let res: Vec<Value> = (0..resources)
            .map(|r| {
                let f = FORMATS[(i + r) % FORMATS.len()];
                json!({"name": format!("Tệp {r} – {a}"), "url": format!("https://data.example.gov.vn/{i}/{r}.{}", f.to_lowercase()), "format": f, "description": format!("Bảng số liệu {b}")})
            })
            .collect();
        let tag_list: Vec<Value> = (0..tags)
            .map(|t| json!({"name": WORDS_VI[(i + t * 5) % WORDS_VI.len()]}))
            .collect();
        run(
            cat,
            "package_create",
            json!({
                "name": format!("bench-{i:07}"),
                "title": title,
                "notes": format!("Số liệu {a} của tỉnh, cập nhật hằng năm. Statistics about {e}."),
                "owner_org": orgs[i % orgs.len()],
                "license_id": if i % 2 == 0 { "vn-open-data" } else { "cc-by" },
                "resources": res,
                "tags": tag_list,
                "extras": [{"key": "nam_du_lieu", "value": (2000 + i % 26).to_string()}],
            }),
        )?;
        progress(i + 1);
    }
    Ok(n.saturating_sub(existing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_loads_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/demo.db", dir.path().display());
        let cat = Catalogue::open(&url, crate::Config::default()).expect("open");
        let first = load_demo(&cat).expect("first load");
        assert_eq!(first.organizations, 56);
        assert_eq!(first.groups, 12);
        assert!(first.datasets >= 30, "only {} datasets", first.datasets);
        assert_eq!(load_demo(&cat).expect("second load"), DemoReport::default());
        let hcm = run(&cat, "organization_show", json!({"id": "ho-chi-minh"})).expect("show");
        assert_eq!(hcm["title"], "Thành phố Hồ Chí Minh");
    }
}
