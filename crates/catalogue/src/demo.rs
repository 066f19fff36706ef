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

/// Topics of synthetic datasets: what agencies publish, in Vietnamese.
const TOPICS_VI: [&str; 80] = [
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
    "bảo hiểm xã hội",
    "hộ nghèo",
    "tai nạn giao thông",
    "xuất khẩu",
    "nhập khẩu",
    "giá tiêu dùng",
    "thu ngân sách",
    "chi ngân sách",
    "nợ công",
    "trái phiếu",
    "dịch vụ công",
    "thủ tục hành chính",
    "cấp phép xây dựng",
    "quy hoạch",
    "khu công nghiệp",
    "cảng biển",
    "sân bay",
    "đường sắt",
    "xe buýt",
    "chợ",
    "siêu thị",
    "thương mại điện tử",
    "bưu chính",
    "viễn thông",
    "internet",
    "chuyển đổi số",
    "an toàn thông tin",
    "khoa học",
    "sáng chế",
    "thư viện",
    "bảo tàng",
    "di tích",
    "lễ hội",
    "thể thao",
    "trẻ em",
    "người cao tuổi",
    "người khuyết tật",
    "bình đẳng giới",
    "dân tộc thiểu số",
    "tôn giáo",
    "tư pháp",
    "hộ tịch",
    "công chứng",
    "khiếu nại",
    "thanh tra",
    "phòng cháy chữa cháy",
    "thiên tai",
    "lũ lụt",
    "hạn hán",
    "xâm nhập mặn",
    "rác thải",
    "nước thải",
    "tiếng ồn",
    "cây xanh",
    "công viên",
    "nhà ở xã hội",
    "giá đất",
];
/// Topics in English, for the datasets published in English.
const TOPICS_EN: [&str; 30] = [
    "population",
    "schools",
    "hospitals",
    "budget",
    "traffic",
    "agriculture",
    "tourism",
    "businesses",
    "air quality",
    "water supply",
    "electricity",
    "employment",
    "fisheries",
    "forests",
    "land use",
    "housing",
    "exports",
    "imports",
    "prices",
    "public services",
    "ports",
    "airports",
    "railways",
    "buses",
    "libraries",
    "museums",
    "sports",
    "floods",
    "droughts",
    "waste",
];
const FORMATS: [&str; 6] = ["CSV", "XLSX", "JSON", "GeoJSON", "PDF", "XML"];

/// Loads `n` synthetic datasets (each with `resources` resources and `tags` tags) spread over
/// 20 synthetic organizations, in batches written directly to storage (the benchmark needs a
/// million datasets in minutes, not hours); returns how many were created. The rows are what
/// package_create would store, and each dataset gets its change-feed row.
pub fn generate(
    cat: &Catalogue,
    n: usize,
    resources: usize,
    tags: usize,
    mut progress: impl FnMut(usize),
) -> Result<usize> {
    use crate::store::rows::{PackageRow, ResourceRow};
    use crate::store::schema::{package_tags, packages, resources as res_table};
    use diesel::prelude::*;

    // The ministries and provinces of the demo are the publishers (56 organizations).
    let orgs: Vec<Org> = serde_json::from_str(ORGANIZATIONS_JSON)
        .map_err(|e| Error::Internal(format!("demo organizations: {e}")))?;
    let mut publishers: Vec<(String, String)> = vec![];
    for o in &orgs {
        let id = match cat.db.read(|c| load::find_group(c, &o.name, Some(true)))? {
            Some(g) => g.id,
            None => {
                let created = run(
                    cat,
                    "organization_create",
                    json!({"name": o.name, "title": o.title}),
                )?;
                created["id"].as_str().unwrap_or_default().to_string()
            }
        };
        publishers.push((id, o.title.clone()));
    }
    let mut tag_ids = vec![];
    for word in TOPICS_VI.iter().chain(TOPICS_EN.iter()) {
        tag_ids.push(cat.db.write(|c| crate::store::tag_id(c, word))?);
    }
    let existing = cat.db.read(|c| {
        packages::table
            .filter(packages::name.like("bench-%"))
            .count()
            .get_result::<i64>(c)
    })? as usize;
    const BATCH: usize = 1000;
    let mut start = existing;
    while start < n {
        let end = (start + BATCH).min(n);
        let now = crate::now();
        let mut pkgs = vec![];
        let mut res_rows = vec![];
        let mut links = vec![];
        for i in start..end {
            // A cheap deterministic mix, so topics, places and years vary independently.
            let r = (i as u64)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .rotate_left(29);
            let pick = |k: u32, n: usize| ((r >> (k * 8)) as usize) % n;
            let a = TOPICS_VI[pick(0, TOPICS_VI.len())];
            let b = TOPICS_VI[pick(1, TOPICS_VI.len())];
            let e = TOPICS_EN[pick(2, TOPICS_EN.len())];
            let (owner, place) = &publishers[i % publishers.len()];
            let year = 2000 + pick(3, 26);
            let id = crate::new_id();
            let title = if i % 3 == 0 {
                format!("{e} statistics {year} ({i})")
            } else {
                format!("Dữ liệu {a} và {b} – {place}, năm {year}")
            };
            pkgs.push(PackageRow {
                id: id.clone(),
                name: format!("bench-{i:07}"),
                title: Some(title),
                type_: "dataset".into(),
                state: "active".into(),
                private: i % 50 == 0,
                owner_org: Some(owner.clone()),
                author: Some("Phòng Thống kê".into()),
                author_email: Some("thongke@example.gov.vn".into()),
                maintainer: None,
                maintainer_email: None,
                license_id: Some(if i % 2 == 0 { "vn-open-data" } else { "cc-by" }.into()),
                notes: Some(format!(
                    "Số liệu về {a}, {b} do {place} công bố, cập nhật hằng năm. Statistics about {e}."
                )),
                url: None,
                version: None,
                creator_user_id: None,
                metadata_created: now,
                metadata_modified: now,
                extras: json!([{"key": "nam_du_lieu", "value": year.to_string()}])
                    .to_string(),
            });
            for r in 0..resources {
                let f = FORMATS[(i + r) % FORMATS.len()];
                res_rows.push(ResourceRow {
                    id: crate::new_id(),
                    package_id: id.clone(),
                    position: r as i32,
                    url: format!("https://data.example.gov.vn/{i}/{r}.{}", f.to_lowercase()),
                    name: Some(format!("Tệp {r} – {a}")),
                    description: Some(format!("Bảng số liệu {b}")),
                    format: Some(f.into()),
                    mimetype: None,
                    mimetype_inner: None,
                    hash: String::new(),
                    size: None,
                    last_modified: None,
                    cache_url: None,
                    cache_last_updated: None,
                    resource_type: None,
                    url_type: None,
                    created: now,
                    metadata_modified: Some(now),
                    extras: "{}".into(),
                });
            }
            // The dataset's own topics first, then a spread over the vocabulary.
            let mut chosen: Vec<&String> = [pick(0, TOPICS_VI.len()), pick(1, TOPICS_VI.len())]
                .into_iter()
                .chain((2..tags).map(|t| (i + t * 7) % tag_ids.len()))
                .take(tags)
                .map(|k| &tag_ids[k])
                .collect();
            chosen.sort();
            chosen.dedup();
            links.extend(chosen.into_iter().map(|t| {
                (
                    package_tags::package_id.eq(id.clone()),
                    package_tags::tag_id.eq(t.clone()),
                )
            }));
        }
        cat.db.write(|c| {
            for chunk in pkgs.chunks(500) {
                crate::per_backend!(c, cc => diesel::insert_into(packages::table).values(chunk).execute(cc))?;
            }
            for chunk in res_rows.chunks(500) {
                crate::per_backend!(c, cc => diesel::insert_into(res_table::table).values(chunk).execute(cc))?;
            }
            for chunk in links.chunks(2000) {
                crate::per_backend!(c, cc => diesel::insert_into(package_tags::table).values(chunk).execute(cc))?;
            }
            let ids: Vec<String> = pkgs.iter().map(|p| p.id.clone()).collect();
            crate::feed::append_all(c, &ids, crate::feed::ChangeKind::Changed)?;
            Ok::<_, Error>(())
        })?;
        progress(end);
        start = end;
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
