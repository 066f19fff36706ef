"""Writes the paths of BENCH_QUERIES (default 5000) distinct package_search requests built from
the words `cong generate` uses (topics in Vietnamese and English, the 56 publishers, years),
typed with diacritics and without, one to four words, some with facets, organization or format
filters and offsets: the mixed workload of scripts/bench-search.sh (e). Deterministic (seeded).

    python3 scripts/bench/search_mix.py OUT_FILE
"""
import json
import os
import random
import re
import sys
import unicodedata
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def generator_words():
    src = open(os.path.join(ROOT, "crates/catalogue/src/demo.rs"), encoding="utf-8").read()
    def const(name):
        body = re.search(name + r": \[&str; \d+\] = \[(.*?)\];", src, re.S).group(1)
        return re.findall(r'"([^"]*)"', body)
    orgs = json.load(open(os.path.join(ROOT, "crates/catalogue/demo/organizations.json"), encoding="utf-8"))
    return const("TOPICS_VI"), const("TOPICS_EN"), orgs


def fold(s):
    s = s.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def main():
    out = sys.argv[1]
    n = int(os.environ.get("BENCH_QUERIES", "5000"))
    vi, en, orgs = generator_words()
    places = [re.sub(r"^(Tỉnh|Thành phố) ", "", o["title"]) for o in orgs if o.get("code")]
    rnd = random.Random(20261205)
    facets = ['["organization","tags","res_format"]', '["organization"]', '["tags","res_format"]']
    seen = set()
    paths = []
    while len(paths) < n:
        kind = rnd.random()
        if kind < 0.7:
            words = [rnd.choice(vi)]
            if rnd.random() < 0.5:
                words.append(rnd.choice(places))
            if rnd.random() < 0.3:
                words.append(str(rnd.randint(2000, 2025)))
        else:
            words = [rnd.choice(en)] + (["statistics"] if rnd.random() < 0.5 else [])
        q = " ".join(words)
        if rnd.random() < 0.5:
            q = fold(q)
        params = {"q": q, "rows": 10}
        r = rnd.random()
        if r < 0.4:
            params["facet.field"] = rnd.choice(facets)
        elif r < 0.55:
            params["fq"] = "organization:" + rnd.choice(orgs)["name"]
        elif r < 0.65:
            params["fq"] = "res_format:" + rnd.choice(["CSV", "XLSX", "JSON", "GeoJSON", "PDF"])
        if rnd.random() < 0.2:
            params["start"] = rnd.choice([10, 20, 50])
        path = "/api/3/action/package_search?" + urllib.parse.urlencode(params)
        if path not in seen:
            seen.add(path)
            paths.append(path)
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(paths) + "\n")


if __name__ == "__main__":
    main()
