"""Cổng driven by the real Python CKAN client, ckanapi 4.11.

Everything here goes through ckanapi exactly as an agency's script would: RemoteCKAN for
the Python API (every call is a POST to /api/action/NAME with a JSON body), and the
`ckanapi` command line for `action`, `dump` and `load`. The assertions are about what such
a user sees: the dicts ckanapi returns and the exceptions it raises.
"""

import hashlib
import json
import os
import re
from datetime import datetime

import pytest
import requests
from ckanapi import NotAuthorized, NotFound, ValidationError

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?$")  # CKAN's naive UTC


# --- reading the dicts ckanapi returns ---------------------------------------------------


def tag_names(pkg):
    return [tag["name"] for tag in pkg["tags"]]


def extras(pkg):
    return {extra["key"]: extra["value"] for extra in pkg["extras"]}


def group_names(pkg):
    return sorted(group["name"] for group in pkg["groups"])


def resource_summary(pkg):
    return [(res["name"], res["url"], res["format"]) for res in pkg["resources"]]


def modified(pkg):
    return datetime.fromisoformat(pkg["metadata_modified"])


# --- test data -----------------------------------------------------------------------------


def dataset_fields(name, organization, group=None):
    """package_create arguments for a realistic dataset with tags, extras and two resources."""
    fields = {
        "name": name,
        "title": "Chất lượng không khí Hà Nội",
        "notes": "Chỉ số **AQI** theo giờ tại các trạm quan trắc.",
        "owner_org": organization["name"],
        "license_id": "cc-by",
        "url": "https://example.gov.vn/aqi",
        "version": "1.0",
        "author": "Phòng Quan trắc",
        "author_email": "quantrac@example.gov.vn",
        "tags": [{"name": "quan-trac"}, {"name": "không khí"}, {"name": "aqi"}],
        "extras": [
            {"key": "tan_suat", "value": "hang-gio"},
            {"key": "pham_vi", "value": "Hà Nội"},
        ],
        "resources": [
            {
                "name": "AQI theo giờ",
                "url": "https://example.gov.vn/aqi.csv",
                "format": "CSV",
                "description": "Một dòng cho mỗi trạm và mỗi giờ.",
            },
            {"name": "Danh sách trạm", "url": "https://example.gov.vn/tram.json", "format": "JSON"},
        ],
    }
    if group is not None:
        fields["groups"] = [{"name": group["name"]}]
    return fields


@pytest.fixture
def dataset(ckan, organization, group, unique):
    """A fresh public dataset on the shared server, as package_create returned it."""
    return ckan.action.package_create(**dataset_fields(unique("aqi"), organization, group))


# --- the CLI-made sysadmin ------------------------------------------------------------------


def test_sysadmin_made_with_the_cli_can_use_the_api(server, ckan):
    me = ckan.action.user_show(id="admin")
    assert me["id"] == server.admin_id
    assert me["name"] == "admin"
    assert me["sysadmin"] is True
    assert ckan.action.status_show()["site_url"]


# --- organizations and groups ---------------------------------------------------------------


def test_organization_and_group_create(ckan, anonymous, unique):
    org = ckan.action.organization_create(
        name=unique("so-y-te"), title="Sở Y tế", description="Cơ quan chuyên môn thuộc UBND tỉnh"
    )
    assert org["title"] == "Sở Y tế"
    assert org["description"] == "Cơ quan chuyên môn thuộc UBND tỉnh"
    assert org["is_organization"] is True
    assert org["type"] == "organization"
    assert org["state"] == "active"
    assert anonymous.action.organization_show(id=org["name"])["id"] == org["id"]
    assert org["name"] in anonymous.action.organization_list()

    grp = ckan.action.group_create(name=unique("y-te"), title="Y tế")
    assert grp["title"] == "Y tế"
    assert grp["is_organization"] is False
    assert grp["type"] == "group"
    assert anonymous.action.group_show(id=grp["name"])["id"] == grp["id"]
    assert grp["name"] in anonymous.action.group_list()


# --- datasets -------------------------------------------------------------------------------


def test_package_create_then_show_by_name_and_id(ckan, anonymous, organization, group, unique):
    name = unique("aqi")
    created = ckan.action.package_create(**dataset_fields(name, organization, group))

    assert created["name"] == name
    assert created["title"] == "Chất lượng không khí Hà Nội"
    assert created["notes"] == "Chỉ số **AQI** theo giờ tại các trạm quan trắc."
    assert created["type"] == "dataset"
    assert created["state"] == "active"
    assert created["private"] is False
    assert created["license_id"] == "cc-by"
    assert created["owner_org"] == organization["id"]
    assert created["organization"]["name"] == organization["name"]
    assert tag_names(created) == ["aqi", "không khí", "quan-trac"]  # sorted by name
    assert extras(created) == {"tan_suat": "hang-gio", "pham_vi": "Hà Nội"}
    assert group_names(created) == [group["name"]]
    assert resource_summary(created) == [
        ("AQI theo giờ", "https://example.gov.vn/aqi.csv", "CSV"),
        ("Danh sách trạm", "https://example.gov.vn/tram.json", "JSON"),
    ]
    assert [res["position"] for res in created["resources"]] == [0, 1]
    assert {res["package_id"] for res in created["resources"]} == {created["id"]}
    assert created["num_resources"] == 2
    assert created["num_tags"] == 3
    assert TIMESTAMP.match(created["metadata_created"]), created["metadata_created"]
    assert TIMESTAMP.match(created["metadata_modified"]), created["metadata_modified"]

    assert ckan.action.package_show(id=name) == created
    assert ckan.action.package_show(id=created["id"]) == created
    assert anonymous.action.package_show(id=name) == created
    assert name in anonymous.action.package_list()


def test_package_update_replaces_the_dataset(ckan, dataset):
    pkg = ckan.action.package_show(id=dataset["name"])
    pkg["title"] = "Chất lượng không khí Hà Nội (đã sửa)"
    pkg["tags"] = [{"name": "aqi"}, {"name": "ô nhiễm"}]
    pkg["extras"] = [{"key": "tan_suat", "value": "hang-ngay"}]
    del pkg["notes"]  # package_update replaces the whole dataset: a field left out is cleared

    updated = ckan.action.package_update(**pkg)

    assert updated["id"] == dataset["id"]
    assert updated["name"] == dataset["name"]
    assert updated["title"] == "Chất lượng không khí Hà Nội (đã sửa)"
    assert updated["notes"] is None
    assert tag_names(updated) == ["aqi", "ô nhiễm"]
    assert extras(updated) == {"tan_suat": "hang-ngay"}
    assert resource_summary(updated) == resource_summary(dataset)
    assert group_names(updated) == group_names(dataset)
    assert updated["organization"]["name"] == dataset["organization"]["name"]
    assert modified(updated) > modified(dataset)
    assert ckan.action.package_show(id=dataset["id"]) == updated


def test_package_patch_changes_only_what_is_given(ckan, dataset):
    patched = ckan.action.package_patch(id=dataset["id"], title="Tiêu đề mới")

    assert patched["title"] == "Tiêu đề mới"
    for key in ("id", "name", "notes", "url", "version", "author", "author_email", "license_id", "owner_org"):
        assert patched[key] == dataset[key], key
    assert tag_names(patched) == tag_names(dataset)
    assert extras(patched) == extras(dataset)
    assert group_names(patched) == group_names(dataset)
    assert resource_summary(patched) == resource_summary(dataset)
    assert modified(patched) > modified(dataset)
    assert ckan.action.package_show(id=dataset["name"]) == patched

    # a list that is given replaces the whole list
    retagged = ckan.action.package_patch(id=dataset["name"], tags=[{"name": "moi-truong"}])
    assert tag_names(retagged) == ["moi-truong"]
    assert retagged["title"] == "Tiêu đề mới"
    assert resource_summary(retagged) == resource_summary(dataset)


# --- resources ------------------------------------------------------------------------------


def test_resource_create_patch_delete(ckan, dataset):
    created = ckan.action.resource_create(
        package_id=dataset["name"],
        name="Số liệu năm 2025",
        url="https://example.gov.vn/aqi-2025.csv",
        format="csv",
        ma_bang="B01",  # an extra key, returned at the top level as CKAN does
    )
    assert created["package_id"] == dataset["id"]
    assert created["name"] == "Số liệu năm 2025"
    assert created["url"] == "https://example.gov.vn/aqi-2025.csv"
    assert created["format"] == "CSV"
    assert created["position"] == 2  # appended after the dataset's two resources
    assert created["ma_bang"] == "B01"
    assert ckan.action.resource_show(id=created["id"]) == created
    pkg = ckan.action.package_show(id=dataset["id"])
    assert [res["id"] for res in pkg["resources"]][-1] == created["id"]
    assert pkg["num_resources"] == 3

    patched = ckan.action.resource_patch(id=created["id"], description="Đã hiệu chỉnh")
    assert patched["description"] == "Đã hiệu chỉnh"
    for key in ("id", "name", "url", "format", "ma_bang", "package_id"):
        assert patched[key] == created[key], key

    first = dataset["resources"][0]
    assert ckan.action.resource_delete(id=first["id"]) is None
    pkg = ckan.action.package_show(id=dataset["id"])
    assert [res["name"] for res in pkg["resources"]] == ["Danh sách trạm", "Số liệu năm 2025"]
    assert [res["position"] for res in pkg["resources"]] == [0, 1]
    with pytest.raises(NotFound):
        ckan.action.resource_show(id=first["id"])


# --- uploaded files -------------------------------------------------------------------------


def download(url, **headers):
    """GET a download URL the way a browser or curl would (no ckanapi involved)."""
    response = requests.get(url, headers=headers, timeout=60)
    assert response.status_code == 200, f"GET {url}: HTTP {response.status_code} {response.text[:200]}"
    return response


def test_ckanapi_upload_then_download_byte_for_byte(ckan, dataset, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "Báo cáo chất lượng.csv"
    path.write_bytes(data)
    with open(path, "rb") as upload:
        created = ckan.action.resource_create(
            package_id=dataset["id"], name="Tệp tải lên", description="Tệp gốc", upload=upload
        )
    assert created["url_type"] == "upload"
    assert created["url"].endswith(
        f"/dataset/{dataset['id']}/resource/{created['id']}/download/bao-cao-chat-luong.csv"
    ), created["url"]
    assert created["name"] == "Tệp tải lên"
    assert created["size"] == len(data)
    assert created["hash"] == hashlib.sha256(data).hexdigest()
    assert created["format"] == "CSV"
    assert TIMESTAMP.match(created["last_modified"])
    assert [v["version"] for v in created["versions"]] == [1]
    assert ckan.action.resource_show(id=created["id"]) == created
    pkg = ckan.action.package_show(id=dataset["id"])
    assert pkg["resources"][-1] == created

    response = download(created["url"])  # open data: no login
    assert response.content == data
    assert response.headers["Content-Length"] == str(len(data))
    assert response.headers["ETag"] == f'"{created["hash"]}"'
    assert 'filename="bao-cao-chat-luong.csv"' in response.headers["Content-Disposition"]
    tail = requests.get(created["url"], headers={"Range": "bytes=-1000"}, timeout=60)
    assert tail.status_code == 206 and tail.content == data[-1000:]


def test_ckanapi_patch_with_a_new_upload_keeps_version_one(ckan, dataset, tmp_path):
    first = "ma_tinh,ten_tinh\n01,Hà Nội\n79,Hồ Chí Minh\n".encode("utf-8")
    second = os.urandom(300_000)
    (tmp_path / "tinh.csv").write_bytes(first)
    (tmp_path / "tinh-2025.bin").write_bytes(second)
    with open(tmp_path / "tinh.csv", "rb") as upload:
        created = ckan.action.resource_create(package_id=dataset["name"], name="Danh mục tỉnh", upload=upload)
    assert created["mimetype"] == "text/csv"
    with open(tmp_path / "tinh-2025.bin", "rb") as upload:
        patched = ckan.action.resource_patch(id=created["id"], upload=upload)
    assert patched["name"] == "Danh mục tỉnh"  # patch keeps what it was not given
    assert patched["size"] == len(second)
    assert patched["hash"] == hashlib.sha256(second).hexdigest()
    assert patched["url"].endswith("/download/tinh-2025.bin")
    versions = patched["versions"]
    assert [(v["version"], v["filename"], v["size"]) for v in versions] == [
        (1, "tinh.csv", len(first)),
        (2, "tinh-2025.bin", len(second)),
    ]
    assert versions[0]["hash"] == hashlib.sha256(first).hexdigest()
    assert download(patched["url"]).content == second
    old = download(patched["url"] + "?version=1")
    assert old.content == first
    assert old.headers["Content-Type"].startswith("text/csv")
    assert download(created["url"] + "?version=2").content == second

    # resource_delete takes every version with it.
    assert ckan.action.resource_delete(id=created["id"]) is None
    gone = requests.get(patched["url"] + "?version=1", timeout=60)
    assert gone.status_code == 404


# --- delete and purge -----------------------------------------------------------------------


def test_package_delete_hides_the_dataset_from_everyone_but_sysadmins(ckan, anonymous, dataset):
    assert ckan.action.package_delete(id=dataset["id"]) is None

    shown = ckan.action.package_show(id=dataset["id"])
    assert shown["state"] == "deleted"
    assert shown["name"] == dataset["name"]
    with pytest.raises(NotAuthorized):
        anonymous.action.package_show(id=dataset["id"])
    assert dataset["name"] not in anonymous.action.package_list()
    assert dataset["name"] not in ckan.action.package_list()


def test_dataset_purge_removes_it_for_good(ckan, anonymous, dataset):
    assert ckan.action.dataset_purge(id=dataset["id"]) is None

    for client in (ckan, anonymous):
        for key in ("id", "name"):
            with pytest.raises(NotFound):
                client.action.package_show(id=dataset[key])


def test_unknown_dataset_is_not_found(ckan, anonymous):
    for client in (ckan, anonymous):
        with pytest.raises(NotFound):
            client.action.package_show(id="khong-co-bo-du-lieu-nay")


# --- errors ---------------------------------------------------------------------------------


def test_invalid_dataset_raises_validation_error_per_field(ckan, organization, dataset, unique):
    with pytest.raises(ValidationError) as raised:
        ckan.action.package_create(name="Dữ liệu sai!", title="Tên không hợp lệ")
    errors = raised.value.error_dict
    assert errors["__type"] == "Validation Error"
    assert set(errors) - {"__type"} == {"name", "owner_org"}
    assert errors["name"] == [
        "Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_"
    ]
    assert errors["owner_org"] == ["An organization must be provided"]

    with pytest.raises(ValidationError) as raised:
        ckan.action.package_create(title="Không có tên", owner_org=organization["name"])
    assert set(raised.value.error_dict) - {"__type"} == {"name"}
    assert raised.value.error_dict["name"] == ["Missing value"]

    # a taken name is refused, and the dataset that has it is left alone
    with pytest.raises(ValidationError) as raised:
        ckan.action.package_create(name=dataset["name"], title="Bản sao", owner_org=organization["name"])
    assert set(raised.value.error_dict) - {"__type"} == {"name"}
    assert raised.value.error_dict["name"] == ["That URL is already in use."]
    assert ckan.action.package_show(id=dataset["name"]) == dataset


def test_anonymous_cannot_create(anonymous, ckan, organization, unique):
    name = unique("an-danh")
    with pytest.raises(NotAuthorized):
        anonymous.action.package_create(**dataset_fields(name, organization))
    with pytest.raises(NotAuthorized):
        anonymous.action.organization_create(name=unique("to-chuc"), title="Tổ chức")
    with pytest.raises(NotFound):
        ckan.action.package_show(id=name)


def test_an_unknown_token_acts_as_anonymous(server, organization, dataset, unique):
    stranger = server.client(apikey="khong-phai-ma-that")
    assert stranger.action.package_show(id=dataset["name"])["id"] == dataset["id"]
    with pytest.raises(NotAuthorized):
        stranger.action.package_create(**dataset_fields(unique("la"), organization))


# --- users and API tokens -------------------------------------------------------------------


def test_new_user_works_with_its_api_token(server, ckan, organization, unique):
    name = unique("can-bo")
    user = ckan.action.user_create(
        name=name, email=f"{name}@example.gov.vn", password="mat-khau-du-dai", fullname="Nguyễn Văn An"
    )
    assert user["name"] == name
    assert user["fullname"] == "Nguyễn Văn An"
    assert user["sysadmin"] is False
    assert "password" not in user

    token = ckan.action.api_token_create(user=name, name="compat")["token"]
    officer = server.client(apikey=token)

    with pytest.raises(NotAuthorized):  # only sysadmins create organizations
        officer.action.organization_create(name=unique("to-chuc"), title="Tổ chức")

    ckan.action.organization_member_create(id=organization["name"], username=name, role="editor")
    created = officer.action.package_create(**dataset_fields(unique("cua-can-bo"), organization))
    assert created["creator_user_id"] == user["id"]
    assert created["owner_org"] == organization["id"]

    ckan.action.api_token_revoke(token=token)
    with pytest.raises(NotAuthorized):  # a revoked token is nobody's
        officer.action.package_patch(id=created["id"], title="Sau khi thu hồi")
    assert ckan.action.package_show(id=created["id"])["title"] == created["title"]


# --- the ckanapi command line -----------------------------------------------------------------


def test_cli_action_create_and_show(server, ckanapi_cli, organization, unique):
    name = unique("dong-lenh")
    done = ckanapi_cli(
        "action", "package_create", "-r", server.url, "-a", server.token,
        f"name={name}",
        "title=Tạo bằng dòng lệnh",
        f"owner_org={organization['name']}",
        'tags:[{"name": "ckanapi"}]',
        'extras:[{"key": "nguon", "value": "dong-lenh"}]',
        'resources:[{"name": "Bảng", "url": "https://example.gov.vn/bang.csv", "format": "CSV"}]',
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    assert created["name"] == name
    assert created["title"] == "Tạo bằng dòng lệnh"
    assert created["organization"]["name"] == organization["name"]
    assert tag_names(created) == ["ckanapi"]
    assert extras(created) == {"nguon": "dong-lenh"}
    assert resource_summary(created) == [("Bảng", "https://example.gov.vn/bang.csv", "CSV")]

    # anonymous reads, by POST (ckanapi's default) and by GET (-g)
    for extra in ([], ["-g"]):
        shown = ckanapi_cli("action", "package_show", f"id={name}", "-r", server.url, *extra)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout) == created

    listed = ckanapi_cli("action", "package_list", "-r", server.url, "-j")
    assert listed.returncode == 0, listed.stderr
    assert name in json.loads(listed.stdout)


def test_cli_action_reports_errors(server, ckanapi_cli, organization, unique):
    missing = ckanapi_cli("action", "package_show", "id=khong-co-bo-du-lieu-nay", "-r", server.url)
    assert missing.returncode != 0
    assert "NotFound" in missing.stderr

    name = unique("khong-quyen")
    refused = ckanapi_cli(
        "action", "package_create", "-r", server.url, f"name={name}", f"owner_org={organization['name']}"
    )
    assert refused.returncode != 0
    assert "NotAuthorized" in refused.stderr


# --- dump from one Cổng, load into another ----------------------------------------------------


def school_datasets(org, grp):
    """Five datasets for the round trip: 1-3 resources each, tags, extras, most in a group."""
    districts = [
        ("ba-dinh", "Ba Đình"),
        ("hoan-kiem", "Hoàn Kiếm"),
        ("tay-ho", "Tây Hồ"),
        ("long-bien", "Long Biên"),
        ("cau-giay", "Cầu Giấy"),
    ]
    for i, (slug, district) in enumerate(districts):
        yield {
            "name": f"truong-hoc-{slug}",
            "title": f"Danh sách trường học quận {district}",
            "notes": f"Trường mầm non, tiểu học và trung học cơ sở tại quận {district}.",
            "owner_org": org["name"],
            "license_id": "cc-by" if i % 2 == 0 else "odc-by",
            "url": f"https://example.gov.vn/truong-hoc/{slug}",
            "version": f"2025.{i}",
            "author": "Phòng Thống kê",
            "author_email": "thongke@example.gov.vn",
            "tags": [{"name": "giáo dục"}, {"name": "trường học"}, {"name": slug}],
            "extras": [
                {"key": "ma_don_vi", "value": f"HN-{i:02d}"},
                {"key": "tan_suat", "value": "hang-nam"},
            ],
            "groups": [{"name": grp["name"]}] if i < 4 else [],
            "resources": [
                {
                    "name": f"Danh sách năm {2023 + j}",
                    "url": f"https://example.gov.vn/truong-hoc/{slug}/{2023 + j}.csv",
                    "format": "CSV",
                    "description": f"Số liệu năm học {2023 + j}–{2024 + j}.",
                    "ma_bang": f"B{j:02d}",
                }
                for j in range(i % 3 + 1)
            ],
        }


def comparable(pkg):
    """A dataset as a reader sees it, less what a copy may change (timestamps, creator).

    The id stays: a sysadmin's package_create keeps the id it is given, so a load keeps it.
    """
    kept = ("id", "name", "title", "notes", "url", "version", "author", "author_email", "maintainer",
            "maintainer_email", "license_id", "private", "state", "type", "owner_org")  # fmt: skip
    return {
        **{key: pkg[key] for key in kept},
        "organization": pkg["organization"]["name"],
        "groups": group_names(pkg),
        "tags": tag_names(pkg),
        "extras": extras(pkg),
        "resources": [
            {key: res.get(key) for key in ("name", "url", "format", "description", "ma_bang")}
            for res in pkg["resources"]
        ],
    }


def test_dump_then_load_into_an_empty_portal(servers, ckanapi_cli, tmp_path):
    source = servers.start("dump-source")
    target = servers.start("load-target", accounts_first=False)  # sysadmin made while serving
    src, tgt = source.client(), target.client()

    org = src.action.organization_create(
        name="so-gd-dt-ha-noi", title="Sở Giáo dục và Đào tạo Hà Nội", description="Quản lý giáo dục"
    )
    grp = src.action.group_create(name="giao-duc", title="Giáo dục", description="Chủ đề giáo dục")
    originals = [src.action.package_create(**fields) for fields in school_datasets(org, grp)]
    names = sorted(pkg["name"] for pkg in originals)
    assert src.action.package_list() == names

    dump = tmp_path / "datasets.jsonl"
    dumped = ckanapi_cli("dump", "datasets", "--all", "-O", str(dump), "-r", source.url, "-a", source.token)
    assert dumped.returncode == 0, dumped.stderr
    records = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines()]
    assert sorted(record["name"] for record in records) == names
    for record in records:  # the dump holds package_show's dicts, as they are
        assert record == src.action.package_show(id=record["id"])

    assert tgt.action.package_list() == []
    assert tgt.action.organization_list() == []
    assert tgt.action.group_list() == []
    # The dumped datasets name their organization and groups by id, so the target needs them
    # under the same ids: as in CKAN, a sysadmin may give the id when creating them.
    for create, original in ((tgt.action.organization_create, org), (tgt.action.group_create, grp)):
        fields = {key: original[key] for key in ("id", "name", "title", "description")}
        copy = create(**fields)
        assert copy["id"] == original["id"], f"{copy['type']}_create dropped the id a sysadmin gave"

    def load():
        loaded = ckanapi_cli("load", "datasets", "-I", str(dump), "-r", target.url, "-a", target.token)
        assert loaded.returncode == 0, loaded.stderr  # 3 when any record failed
        assert tgt.action.package_list() == names
        for original in originals:
            copy = tgt.action.package_show(id=original["name"])
            shown = src.action.package_show(id=original["name"])
            assert comparable(copy) == comparable(shown)
            assert sorted(copy) == sorted(shown)  # the same keys

    load()  # into the empty target: package_show finds nothing, so package_create
    load()  # again: package_show finds each dataset, so package_update, and nothing changes
