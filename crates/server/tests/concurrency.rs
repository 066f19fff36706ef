//! Concurrent writers, on both databases: PostgreSQL runs them side by side (SQLite one after
//! the other), so every race a client can start must end in CKAN's answers, never a 5xx, and
//! leave one writer's whole change stored.

#[macro_use]
mod common;

use common::TestServer;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Writers per race.
const WRITERS: usize = 8;

/// Runs `f(i)` on `n` threads at once (released together) and returns the answers in order.
fn race<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let start = std::sync::Barrier::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (f, start) = (&f, &start);
                s.spawn(move || {
                    start.wait();
                    f(i)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("writer thread"))
            .collect()
    })
}

fn assert_no_5xx(answers: &[(u16, Value)]) {
    for (status, body) in answers {
        assert!(*status < 500, "a writer got HTTP {status}: {body}");
    }
}

both_backends!(
    datasets_sharing_a_new_tag_sqlite,
    datasets_sharing_a_new_tag_postgres,
    |srv| {
        srv.create_org("org-tags");
        let answers: Vec<(u16, Value)> = race(WRITERS, |i| {
            let mut out = vec![];
            for j in 0..5 {
                out.push(srv.post(
                    "package_create",
                    &json!({"name": format!("tagged-{i}-{j}"), "owner_org": "org-tags",
                            "tags": [{"name": "dùng chung"}, {"name": format!("tag-{j}")}]}),
                    srv.admin(),
                ));
            }
            out
        })
        .into_iter()
        .flatten()
        .collect();
        assert_no_5xx(&answers);
        assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
        let tags = srv.ok(srv.get("tag_list", &[], None));
        let names: Vec<&str> = tags
            .as_array()
            .expect("list")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(
            names.iter().filter(|t| **t == "dùng chung").count(),
            1,
            "{names:?}"
        );
        let found = srv.ok(srv.get(
            "package_search",
            &[("fq", "tags:\"dùng chung\""), ("rows", "0")],
            None,
        ));
        assert_eq!(found["count"], json!(WRITERS * 5));
    }
);

both_backends!(
    one_dataset_name_many_creators_sqlite,
    one_dataset_name_many_creators_postgres,
    |srv| {
        srv.create_org("org-names");
        for round in 0..3 {
            let name = format!("cung-ten-{round}");
            let answers = race(WRITERS, |_| {
                srv.post(
                    "package_create",
                    &json!({"name": name, "owner_org": "org-names"}),
                    srv.admin(),
                )
            });
            assert_no_5xx(&answers);
            let winners = answers.iter().filter(|(s, _)| *s == 200).count();
            assert_eq!(winners, 1, "{answers:?}");
            for (status, body) in answers.iter().filter(|(s, _)| *s != 200) {
                assert_eq!(*status, 409, "{body}");
                assert_eq!(
                    body["error"],
                    json!({"name": ["That URL is already in use."], "__type": "Validation Error"})
                );
            }
        }
    }
);

both_backends!(
    one_organization_and_user_name_many_creators_sqlite,
    one_organization_and_user_name_many_creators_postgres,
    |srv| {
        let orgs = race(WRITERS, |_| {
            srv.post(
                "organization_create",
                &json!({"name": "so-moi"}),
                srv.admin(),
            )
        });
        assert_no_5xx(&orgs);
        assert_eq!(
            orgs.iter().filter(|(s, _)| *s == 200).count(),
            1,
            "{orgs:?}"
        );
        for (_, body) in orgs.iter().filter(|(s, _)| *s != 200) {
            assert_eq!(
                body["error"]["name"],
                json!(["Group name already exists in database"])
            );
        }
        let users = race(WRITERS, |i| {
            srv.post(
                "user_create",
                &json!({"name": "cong-dan", "email": format!("u{i}@example.vn"),
                        "password": "mat-khau-dai"}),
                srv.admin(),
            )
        });
        assert_no_5xx(&users);
        assert_eq!(
            users.iter().filter(|(s, _)| *s == 200).count(),
            1,
            "{users:?}"
        );
        for (status, body) in users.iter().filter(|(s, _)| *s != 200) {
            assert_eq!(*status, 409);
            assert_eq!(
                body["error"]["name"],
                json!(["That login name is not available."])
            );
        }
    }
);

both_backends!(
    memberships_set_concurrently_stay_single_sqlite,
    memberships_set_concurrently_stay_single_postgres,
    |srv| {
        srv.create_org("org-members");
        srv.create_user("bien-tap");
        let group = srv.ok(srv.post("group_create", &json!({"name": "nhom-a"}), srv.admin()));
        let ds = srv.create_dataset("ds-members", "org-members");
        let roles = ["member", "editor", "admin"];
        for _round in 0..5 {
            let answers = race(WRITERS, |i| {
                if i % 2 == 0 {
                    srv.post(
                        "organization_member_create",
                        &json!({"id": "org-members", "username": "bien-tap", "role": roles[i % 3]}),
                        srv.admin(),
                    )
                } else {
                    srv.post(
                        "member_create",
                        &json!({"id": "nhom-a", "object": ds["id"], "object_type": "package",
                                "capacity": "public"}),
                        srv.admin(),
                    )
                }
            });
            assert_no_5xx(&answers);
            assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
        }
        let members = srv.ok(srv.get(
            "member_list",
            &[("id", "org-members"), ("object_type", "user")],
            None,
        ));
        let user_entries = members
            .as_array()
            .expect("list")
            .iter()
            .filter(|m| m[0] != json!(srv_admin_id(srv)))
            .count();
        assert_eq!(user_entries, 1, "{members}");
        let in_group = srv.ok(srv.get(
            "member_list",
            &[("id", "nhom-a"), ("object_type", "package")],
            None,
        ));
        assert_eq!(in_group.as_array().map(Vec::len), Some(1), "{in_group}");
        assert_eq!(group["name"], "nhom-a");
    }
);

fn srv_admin_id(srv: &TestServer) -> Value {
    let me = srv.ok(srv.get("user_show", &[("id", "admin")], srv.admin()));
    me["id"].clone()
}

both_backends!(
    resources_added_concurrently_get_distinct_positions_sqlite,
    resources_added_concurrently_get_distinct_positions_postgres,
    |srv| {
        srv.create_org("org-res");
        srv.create_dataset("ds-res", "org-res");
        let answers = race(WRITERS, |i| {
            srv.post(
                "resource_create",
                &json!({"package_id": "ds-res", "url": format!("https://example.vn/{i}.csv"),
                        "name": format!("tệp {i}")}),
                srv.admin(),
            )
        });
        assert_no_5xx(&answers);
        assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
        let ds = srv.ok(srv.get("package_show", &[("id", "ds-res")], srv.admin()));
        let positions: Vec<i64> = ds["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .filter_map(|r| r["position"].as_i64())
            .collect();
        assert_eq!(positions, (0..WRITERS as i64).collect::<Vec<_>>());
        assert_eq!(ds["num_resources"], json!(WRITERS));
    }
);

both_backends!(
    package_updates_racing_on_one_dataset_store_one_whole_update_sqlite,
    package_updates_racing_on_one_dataset_store_one_whole_update_postgres,
    |srv| {
        srv.create_org("org-upd");
        srv.create_dataset("ds-upd", "org-upd");
        for round in 0..5 {
            let answers = race(WRITERS, |i| {
                let mark = format!("w{round}-{i}");
                srv.post(
                    "package_update",
                    &json!({"id": "ds-upd", "name": "ds-upd", "owner_org": "org-upd",
                            "title": format!("Tiêu đề {mark}"), "notes": format!("Mô tả {mark}"),
                            "version": mark, "author": mark,
                            "tags": [{"name": format!("nhan-{mark}")}],
                            "extras": [{"key": "writer", "value": mark}],
                            "resources": [{"url": format!("https://example.vn/{mark}.csv"), "name": mark}]}),
                    srv.admin(),
                )
            });
            assert_no_5xx(&answers);
            assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
            let ds = srv.ok(srv.get("package_show", &[("id", "ds-upd")], srv.admin()));
            let mark = ds["version"].as_str().expect("version").to_string();
            assert_eq!(ds["title"], json!(format!("Tiêu đề {mark}")));
            assert_eq!(ds["notes"], json!(format!("Mô tả {mark}")));
            assert_eq!(ds["author"], json!(mark));
            assert_eq!(ds["tags"][0]["name"], json!(format!("nhan-{mark}")));
            assert_eq!(ds["tags"].as_array().map(Vec::len), Some(1));
            assert_eq!(ds["extras"], json!([{"key": "writer", "value": mark}]));
            assert_eq!(ds["resources"].as_array().map(Vec::len), Some(1));
            assert_eq!(ds["resources"][0]["name"], json!(mark));
        }
    }
);

both_backends!(
    patches_of_different_fields_racing_keep_every_change_sqlite,
    patches_of_different_fields_racing_keep_every_change_postgres,
    |srv| {
        srv.create_org("org-patch");
        srv.create_dataset("ds-patch", "org-patch");
        let fields = [
            "title",
            "notes",
            "version",
            "author",
            "maintainer",
            "url",
            "author_email",
            "maintainer_email",
        ];
        let answers = race(fields.len(), |i| {
            let value = if fields[i].ends_with("email") {
                format!("w{i}@example.vn")
            } else {
                format!("giá trị {i}")
            };
            srv.post(
                "package_patch",
                &json!({"id": "ds-patch", fields[i]: value}),
                srv.admin(),
            )
        });
        assert_no_5xx(&answers);
        assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
        let ds = srv.ok(srv.get("package_show", &[("id", "ds-patch")], srv.admin()));
        let stored: BTreeMap<&str, Value> = fields.iter().map(|f| (*f, ds[*f].clone())).collect();
        for (i, f) in fields.iter().enumerate() {
            assert!(
                stored[f]
                    .as_str()
                    .is_some_and(|v| v.contains(&i.to_string())),
                "the patch of {f} was lost: {stored:?}"
            );
        }
        // And the index answers with the same dataset once it has caught up.
        let found = srv.ok(srv.get("package_search", &[("q", "name:ds-patch")], None));
        assert_eq!(found["results"][0]["version"], ds["version"]);
    }
);

both_backends!(
    groups_and_tags_of_many_writers_are_consistent_sqlite,
    groups_and_tags_of_many_writers_are_consistent_postgres,
    |srv| {
        srv.create_org("org-mix");
        for g in ["nhom-1", "nhom-2"] {
            srv.ok(srv.post("group_create", &json!({"name": g}), srv.admin()));
        }
        let answers: Vec<(u16, Value)> = race(WRITERS, |i| {
            (0..4)
                .map(|j| {
                    srv.post(
                        "package_create",
                        &json!({"name": format!("mix-{i}-{j}"), "owner_org": "org-mix",
                                "groups": [{"name": "nhom-1"}, {"name": "nhom-2"}],
                                "tags": [{"name": format!("chung-{}", j % 2)}]}),
                        srv.admin(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect();
        assert_no_5xx(&answers);
        assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
        let facets = srv.ok(srv.get(
            "package_search",
            &[("rows", "0"), ("facet.field", "[\"groups\",\"tags\"]")],
            None,
        ));
        assert_eq!(
            facets["facets"]["groups"],
            json!({"nhom-1": WRITERS * 4, "nhom-2": WRITERS * 4})
        );
        let tags: BTreeSet<String> = facets["facets"]["tags"]
            .as_object()
            .expect("tags")
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            tags,
            BTreeSet::from(["chung-0".to_string(), "chung-1".to_string()])
        );
    }
);
