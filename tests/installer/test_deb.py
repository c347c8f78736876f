"""The installer, end to end on this machine: `installer/build` makes the bundle and the .deb,
apt installs it, and the installed program (no venv, no checkout: a bare PATH, a temp cwd, no
PYTHONPATH) serves the demo, sells a lot to a bidder in Chromium with a pty gavel, starts the
desktop app offscreen, and `apt-get remove --purge` leaves nothing of ours.

Built and installed once for the module (the build dominates: see the README's figures). The
sizes and start-up times are printed, never asserted. Needs root, apt and dpkg-deb, as CI has.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.logged_process import LoggedProcess

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from pages_harness import browser, new_page

__all__ = ["browser"]
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parents[2]
PREFIX = Path("/opt/auctionmen")
BARE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# unsafe-io: dpkg skips its fsync per file (4,000 of them); a test install needs no crash safety.
APT = ["apt-get", "-o", "DPkg::Lock::Timeout=120", "-o", "DPkg::Options::=--force-unsafe-io"]
APT += ["-y", "-q"]
T = 15000  # ms, for the pages


def _version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def _installed() -> bool:
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Status}", "auctionmen"], capture_output=True, text=True
    )
    return out.stdout.split()[-1:] in (["installed"], ["config-files"])


def _purge() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*APT, "remove", "--purge", "auctionmen"], capture_output=True, text=True, timeout=300
    )


@dataclass
class Package:
    deb: Path
    files: list[Path]  # what dpkg installed (dpkg -L), directories included
    home: Path
    figures: dict[str, str] = field(default_factory=dict)

    def env(self, **extra: str) -> dict[str, str]:
        """No venv, no checkout, no PYTHONPATH: what a house's user has."""
        return {
            "PATH": BARE_PATH,
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "QT_QPA_PLATFORM": "offscreen",
            "AUCTIONMEN_CONFIG": str(self.home / "no-config.toml"),
            **extra,
        }


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Package]:
    if os.geteuid() != 0 or not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        pytest.skip("installing the .deb needs root, apt-get and dpkg-deb (CI has them)")
    if _installed():  # a run that died half-way: start from a machine without it
        assert _purge().returncode == 0
    out = tmp_path_factory.mktemp("deb")
    started = time.monotonic()
    build = subprocess.run(
        [str(ROOT / "installer" / "build"), "--out", str(out), "--compress", "none"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1500,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    built = time.monotonic()
    debs = list(out.glob("auctionmen_*.deb"))
    assert len(debs) == 1
    install = subprocess.run(
        [*APT, "install", "--no-install-recommends", str(debs[0])],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
    )
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    installed = time.monotonic()
    listed = subprocess.run(["dpkg", "-L", "auctionmen"], capture_output=True, text=True)
    files = [Path(line) for line in listed.stdout.splitlines() if line.startswith("/")]
    pkg = Package(debs[0], files, tmp_path_factory.mktemp("home"))
    pkg.figures["build"] = f"{built - started:.0f} s"
    pkg.figures["apt install"] = f"{installed - built:.0f} s"
    size = sum(p.lstat().st_size for p in PREFIX.rglob("*") if not p.is_symlink())
    pkg.figures["bundle"] = f"{size / 2**20:.0f} MiB"
    # What the services would leave (only where this machine has none of its own): state
    # without a journal goes with the purge, a sale journal (the legal record) stays.
    state, journal = Path("/var/lib/auctionmen"), Path("/var/lib/private/auctionmen")
    ours = [d for d in (state, journal) if not d.exists()]
    try:
        yield pkg
    finally:
        if state in ours:
            (state / "tls").mkdir(parents=True)
        if journal in ours:
            (journal / "sales").mkdir(parents=True)
            (journal / "sales" / "spring.db").write_bytes(b"SQLite format 3\x00")
        purged = _purge()
        print("\ninstaller figures: " + ", ".join(f"{k} {v}" for k, v in pkg.figures.items()))
        kept = journal.exists()
        if journal in ours:
            shutil.rmtree(journal)
        assert purged.returncode == 0, purged.stdout[-2000:] + purged.stderr[-2000:]
        assert not _installed(), "dpkg still knows the package after --purge"
        left = [p for p in pkg.files if p.exists() and not p.is_dir()]
        left += [p for p in (PREFIX, state) if p.exists()]
        assert left == [], f"left after apt-get remove --purge: {left[:20]}"
        if journal in ours:
            assert kept, "the purge deleted a sale journal"
            assert f"kept {journal}" in purged.stdout + purged.stderr


class Process(LoggedProcess):
    """An installed `auctionmen` process; its stdout (JSON lines) and stderr read in threads."""

    wait_timeout = 60.0
    stop_grace = 20.0

    def __init__(self, args: list[str], pkg: Package, cwd: Path) -> None:
        super().__init__(["auctionmen", *args], cwd, pkg.env(), new_session=True)

    def wait_for_err(self, text: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if any(text in line for line in self.stderr):
                return
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} on stderr: {''.join(self.stderr[-30:])}")


def _api(url: str, path: str, body: Any = None, token: str | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url + path, data=data, method="GET" if data is None else "POST")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=15) as r:
        return json.loads(r.read() or b"null")


def _wait_text(page: Any, sel: str, expected: str) -> None:
    try:
        page.wait_for_function(
            "([s, t]) => (document.querySelector(s)?.textContent ?? '').includes(t)",
            arg=[sel, expected],
            timeout=T,
        )
    except Exception as exc:
        shown = page.evaluate("(s) => document.querySelector(s)?.textContent", sel)
        raise AssertionError(f"{sel}: wanted {expected!r}, page shows {shown!r}") from exc


def test_the_command_on_path_is_the_installed_bundle(package: Package, tmp_path: Path) -> None:
    env = package.env()
    assert shutil.which("auctionmen", path=env["PATH"]) == "/usr/bin/auctionmen"
    assert Path("/usr/bin/auctionmen").resolve() == PREFIX / "auctionmen"
    started = time.monotonic()
    out = subprocess.run(
        ["auctionmen", "--version"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    package.figures["--version"] = f"{time.monotonic() - started:.2f} s"
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"auctionmen {_version()}"
    # The relay node is in the bundle too (it parses its own arguments).
    relay = subprocess.run(
        ["auctionmen", "relay", "--help"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert relay.returncode == 0, relay.stderr
    assert "--stage-key" in relay.stdout


def test_the_bundle_holds_every_resource(package: Package) -> None:
    def files(top: Path) -> set[str]:
        return {
            str(p.relative_to(top))
            for p in top.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".py", ".pyc")
        }

    shipped = files(PREFIX / "_internal" / "resources")
    missing = files(ROOT / "resources") - shipped
    assert missing == set(), f"not in the bundle: {sorted(missing)[:20]}"
    assert (PREFIX / "_internal" / "hardware" / "PROTOCOL.md").is_file()


def test_the_package_wires_menu_gavel_and_services(package: Package) -> None:
    installed = {str(p) for p in package.files}
    desktop = Path("/usr/share/applications/auctionmen.desktop")
    assert str(desktop) in installed
    entry = dict(line.split("=", 1) for line in desktop.read_text().splitlines() if "=" in line)
    assert entry["Exec"].split()[0] == "/usr/bin/auctionmen"
    assert entry["Icon"] == "auctionmen"
    assert "/usr/share/icons/hicolor/scalable/apps/auctionmen.svg" in installed
    rule = Path("/usr/lib/udev/rules.d/60-auctionmen-gavel.rules").read_text()
    assert 'GROUP="dialout"' in rule
    assert 'SUBSYSTEM=="hidraw"' in rule
    for unit in ("auctionmen-stage.service", "auctionmen-relay.service"):
        text = Path("/usr/lib/systemd/system", unit).read_text()
        assert "ExecStart=/usr/bin/auctionmen " in text
        # Installed, not enabled: no symlink in any .wants directory.
        assert not list(Path("/etc/systemd/system").rglob(unit))
    if shutil.which("systemd-analyze"):  # part of systemd: on every Debian with it
        units = [f"/usr/lib/systemd/system/auctionmen-{n}.service" for n in ("stage", "relay")]
        verify = subprocess.run(
            ["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60
        )
        assert verify.returncode == 0, verify.stderr
    status = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Depends}", "auctionmen"], capture_output=True, text=True
    ).stdout
    for dep in ("libc6", "libxcb1", "libpango-1.0-0", "fonts-dejavu-core", "libegl1"):
        assert dep in status


def test_installed_serve_sells_a_lot_with_a_pty_gavel_to_a_bidder_in_chromium(
    package: Package, browser: Any, tmp_path: Path
) -> None:
    from hardware.debounce import DebounceConfig
    from hardware.simulated import SimulatedGavel

    gavel = SimulatedGavel()
    data = tmp_path / "data"
    serve = Process(
        ["serve", "--demo", "--data-dir", str(data), "--port", "0", "--json-logs",
         "--tls", "off", "--gavel", f"serial:{gavel.port}"],
        package,
        tmp_path,
    )  # fmt: skip
    try:
        serving = serve.wait_for(event="serving")
        package.figures["serve start-up"] = f"{time.monotonic() - serve.started:.1f} s"
        url = serving["url"]
        token = subprocess.run(
            ["auctionmen", "token", "--data-dir", str(data), "--role", "bidder", "--paddle",
             "7001"],
            cwd=tmp_path, env=package.env(), capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        staff = _api(url, "/api/pair", {"pin": serving["pin"]})["token"]
        bidder = new_page(browser, {"width": 360, "height": 740})
        bidder.goto(f"{url}/bid#token={token}")
        _wait_text(bidder, "#paddle", "7001")

        gavel.hello()
        gavel.start_heartbeats(0.2)
        # Lot 4A has no reserve: the bidder's opening bid buys it.
        _api(url, "/api/sales/demo/commands", {"op": "open_lot", "lot": "4A"}, staff)
        _wait_text(bidder, "#bid", "€800")
        gavel.strike()  # no bid yet: the stage reads the strike and refuses to hammer
        serve.wait_for_err("gavel strike: no_bid")
        knocked = time.monotonic()
        bidder.click("#bid")
        _wait_text(bidder, "#status", "You are winning")
        # A new knock, not a bounce of the first (the debounce's refractory time).
        time.sleep(max(0.0, knocked + DebounceConfig().refractory_s - time.monotonic()))
        gavel.strike()
        _wait_text(bidder, "#status", "Sold to you for")
        lot = _api(url, "/api/sales/demo/state")["lot"]
        assert lot["id"] == "4A"
        assert lot["status"] == "sold"
        assert lot["hammer"]["paddle"] == "7001"
        assert bidder.errors == []
    finally:
        code = serve.stop()
        gavel.close()
    assert code == 0, "".join(serve.stderr[-20:])


def test_installed_invoices_are_pdfs_with_their_factur_x(package: Package, tmp_path: Path) -> None:
    """WeasyPrint (Debian's Pango), the templates and the Factur-X schemas, from the bundle."""
    import asyncio

    import pypdf

    from tests.test_cli_money import _build

    # Its own thread: the browser fixture's Playwright holds this thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        numbers = pool.submit(asyncio.run, _build(tmp_path / "data")).result()
    (db,) = (tmp_path / "data" / "sales").glob("*.db")
    out = subprocess.run(
        ["auctionmen", "invoices", str(db), "--pdf", str(tmp_path / "pdf")],
        cwd=tmp_path, env=package.env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    pdfs = {p.stem: pypdf.PdfReader(p) for p in (tmp_path / "pdf").iterdir()}
    assert sorted(pdfs) == sorted(numbers)
    assert all("factur-x.xml" in reader.attachments for reader in pdfs.values())
    assert numbers[0] in pdfs[numbers[0]].pages[0].extract_text()


def test_installed_desktop_app_starts_offscreen_and_shows_the_console(
    package: Package, tmp_path: Path
) -> None:
    app = Process(
        ["gui", "--temp-data-dir", "--tls", "off", "--json-logs", "--no-dialogs", "--port", "0"],
        package,
        tmp_path,
    )
    try:
        # "ready" comes after the main window (the console) is shown, with the core running.
        ready = app.wait_for(event="ready")
        package.figures["desktop app start-up"] = f"{time.monotonic() - app.started:.1f} s"
        assert ready["sale"] == "demo"
        snapshot = _api(ready["url"], "/api/sales/demo/state")
        assert snapshot["sale"]
    finally:
        code = app.stop()
    assert code == 0, "".join(app.stderr[-20:])
    app.wait_for(event="stopped", timeout=5)
    assert not any("Traceback" in line for line in app.stderr), "".join(app.stderr[-30:])
