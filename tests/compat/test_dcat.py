"""DCAT-AP 3 export checked as the aggregators check it.

- The official DCAT-AP 3.0.1 SHACL shapes (data/dcat-ap-3.0.1, from SEMICeu/DCAT-AP) run with
  pyshacl on the demo catalogue and on datasets made through the API with every field a
  publisher can fill, odd values included: zero violations, in both validations the shapes'
  README gives (mandatory shapes with the range shapes as extra graph, and range alone).
- Every format parses with rdflib to the same triples.
- A walk of ckanext-dcat's Hydra `next` links reads every public dataset exactly once.
- ckanext-dcat 2.4.4's own RDF parser (what its harvester runs) reads the catalogue: every page,
  every dataset, the fields a harvester copies.
"""

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Namespace
from rdflib.namespace import DCAT, DCTERMS, RDF

HERE = Path(__file__).resolve().parent
SHAPES = HERE / "data" / "dcat-ap-3.0.1"
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
FORMATS = {"ttl": "turtle", "rdf": "xml", "xml": "xml", "jsonld": "json-ld", "n3": "n3", "nt": "nt"}


def fetch(url, accept=None):
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


def graph(url, rdflib_format="turtle"):
    status, _, body = fetch(url)
    assert status == 200
    g = Graph()
    g.parse(data=body, format=rdflib_format, publicID=url)
    return g


def walk(base, path="/catalog.ttl"):
    """Every page from `path` following hydra:next; returns the merged graph and the
    identifiers in the order read."""
    merged, seen, url, pages = Graph(), [], f"{base}{path}", 0
    while url:
        g = graph(url)
        merged += g
        seen += [str(g.value(d, DCTERMS.identifier)) for d in g.subjects(RDF.type, DCAT.Dataset)]
        # As ckanext-dcat reads it: the PagedCollection's next (or the older nextPage).
        paging = next(g.subjects(RDF.type, HYDRA.PagedCollection), None)
        next_link = paging and (g.value(paging, HYDRA.next) or g.value(paging, HYDRA.nextPage))
        url = str(next_link) if next_link else None
        pages += 1
        assert pages < 1000, "the walk does not end"
    return merged, seen


def violations(data):
    """Both validations of the shapes' README; returns their reports when either fails."""
    shapes = Graph().parse(SHAPES / "shapes.ttl", format="turtle")
    ranges = Graph().parse(SHAPES / "range.ttl", format="turtle")
    failures = []
    for label, shape_graph, extra in (("shapes.ttl + range.ttl", shapes, ranges), ("range.ttl", ranges, None)):
        conforms, _, text = validate(data, shacl_graph=shape_graph, ont_graph=extra, inference="rdfs")
        if not conforms:
            failures.append(f"--- {label} ---\n{text[:6000]}")
    return failures


@pytest.fixture(scope="module")
def demo(servers):
    """A server holding the demo catalogue (38 datasets over the national list)."""
    server = servers.start("dcat-demo")
    server.cong("demo")
    return server


@pytest.fixture(scope="module")
def full(servers, tmp_path_factory):
    """A server holding datasets made through the API with every field, odd values included."""
    server = servers.start("dcat-full")
    ckan = server.client()
    ckan.action.organization_create(
        name="so-xay-dung", title="Sở Xây dựng", description="Cơ quan cấp tỉnh",
        extras=[{"key": "ten_tieng_anh", "value": "Department of Construction"},
                {"key": "email", "value": "sxd@example.gov.vn"}],
    )
    ckan.action.group_create(name="giao-thong-van-tai", title="Giao thông vận tải")
    ckan.action.group_create(name="chu-de-rieng", title="Chủ đề riêng")
    upload = tmp_path_factory.mktemp("files") / "bang.csv"
    upload.write_text("nam,so_luong\n2024,12\n2025,15\n", encoding="utf-8")
    every_field = ckan.action.package_create(
        name="cap-phep-xay-dung", title="Giấy phép xây dựng 2025", owner_org="so-xay-dung",
        notes="Danh sách **giấy phép** <script>alert(1)</script>", url="https://sxd.example.gov.vn/gpxd",
        version="2.1", license_id="cc-by", author="Nguyễn Văn A", author_email="a@example.gov.vn",
        maintainer="Phòng Quản lý", maintainer_email="ql@example.gov.vn",
        tags=[{"name": "xây dựng"}, {"name": "giấy phép"}],
        groups=[{"name": "giao-thong-van-tai"}, {"name": "chu-de-rieng"}],
        extras=[
            {"key": "frequency", "value": "hằng quý"},
            {"key": "temporal_start", "value": "2025-01-01"},
            {"key": "temporal_end", "value": "not a date"},
            {"key": "spatial_text", "value": "Đà Nẵng"},
            {"key": "language", "value": "vi"},
            {"key": "issued", "value": "2025-02-30"},
            {"key": "modified", "value": "2025-06-01T10:00:00"},
            {"key": "conforms_to", "value": "[\"https://example.gov.vn/chuan\", \"không phải URL\"]"},
            {"key": "related_resource", "value": "ftp://x y"},
            {"key": "uri", "value": "None"},
            {"key": "version_notes", "value": "Bổ sung quý 2"},
            {"key": "contact_email", "value": "lienhe@example.gov.vn"},
        ],
        resources=[
            {"name": "Đường dẫn", "url": "https://sxd.example.gov.vn/api/gpxd", "format": "API"},
            {"name": "Không có định dạng", "url": "not a url at all"},
            {"name": "Zip", "url": "https://sxd.example.gov.vn/gpxd.zip", "format": ".zip",
             "mimetype": "application/zip", "size": 12345, "hash": "sha256:" + "ab" * 32},
        ],
    )
    ckan.action.resource_create(package_id=every_field["id"], name="Tải lên", format="CSV",
                                upload=open(upload, "rb"))
    # The least a publisher can give: a name, and nothing else that is optional.
    ckan.action.package_create(name="toi-thieu", owner_org="so-xay-dung")
    # Two datasets (and two resources) claiming one `uri`, and geometries that are not GeoJSON.
    for i, spatial in enumerate(["123", '{"type": "Point"}']):
        ckan.action.package_create(
            name=f"cung-uri-{i}", owner_org="so-xay-dung",
            extras=[{"key": "uri", "value": "https://sxd.example.gov.vn/ds/1"}, {"key": "spatial", "value": spatial}],
            resources=[{"url": "https://sxd.example.gov.vn/a.csv", "uri": "https://sxd.example.gov.vn/r/1"},
                       {"url": "https://sxd.example.gov.vn/b.csv", "uri": "https://sxd.example.gov.vn/r/1"}],
        )
    ckan.action.package_create(name="rieng-tu", owner_org="so-xay-dung", private=True, title="Riêng tư")
    return server


@pytest.mark.parametrize("which", ["demo", "full"])
def test_catalogue_has_no_shacl_violations(which, request):
    server = request.getfixturevalue(which)
    data, seen = walk(server.url)
    assert seen, "the catalogue lists no dataset"
    failures = violations(data)
    assert not failures, "\n".join(failures)


def test_dataset_documents_have_no_shacl_violations(full):
    for name in ("cap-phep-xay-dung", "toi-thieu"):
        failures = violations(graph(f"{full.url}/dataset/{name}.ttl"))
        assert not failures, f"{name}:\n" + "\n".join(failures)


def test_private_datasets_are_nowhere(full):
    _, seen = walk(full.url)
    private = full.client().action.package_show(id="rieng-tu")
    assert private["id"] not in seen and len(seen) == 4
    for path in ("/catalog.ttl", "/catalog.jsonld", "/sitemap.xml"):
        _, _, body = fetch(full.url + path)
        assert b"rieng-tu" not in body and private["id"].encode() not in body, path


@pytest.mark.parametrize("ext", sorted(FORMATS))
def test_every_format_parses_to_the_same_triples(demo, ext):
    turtle = graph(f"{demo.url}/catalog.ttl")
    other = graph(f"{demo.url}/catalog.{ext}", FORMATS[ext])
    assert len(other) == len(turtle)
    document = graph(f"{demo.url}/dataset/{first_name(demo)}.{ext}", FORMATS[ext])
    assert len(list(document.subjects(RDF.type, DCAT.Dataset))) == 1


def first_name(server):
    return server.anonymous().action.package_search(rows=1, sort="name asc")["results"][0]["name"]


def test_paged_walk_reads_each_dataset_once(servers):
    server = servers.start("dcat-walk")
    server.cong("demo")
    # Page size 100 by default: make the demo span two pages' worth by making more.
    ckan = server.client()
    org = ckan.action.organization_list()[0]
    for i in range(70):
        ckan.action.package_create(name=f"bo-sung-{i:03d}", owner_org=org)
    everything = {d["id"] for d in ckan.action.package_search(rows=1000)["results"]}
    _, seen = walk(server.url)
    assert len(seen) == len(set(seen)) == len(everything)
    assert set(seen) == everything
    g = graph(f"{server.url}/catalog.ttl")
    paging = next(g.subjects(RDF.type, HYDRA.PagedCollection))
    assert int(g.value(paging, HYDRA.totalItems)) == len(everything)
    assert str(g.value(paging, HYDRA.last)) == f"{server.url}/catalog.ttl?page=2"
    # The second page, reached by the cursor, still tells the whole walk's size.
    second = graph(str(g.value(paging, HYDRA.next)))
    paging = next(second.subjects(RDF.type, HYDRA.PagedCollection))
    assert int(second.value(paging, HYDRA.totalItems)) == len(everything)
    assert str(second.value(paging, HYDRA.previous)) == f"{server.url}/catalog.ttl?page=1"


def test_schema_org_on_the_dataset_page(demo):
    status, content_type, body = fetch(f"{demo.url}/dataset/{first_name(demo)}", accept="text/html")
    assert status == 200 and content_type.startswith("text/html")
    start = body.index(b'<script type="application/ld+json">') + len(b'<script type="application/ld+json">')
    data = json.loads(body[start:body.index(b"</script>", start)])
    assert data["@type"] == "Dataset" and data["name"]


def ckanext_dcat_walk(url, rdf_format="turtle"):
    """The datasets ckanext-dcat's RDF parser reads from `url` on, following next_page()."""
    env = dict(os.environ, PYTHONPATH=str(HERE / "ckan_shim"))
    done = subprocess.run(
        [sys.executable, str(HERE / "ckanext_dcat_walk.py"), url, rdf_format],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("ext,rdf_format", [("ttl", "turtle"), ("rdf", "xml"), ("jsonld", "json-ld")])
def test_ckanext_dcat_parser_reads_the_demo_catalogue(demo, ext, rdf_format):
    walked = ckanext_dcat_walk(f"{demo.url}/catalog.{ext}", rdf_format)
    anonymous = demo.anonymous()
    expected = {d["id"]: d for d in anonymous.action.package_search(rows=1000)["results"]}
    read = {}
    for d in walked["datasets"]:
        extras = {e["key"]: e["value"] for e in d.get("extras", [])}
        read[extras.get("identifier")] = (d, extras)
    assert set(read) == set(expected)
    for id_, (d, extras) in read.items():
        want = expected[id_]
        assert d["title"] == want["title"]
        assert {t["name"] for t in d.get("tags", [])} == {t["name"] for t in want["tags"]}
        assert len(d.get("resources", [])) == len(want["resources"])
        assert {r["url"] for r in d["resources"]} == {r["url"] for r in want["resources"]}
        assert extras.get("publisher_name"), f"{want['name']}: no publisher"
        assert extras.get("modified", "").startswith(want["metadata_modified"][:19])


def test_ckanext_dcat_parser_follows_the_pages(servers):
    server = servers.start("dcat-pages")
    ckan = server.client()
    ckan.action.organization_create(name="so-cong-thuong", title="Sở Công Thương")
    for i in range(230):
        ckan.action.package_create(name=f"gia-ca-{i:03d}", owner_org="so-cong-thuong", title=f"Giá cả {i}")
    walked = ckanext_dcat_walk(f"{server.url}/catalog.ttl")
    assert walked["pages"] == 3
    titles = sorted(d["title"] for d in walked["datasets"])
    assert titles == sorted(f"Giá cả {i}" for i in range(230))
