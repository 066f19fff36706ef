"""Walks a DCAT catalogue with ckanext-dcat's own RDF parser, as its harvester does, and prints
the datasets it read (package dicts) as one JSON list. Run with ckan_shim/ first on PYTHONPATH.

    python ckanext_dcat_walk.py URL [FORMAT]
"""

import json
import sys
import urllib.request

from ckanext.dcat.processors import RDFParser


def main():
    url, rdf_format = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "turtle")
    datasets, pages = [], 0
    while url:
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
        parser = RDFParser(profiles=["euro_dcat_ap_3"])
        parser.parse(body, _format=rdf_format)
        datasets += list(parser.datasets())
        url = parser.next_page()
        pages += 1
        if pages > 1000:
            raise SystemExit("the walk does not end")
    json.dump({"pages": pages, "datasets": datasets}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
