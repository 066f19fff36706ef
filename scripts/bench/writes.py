"""The foundation's write benchmarks (see scripts/bench-writes.sh), on SQLite and PostgreSQL:

1. read right after a write: package_show right after package_create, package_search right
   after package_patch, each against the same read with nothing pending (median, p99);
2. reads under load: package_show and package_search with wrk (2 threads, 8 connections);
3. bulk publishing as a CKAN user migrates: `ckanapi load datasets -p 4` of a dump of the
   generated catalogue into a fresh portal (datasets/s, server CPU per dataset).

Everything runs on loopback. Prints a Markdown report on stdout, progress on stderr.
"""

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ["CONG_BIN"]
DATASETS = int(os.environ.get("BENCH_DATASETS", "10000"))
PROBES = int(os.environ.get("BENCH_PROBES", "300"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
PG_URL = os.environ.get("DATABASE_URL", "postgres://127.0.0.1:5432/test")
CKANAPI = os.environ["CKANAPI"]
BACKENDS = os.environ.get("BENCH_BACKENDS", "sqlite postgres").split()
TICK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print("bench-writes:", *a, file=sys.stderr, flush=True)


class Portal:
    """A `cong serve` on a fresh data dir and database (SQLite file or PostgreSQL schema)."""

    def __init__(self, backend, work, label):
        self.backend, self.dir = backend, os.path.join(work, label)
        os.makedirs(self.dir)
        self.args = [BIN, "--data-dir", os.path.join(self.dir, "data")]
        self.schema = None
        if backend == "postgres":
            self.schema = "cong_bench_" + uuid.uuid4().hex[:12]
            subprocess.run(["psql", "-X", "-q", "-d", PG_URL, "-c", f"CREATE SCHEMA {self.schema}"], check=True)
            sep = "&" if "?" in PG_URL else "?"
            self.args += ["--database-url", f"{PG_URL}{sep}options=-csearch_path%3D{self.schema}"]
        self.proc = None

    def cli(self, *args):
        return subprocess.run(self.args + list(args), check=True, capture_output=True, text=True).stdout.strip()

    def start(self):
        self.proc = subprocess.Popen(self.args + ["serve", "--bind", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=open(os.path.join(self.dir, "serve.err"), "w"), text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"cong: listening on (http://127\.0\.0\.1:\d+)", line)
        if not m:
            raise SystemExit(f"cong serve did not start: {line!r}")
        self.base = m.group(1)

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        if self.schema:
            subprocess.run(["psql", "-X", "-q", "-d", PG_URL, "-c", f"DROP SCHEMA {self.schema} CASCADE"], check=False)

    def call(self, action, body, token=None):
        req = urllib.request.Request(f"{self.base}/api/3/action/{action}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", **({"Authorization": token} if token else {})})
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(req) as r:
                out = json.load(r)
        except urllib.error.HTTPError as e:
            out = json.load(e)
        return (time.perf_counter() - t) * 1000, out


def machine_busy():
    """CPU seconds spent by everything on the machine (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / TICK


def processes_cpu(name):
    """CPU seconds of all processes whose command is `name` (e.g. the PostgreSQL backends)."""
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                head, rest = f.read().rsplit(")", 1)
        except OSError:
            continue
        if head.split("(", 1)[1] == name:
            fields = rest.split()
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def quantiles(ms):
    ms = sorted(ms)
    return statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.99))]


def read_after_write(p, token):
    org = p.call("organization_list", {"limit": 1})[1]["result"][0]
    after_create, plain_show, after_patch, plain_search = [], [], [], []
    for i in range(PROBES):
        name = f"probe-{i}"
        ms, out = p.call("package_create", {"name": name, "title": f"Dữ liệu thăm dò {i}", "owner_org": org}, token)
        assert out["success"], out
        ms, out = p.call("package_show", {"id": name})
        assert out["success"], out
        after_create.append(ms)
        plain_show.append(p.call("package_show", {"id": name})[0])
    for i in range(PROBES):
        name = f"probe-{i}"
        p.call("package_patch", {"id": name, "notes": f"lần {i}"}, token)
        ms, out = p.call("package_search", {"q": "thăm dò", "rows": 10})
        assert out["success"] and out["result"]["count"] >= PROBES, out
        after_patch.append(ms)
        plain_search.append(p.call("package_search", {"q": "thăm dò", "rows": 10})[0])
    return {k: quantiles(v) for k, v in [("show after create", after_create), ("plain show", plain_show),
                                          ("search after patch", after_patch), ("plain search", plain_search)]}


def wrk(p, names_file):
    results = {}
    lua = os.path.join(ROOT, "scripts", "bench")
    for key, script, args in [("package_show", "package_show.lua", [names_file]),
                              ("package_search", "package_search.lua", [])]:
        cmd = ["wrk", "-t2", "-c8", f"-d{SECONDS}s", "--latency", "-s", os.path.join(lua, script), p.base, "--"] + args
        subprocess.run(cmd[:3] + ["-d2s"] + cmd[4:], check=True, capture_output=True)
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        errors = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
        results[key] = (rps, errors, "wrk -t2 -c8 -d%ds --latency -s scripts/bench/%s" % (SECONDS, script))
        log(p.backend, key, f"{rps:.0f} req/s, {errors} errors")
    return results


def load(p, work, source):
    dump = os.path.join(work, f"dump-{p.backend}.jsonl")
    orgs = os.path.join(work, f"orgs-{p.backend}.jsonl")
    subprocess.run([CKANAPI, "dump", "organizations", "--all", "-O", orgs, "-r", source.base], check=True, capture_output=True)
    subprocess.run([CKANAPI, "dump", "datasets", "--all", "-O", dump, "-p", "4", "-r", source.base], check=True, capture_output=True)
    n = sum(1 for _ in open(dump))
    admin = p.cli("token", "create", "admin")
    subprocess.run([CKANAPI, "load", "organizations", "-I", orgs, "-r", p.base, "-a", admin], check=True, capture_output=True)
    cpu0, t0, busy0, pg0 = p.cpu_seconds(), time.perf_counter(), machine_busy(), processes_cpu("postgres")
    run = subprocess.run([CKANAPI, "load", "datasets", "-I", dump, "-p", "4", "-r", p.base, "-a", admin],
                         capture_output=True, text=True)
    wall, cpu = time.perf_counter() - t0, p.cpu_seconds() - cpu0
    machine, pg = machine_busy() - busy0, processes_cpu("postgres") - pg0
    # The rest of the machine's work: the Python client (its workers are not our children).
    client_cpu = max(0.0, machine - cpu - pg)
    created = p.call("package_search", {"rows": 0, "include_private": True}, admin)[1]["result"]["count"]
    failures = run.stdout.count('"error"') + run.stderr.count("Traceback")
    log(p.backend, f"ckanapi load: {n} datasets in {wall:.1f}s, server CPU {cpu:.1f}s, {created} stored")
    return {"datasets": n, "stored": created, "wall": wall, "server_cpu": cpu, "client_cpu": client_cpu,
            "pg_cpu": pg, "machine": machine, "failures": failures}


def main():
    work = tempfile.mkdtemp(prefix="cong-bench-writes-")
    report = []
    try:
        for backend in BACKENDS:
            log(backend, f"generating {DATASETS} datasets")
            source = Portal(backend, work, f"{backend}-source")
            source.cli("migrate")
            source.cli("generate", "--datasets", str(DATASETS))
            source.cli("reindex")
            source.cli("user", "add", "admin", "--email", "admin@example.gov.vn", "--sysadmin")
            token = source.cli("token", "create", "admin")
            source.start()
            names = os.path.join(work, f"names-{backend}.txt")
            with open(names, "w") as f:
                for page in range(0, DATASETS, 1000):
                    for n in source.call("package_list", {"limit": 1000, "offset": page})[1]["result"]:
                        f.write(n + "\n")
            reads = wrk(source, names)
            raw = read_after_write(source, token)
            target = Portal(backend, work, f"{backend}-target")
            target.cli("migrate")
            target.cli("user", "add", "admin", "--email", "admin@example.gov.vn", "--sysadmin")
            target.start()
            loaded = load(target, work, source)
            source.stop()
            target.stop()
            report.append((backend, raw, reads, loaded))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rev = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    print(f"## Foundation: reads right after writes, PostgreSQL beside SQLite, bulk loading — "
          f"{time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())} (revision {rev})\n")
    print(f"{DATASETS} generated datasets per backend; {PROBES} probes; `scripts/bench-writes.sh` "
          f"(BENCH_DATASETS={DATASETS}). Python urllib client, one request at a time, over loopback.\n")
    print("| backend | show after create (median / p99 ms) | plain show | search after patch | plain search |")
    print("|---|---:|---:|---:|---:|")
    for backend, raw, _, _ in report:
        cells = [f"{raw[k][0]:.2f} / {raw[k][1]:.2f}" for k in ["show after create", "plain show", "search after patch", "plain search"]]
        print(f"| {backend} | " + " | ".join(cells) + " |")
    print("\n| backend | package_show req/s | package_search req/s | errors | command |")
    print("|---|---:|---:|---:|---|")
    for backend, _, reads, _ in report:
        print(f"| {backend} | {reads['package_show'][0]:.0f} | {reads['package_search'][0]:.0f} | "
              f"{reads['package_show'][1] + reads['package_search'][1]} | `{reads['package_show'][2]}` (and package_search.lua) |")
    print("\n| backend | `ckanapi load datasets -p 4` | datasets/s | CPU per dataset: cong | PostgreSQL | client and rest | machine busy | stored | failures |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend, _, _, l in report:
        per = lambda k: f"{1000 * l[k] / l['datasets']:.2f} ms"
        print(f"| {backend} | {l['datasets']} in {l['wall']:.1f} s | {l['datasets'] / l['wall']:.0f} | "
              f"{per('server_cpu')} | {per('pg_cpu')} | {per('client_cpu')} | {100 * l['machine'] / l['wall'] / os.cpu_count():.0f}% | {l['stored']} | {l['failures']} |")


if __name__ == "__main__":
    main()
