"""Fixtures that run real `cong` servers for the ckanapi compatibility tests.

Each server is a `cong serve --bind 127.0.0.1:0` process with its own temporary data
directory and its own database: the SQLite file in the data directory, or a fresh
PostgreSQL schema. The backend comes from CONG_COMPAT_BACKEND (sqlite | postgres);
PostgreSQL is reached at DATABASE_URL (default postgres://127.0.0.1:5432/test).
The binary is CONG_BIN, else ${CARGO_TARGET_DIR:-<repo>/target}/debug/cong.
Set CONG_COMPAT_KEEP=1 to keep data directories and PostgreSQL schemas after the run.
"""

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# ckanapi reads its HTTP timeout when it is imported: a hung server must fail a test, not
# hang the run.
os.environ.setdefault("CKANAPI_REQUEST_TIMEOUT", "60")

import ckanapi  # noqa: E402  (must come after the timeout is set)
from ckanapi.version import __version__ as ckanapi_version  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BACKEND = os.environ.get("CONG_COMPAT_BACKEND", "sqlite")
DEFAULT_POSTGRES_URL = "postgres://127.0.0.1:5432/test"
STARTUP_TIMEOUT_S = 60
CLI_TIMEOUT_S = 120
LISTENING = re.compile(r"^cong: listening on (http://\S+)\s*$", re.MULTILINE)

ADMIN_NAME = "admin"
ADMIN_EMAIL = "admin@example.gov.vn"

if BACKEND not in ("sqlite", "postgres"):
    raise pytest.UsageError(f"CONG_COMPAT_BACKEND must be sqlite or postgres, not {BACKEND!r}")


def cong_binary():
    if os.environ.get("CONG_BIN"):
        return Path(os.environ["CONG_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "debug" / "cong"


def postgres_url():
    return os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES_URL


def with_search_path(url, schema):
    """The libpq URI that makes every connection use `schema`."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


def psql(sql):
    subprocess.run(
        ["psql", postgres_url(), "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )


def child_env():
    """The environment for cong: ours, less any CONG_* setting that would override the test's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONG_")}
    env.setdefault("RUST_BACKTRACE", "1")
    env.setdefault("NO_COLOR", "1")  # plain server logs in failure reports
    return env


def ckanapi_env():
    """ckanapi's dump and load start workers by running `ckanapi` from PATH."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def tail(path, lines=40):
    try:
        text = Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class CongServer:
    """One running `cong serve`, with a sysadmin `admin` and that sysadmin's API token."""

    label: str
    binary: Path
    workdir: Path
    database_url: str | None
    url: str = ""
    admin_id: str = ""
    token: str = ""
    process: subprocess.Popen | None = None
    schema: str | None = None
    crashed: bool = field(default=False)

    @property
    def data_dir(self):
        return self.workdir / "data"

    @property
    def stdout_path(self):
        return self.workdir / "serve.stdout"

    @property
    def stderr_path(self):
        return self.workdir / "serve.stderr"

    def global_options(self):
        options = ["--data-dir", str(self.data_dir)]
        if self.database_url:
            options += ["--database-url", self.database_url]
        return options

    def cong(self, *args):
        """Run a `cong` subcommand against this server's database; return its stdout."""
        command = [str(self.binary), *self.global_options(), *args]
        done = subprocess.run(
            command,
            cwd=self.workdir,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"`{' '.join(command)}` exited with {done.returncode}\n"
                f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
            )
        return done.stdout

    def create_admin(self):
        self.admin_id = self.cong("user", "add", ADMIN_NAME, "--email", ADMIN_EMAIL, "--sysadmin").strip()
        assert self.admin_id, "`cong user add` printed no user id"
        self.token = self.cong("token", "create", ADMIN_NAME).strip()
        assert self.token and "\n" not in self.token, f"`cong token create` printed {self.token!r}"

    def serve(self):
        command = [str(self.binary), *self.global_options(), "serve", "--bind", "127.0.0.1:0"]
        with open(self.stdout_path, "wb") as stdout, open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=child_env(),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            match = LISTENING.search(self.stdout_path.read_text(errors="replace"))
            if match:
                self.url = match.group(1)
                return
            if self.process.poll() is not None:
                raise AssertionError(
                    f"`{' '.join(command)}` exited with {self.process.returncode} before listening\n"
                    f"stdout:\n{tail(self.stdout_path)}\nstderr:\n{tail(self.stderr_path)}"
                )
            time.sleep(0.05)
        raise AssertionError(
            f"`{' '.join(command)}` printed no 'cong: listening on http://ADDR' line within "
            f"{STARTUP_TIMEOUT_S} s\nstdout:\n{tail(self.stdout_path)}\nstderr:\n{tail(self.stderr_path)}"
        )

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is not None:
            self.crashed = True
        else:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def client(self, apikey=None):
        """A ckanapi client acting as the sysadmin, or as the holder of `apikey`."""
        return ckanapi.RemoteCKAN(self.url, apikey=apikey or self.token)

    def anonymous(self):
        return ckanapi.RemoteCKAN(self.url)

    def log_tail(self):
        return f"stdout:\n{tail(self.stdout_path)}\nstderr:\n{tail(self.stderr_path)}"


RUNNING = []  # every server started in this session, for failure reports


class ServerFactory:
    def __init__(self, base_dir):
        self.base_dir = base_dir
        self.servers = []

    def start(self, label, accounts_first=True):
        """Start a server on an empty database.

        accounts_first=True creates the sysadmin and its token with the CLI on a migrated
        database before `cong serve` starts; False creates them while the server runs.
        """
        binary = cong_binary()
        if not binary.is_file():
            pytest.fail(f"cong binary not found at {binary}: run `cargo build -p server` or set CONG_BIN")
        workdir = self.base_dir / f"{label}-{uuid.uuid4().hex[:8]}"
        workdir.mkdir(parents=True)
        server = CongServer(label=label, binary=binary, workdir=workdir, database_url=None)
        if BACKEND == "postgres":
            server.schema = f"cong_compat_{label.replace('-', '_')}_{uuid.uuid4().hex[:12]}"
            psql(f"CREATE SCHEMA {server.schema}")
            server.database_url = with_search_path(postgres_url(), server.schema)
        self.servers.append(server)

        if accounts_first:
            server.cong("migrate")
            server.create_admin()
            server.serve()
        else:
            server.serve()
            server.create_admin()
        RUNNING.append(server)
        return server

    def stop_all(self):
        keep = os.environ.get("CONG_COMPAT_KEEP") == "1"
        for server in self.servers:
            server.stop()
            if server in RUNNING:
                RUNNING.remove(server)
            if server.schema and not keep:
                psql(f"DROP SCHEMA IF EXISTS {server.schema} CASCADE")
            if not keep:
                shutil.rmtree(server.workdir, ignore_errors=True)
        crashed = [s.label for s in self.servers if s.crashed]
        if crashed:
            pytest.fail(f"cong server(s) {crashed} exited before the end of the tests")


def pytest_report_header(config):
    where = postgres_url() if BACKEND == "postgres" else "SQLite file in a temp data dir"
    return [f"cong compat: backend={BACKEND} ({where}), binary={cong_binary()}, ckanapi {ckanapi_version}"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, show the end of each running server's log next to the traceback."""
    report = yield
    if report.failed:
        for server in RUNNING:
            report.sections.append((f"cong {server.label} ({server.url})", server.log_tail()))
    return report


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    factory = ServerFactory(tmp_path_factory.mktemp("cong"))
    yield factory
    factory.stop_all()


@pytest.fixture(scope="session")
def server(servers):
    """The shared server most tests use; tests give their objects unique names."""
    return servers.start("main")


@pytest.fixture(scope="session")
def ckan(server):
    """ckanapi client for the shared server, acting as its sysadmin."""
    return server.client()


@pytest.fixture(scope="session")
def anonymous(server):
    return server.anonymous()


@pytest.fixture
def unique():
    """unique("dataset") -> "dataset-1a2b3c4d": names that no other test uses."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def organization(ckan):
    return ckan.action.organization_create(
        name=f"so-tnmt-{uuid.uuid4().hex[:6]}",
        title="Sở Tài nguyên và Môi trường",
        description="Cơ quan cấp tỉnh",
    )


@pytest.fixture(scope="session")
def group(ckan):
    return ckan.action.group_create(
        name=f"moi-truong-{uuid.uuid4().hex[:6]}",
        title="Môi trường",
        description="Dữ liệu về môi trường",
    )


@pytest.fixture(scope="session")
def ckanapi_cli():
    """Run the `ckanapi` command line installed beside this Python; returns CompletedProcess."""
    executable = shutil.which("ckanapi", path=str(Path(sys.executable).parent)) or shutil.which("ckanapi")
    if executable is None:
        pytest.fail("the ckanapi command is not installed beside this Python (pip install ckanapi)")

    def run(*args, timeout=CLI_TIMEOUT_S):
        return subprocess.run(
            [executable, *args],
            env=ckanapi_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
