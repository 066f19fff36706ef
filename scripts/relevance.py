#!/usr/bin/env python3
"""Scores any CKAN-compatible portal (Cổng, an older Cổng, CKAN itself) on the judged queries
in crates/search/relevance/judged.tsv, over its package_search API, as an anonymous citizen:
success@1, success@3, MRR@10, nDCG@10. The portal must hold the demo catalogue
(`cong serve --demo`, or the same datasets loaded into CKAN).

    scripts/relevance.py http://127.0.0.1:5000 [--show-misses]
"""
import json
import math
import os
import sys
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def judged():
    for line in open(os.path.join(ROOT, "crates/search/relevance/judged.tsv"), encoding="utf-8"):
        if not line.strip() or line.startswith("#"):
            continue
        query, answers = line.rstrip("\n").split("\t", 1)
        grades = {a.split("=")[0]: int(a.split("=")[1]) for a in answers.split()}
        yield query.strip(), grades


def search(base, q):
    url = base.rstrip("/") + "/api/3/action/package_search?" + urllib.parse.urlencode({"q": q, "rows": 10})
    with urllib.request.urlopen(url) as r:
        result = json.load(r)["result"]
    return [d["name"] for d in result["results"]], result["count"]


def main():
    base = sys.argv[1]
    show = "--show-misses" in sys.argv
    n = s1 = s3 = mrr = ndcg_sum = 0.0
    empty = []
    for q, grades in judged():
        names, count = search(base, q)
        best = max(grades.values())
        rank = next((i + 1 for i, x in enumerate(names) if grades.get(x) == best), None)
        gain = lambda g: 2 ** g - 1
        dcg = sum(gain(grades.get(x, 0)) / math.log2(i + 2) for i, x in enumerate(names[:10]))
        ideal = sorted(grades.values(), reverse=True)[:10]
        idcg = sum(gain(g) / math.log2(i + 2) for i, g in enumerate(ideal)) or 1
        n += 1
        s1 += rank == 1
        s3 += rank is not None and rank <= 3
        mrr += 1 / rank if rank else 0
        ndcg_sum += dcg / idcg
        if count == 0:
            empty.append(q)
        if show and rank != 1:
            print(f"{rank or '-':>2} {q:<45} count {count:>4}; got {', '.join(names[:3])}")
    print(f"{int(n)} queries: success@1 {s1 / n:.3f}  success@3 {s3 / n:.3f}  MRR@10 {mrr / n:.3f}  "
          f"nDCG@10 {ndcg_sum / n:.3f}  found nothing: {len(empty)}")


if __name__ == "__main__":
    main()
