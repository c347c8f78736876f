"""HTTPS on the sale-room LAN (issue 14, defect 16): the house authority, the house's own
files, a real stage serving TLS on loopback, Secure cookies, and Debian's Chromium trusting
the generated authority through a real NSS database (certutil), never by skipping checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import signal
import ssl
import stat
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from hub import tls
from hub.config import ConfigError, StageConfig
from hub.stage import Stage
from tests.gateway.helpers import bearer

ROOT = Path(__file__).resolve().parents[2]
EXE = ROOT / ".venv" / "bin" / "auctionmen"
CHROMIUM = "/usr/bin/chromium"
T0 = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def at(moment: dt.datetime) -> tls.Clock:
    return lambda: moment


def verify(paths: tls.HousePaths, host: str, moment: dt.datetime) -> None:
    """A full X.509 path check (cryptography's verifier, name constraints included)."""
    ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    leaf = x509.load_pem_x509_certificate(paths.cert.read_bytes())
    verifier = PolicyBuilder().store(Store([ca])).time(moment).build_server_verifier(_name(host))
    verifier.verify(leaf, [])


def _name(host: str) -> x509.DNSName | x509.IPAddress:
    import ipaddress

    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXE), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


# -- the house authority ------------------------------------------------------------------------


def test_init_makes_a_private_name_constrained_ca_and_a_server_certificate(tmp_path: Path):
    created, paths = tls.init_house(tmp_path, "Maison Test", ["stage.lan"], now=at(T0))
    assert created
    served = tls.ensure_server_cert(tmp_path, ["localhost", "127.0.0.1"], now=at(T0))
    for path in (paths.ca_key, paths.ca_cert, paths.key, paths.cert, paths.settings):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(paths.folder.stat().st_mode) == 0o700
    assert {"localhost", "127.0.0.1", "stage.lan"} <= set(served.hosts)
    assert served.renewed == "there is none"
    for host in ("localhost", "127.0.0.1", "stage.lan"):
        verify(paths, host, T0 + dt.timedelta(days=1))
    with pytest.raises(VerificationError):
        verify(paths, "bank.example", T0 + dt.timedelta(days=1))
    ca = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    assert "Maison Test" in ca.subject.rfc4514_string()
    assert ca.extensions.get_extension_for_class(x509.NameConstraints).critical


def test_a_second_init_keeps_the_authority_the_terminals_trust(tmp_path: Path):
    tls.init_house(tmp_path, "Maison", now=at(T0))
    before = tls.ca_pem(tmp_path)
    created, _ = tls.init_house(tmp_path, None, ["10.1.2.3", "10.1.2.3"], now=at(T0))
    assert not created
    assert tls.ca_pem(tmp_path) == before
    served = tls.ensure_server_cert(tmp_path, ["localhost"], now=at(T0))
    assert "10.1.2.3" in served.hosts
    assert tls.read_settings(tls.HousePaths.of(tmp_path)).hosts == ("10.1.2.3",)


def test_the_ca_key_signs_nothing_public(tmp_path: Path):
    """A stolen house CA key cannot impersonate a public site to a terminal trusting it."""
    tls.init_house(tmp_path, now=at(T0))
    ca = x509.load_pem_x509_certificate(tls.ca_pem(tmp_path))
    for host in ("8.8.8.8", "bank.example", "local.example.com", "2001:db8::1"):
        assert not tls.permitted(ca, host), host
    for host in ("192.168.1.20", "10.0.0.1", "fe80::1", "till.local", "localhost", "a.home.arpa"):
        assert tls.permitted(ca, host), host
    # A public name asked for is left out of the certificate (and logged), not signed.
    served = tls.ensure_server_cert(tmp_path, ["localhost", "bank.example"], now=at(T0))
    assert "bank.example" not in served.hosts
    with pytest.raises(tls.TlsError, match=r"cannot sign for bank\.example"):
        tls.init_house(tmp_path, None, ["bank.example"], now=at(T0))


def test_the_server_certificate_is_renewed_near_expiry_and_when_hosts_change(tmp_path: Path):
    first = tls.ensure_server_cert(tmp_path, ["localhost"], now=at(T0))
    assert first.renewed == "there is none"  # the first start made the authority too
    later = T0 + dt.timedelta(days=200)
    same = tls.ensure_server_cert(tmp_path, ["localhost"], now=at(later))
    assert same.renewed is None
    assert same.fingerprint == first.fingerprint
    # Thirty days before expiry: a new one, from the same authority.
    near = first.not_after - tls.RENEW_BEFORE + dt.timedelta(minutes=1)
    renewed = tls.ensure_server_cert(tmp_path, ["localhost"], now=at(near))
    assert renewed.renewed is not None
    assert "expires" in renewed.renewed
    assert renewed.fingerprint != first.fingerprint
    assert renewed.ca_fingerprint == first.ca_fingerprint
    verify(tls.HousePaths.of(tmp_path), "localhost", near + dt.timedelta(days=100))
    # The venue's address changed: the certificate must name it.
    moved = tls.ensure_server_cert(tmp_path, ["localhost", "192.168.50.7"], now=at(near))
    assert moved.renewed == "it does not name 192.168.50.7"
    assert "192.168.50.7" in moved.hosts
    # A damaged server certificate is issued again rather than served.
    tls.HousePaths.of(tmp_path).cert.write_text("garbage")
    again = tls.ensure_server_cert(tmp_path, ["localhost"], now=at(near))
    assert again.renewed is not None
    assert "unusable" in again.renewed


def test_a_certificate_from_another_authority_is_replaced(tmp_path: Path):
    other = tmp_path / "other"
    tls.ensure_server_cert(other, ["localhost"], now=at(T0))
    tls.ensure_server_cert(tmp_path, ["localhost"], now=at(T0))
    mine, theirs = tls.HousePaths.of(tmp_path), tls.HousePaths.of(other)
    shutil.copy(theirs.cert, mine.cert)
    shutil.copy(theirs.key, mine.key)
    served = tls.ensure_server_cert(tmp_path, ["localhost"], now=at(T0))
    assert served.renewed == "it was not signed by this house CA"
    verify(mine, "localhost", T0 + dt.timedelta(days=1))


def test_a_damaged_authority_is_an_error_not_replaced(tmp_path: Path):
    tls.init_house(tmp_path, now=at(T0))
    paths = tls.HousePaths.of(tmp_path)
    paths.ca_key.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    with pytest.raises(tls.TlsError, match=r"house CA key .* not a PEM private key"):
        tls.ensure_server_cert(tmp_path, ["localhost"], now=at(T0))
    other = ec.generate_private_key(ec.SECP256R1())
    paths.ca_key.write_bytes(_pem(other))
    with pytest.raises(tls.TlsError, match="does not belong to"):
        tls.init_house(tmp_path, now=at(T0))
    with pytest.raises(tls.TlsError, match="run `auctionmen tls init`"):
        tls.ca_pem(tmp_path / "empty")


@pytest.mark.parametrize(
    "host",
    ["", "a b", "x\x00y", "-bad", "bad-", "a" * 254, "é.local", "a..b", "1.2.3.4/24", 7, None],
)
def test_hostile_hosts_are_refused(host: Any):
    with pytest.raises(tls.TlsError, match="host"):
        tls.check_host(host)


def test_hosts_are_normalised():
    assert tls.check_host("[::1]") == "::1"
    assert tls.check_host("Stage.LAN.") == "stage.lan"
    assert tls.check_host("2001:DB8::0:1") == "2001:db8::1"
    hosts = tls.stage_hosts("127.0.0.1", "Till.local", ["x y", "10.0.0.5", "10.0.0.5"])
    assert hosts == ("10.0.0.5", "127.0.0.1", "::1", "localhost", "till.local")


@pytest.mark.parametrize("name", ["", "   ", "x" * 65, "House\nEvil", "a\x1bb"])
def test_a_bad_house_name_is_refused(tmp_path: Path, name: str):
    with pytest.raises(tls.TlsError, match="house name"):
        tls.init_house(tmp_path, name, now=at(T0))
    assert not tls.HousePaths.of(tmp_path).ca_key.exists()


# -- the house's own certificate ---------------------------------------------------------------


def _pem(key: ec.EllipticCurvePrivateKey, password: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def own_files(folder: Path, days: int = 90, start: dt.datetime = T0) -> tuple[Path, Path]:
    """A self-signed certificate for localhost, as a house's IT might hand over."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "till")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "till.pem", folder / "till.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(_pem(key))
    return cert_path, key_path


def test_the_houses_own_files_are_checked_before_serving(tmp_path: Path):
    cert, key = own_files(tmp_path / "a")
    served = tls.check_files(cert, key, now=at(T0 + dt.timedelta(days=1)))
    assert served.source == "files"
    assert served.hosts == ("localhost",)
    tls.server_context(served)
    other_cert, other_key = own_files(tmp_path / "b")
    cases: list[tuple[Path, Path, str]] = [
        (tmp_path / "missing.pem", key, "tls_cert .*missing.pem: no such file"),
        (cert, tmp_path / "missing.key", "tls_key .*missing.key: no such file"),
        (cert, other_key, "does not belong to tls_cert"),
        (key, key, "not a PEM certificate"),
        (cert, cert, "not a PEM private key"),
        (tmp_path, key, "is a directory"),
    ]
    for c, k, message in cases:
        with pytest.raises(tls.TlsError, match=message):
            tls.check_files(c, k, now=at(T0 + dt.timedelta(days=1)))
    del other_cert
    locked = tmp_path / "locked.key"
    locked.write_bytes(_pem(ec.generate_private_key(ec.SECP256R1()), b"secret"))
    with pytest.raises(tls.TlsError, match="encrypted"):
        tls.check_files(cert, locked, now=at(T0))
    huge = tmp_path / "huge.pem"
    huge.write_bytes(b"A" * 1_000_001)
    with pytest.raises(tls.TlsError, match="larger than 1 MB"):
        tls.check_files(huge, key, now=at(T0))


def test_an_expired_or_future_certificate_is_refused(tmp_path: Path):
    cert, key = own_files(tmp_path, days=90)
    with pytest.raises(tls.TlsError, match="expired on 2027-03-01"):
        tls.check_files(cert, key, now=at(T0 + dt.timedelta(days=91)))
    with pytest.raises(tls.TlsError, match="not valid before 2026-12-01"):
        tls.check_files(cert, key, now=at(T0 - dt.timedelta(days=1)))


# -- the setting ---------------------------------------------------------------------------------


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "stage.toml"
    path.write_text(f"[stage]\n{body}\n", "utf-8")
    return path


def test_https_is_the_default_and_plain_http_a_choice(tmp_path: Path):
    assert StageConfig.load(None, data_dir=tmp_path).tls == "house"
    assert StageConfig.load(None, data_dir=tmp_path, demo=True).tls == "off"
    assert StageConfig.load(None, data_dir=tmp_path, demo=True, tls="house").tls == "house"
    assert StageConfig.load(write(tmp_path, 'tls = "off"')).tls == "off"
    files = StageConfig.load(write(tmp_path, 'tls_cert = "~/c.pem"\ntls_key = "/k.pem"'))
    assert files.tls == "house"
    assert files.tls_cert == Path("~/c.pem").expanduser()
    assert files.tls_key == Path("/k.pem")
    demo_files = StageConfig.load(None, demo=True, tls_cert="c.pem", tls_key="k.pem")
    assert demo_files.tls == "house"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('tls = "on"', "tls 'on': \"house\""),
        ("tls = true", "tls 'True'"),
        ('tls = ""', "tls ''"),
        ('tls_cert = "c.pem"', "tls_cert is set but tls_key is not"),
        ('tls_key = "k.pem"', "tls_key is set but tls_cert is not"),
        ('tls = "off"\ntls_cert = "c"\ntls_key = "k"', "choose one"),
        ('tls_cert = 5\ntls_key = "k"', "tls_cert: the path of a PEM file"),
        ('tls_cert = ""\ntls_key = "k"', "tls_cert: the path of a PEM file"),
        (f'tls_cert = "{"x" * 5000}"\ntls_key = "k"', "tls_cert: the path"),
        ('public_url = "http://192.168.1.5:8765"', "is http:// but the stage serves HTTPS"),
    ],
)
def test_bad_tls_settings_are_clear_errors(tmp_path: Path, toml: str, message: str):
    with pytest.raises(ConfigError, match=message):
        StageConfig.load(write(tmp_path, toml))


# -- a real stage over TLS ---------------------------------------------------------------------


def client_context(data_dir: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=tls.ca_pem(data_dir).decode())
    return context


@pytest.fixture
async def tls_stage(tmp_path: Path) -> AsyncIterator[Stage]:
    config = StageConfig(
        data_dir=tmp_path / "stage", host="127.0.0.1", port=0, demo=True, tls="house"
    )
    stage = Stage(config)
    await stage.start()
    try:
        yield stage
    finally:
        await stage.stop()


def secure_flags(response: aiohttp.ClientResponse) -> dict[str, bool]:
    """Set-Cookie name → whether it carries the Secure attribute."""
    out = {}
    for header in response.headers.getall("Set-Cookie", []):
        name = header.split("=", 1)[0]
        attributes = [part.strip().lower() for part in header.split(";")[1:]]
        out[name] = "secure" in attributes
    return out


async def test_the_stage_serves_https_with_secure_cookies(tls_stage: Stage):
    stage = tls_stage
    assert stage.url.startswith("https://127.0.0.1:")
    assert stage.tls is not None
    assert stage.tls.source == "house"
    assert stage.bidder_link("7001").startswith("https://")
    assert stage.clerk_link().startswith("https://")
    context = client_context(stage.config.data_dir)
    token = stage.issuer.issue("bidder", "demo", paddle="7001")
    connector = aiohttp.TCPConnector(ssl=context)
    async with aiohttp.ClientSession(base_url=stage.url, connector=connector) as http:
        async with http.get("/bid") as r:
            assert r.status == 200
        async with http.post("/api/session", headers=bearer(token)) as r:
            assert r.status == 200
            assert secure_flags(r) == {"mercureAuthorization": True}
        async with http.post("/api/sales/demo/documents/session", headers=bearer(token)) as r:
            assert r.status == 200
            assert secure_flags(r) == {"auctionmenDocuments": True}
        async with http.post(
            "/api/sales/demo/bids", json={"lot": "1", "amount": 50000}, headers=bearer(token)
        ) as r:
            assert r.status < 500  # answered over TLS (the lot is not open yet)


async def test_a_client_not_trusting_the_house_ca_is_refused(tls_stage: Stage):
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await http.get(f"{tls_stage.url}/bid")
    # Plain HTTP on the TLS port gets no page.
    plain = tls_stage.url.replace("https://", "http://")
    async with aiohttp.ClientSession() as http:
        with contextlib.suppress(aiohttp.ClientError):
            async with http.get(f"{plain}/bid") as r:
                assert r.status == 400 or "Auctionmen" not in await r.text()


async def test_over_plain_http_cookies_are_not_secure(stage: Stage):
    assert stage.url.startswith("http://")
    assert stage.tls is None
    token = stage.issuer.issue("bidder", "demo", paddle="7001")
    async with (
        aiohttp.ClientSession(base_url=stage.url) as http,
        http.post("/api/session", headers=bearer(token)) as r,
    ):
        assert secure_flags(r) == {"mercureAuthorization": False}


async def test_a_silent_client_is_cut_at_the_header_deadline_during_the_handshake(
    tmp_path: Path,
):
    """A connection that never sends its TLS hello is closed at the header deadline, not
    after asyncio's 60 s (the guard sees a connection only once its handshake is done)."""
    config = StageConfig(data_dir=tmp_path, port=0, demo=True, tls="house", header_timeout=0.5)
    stage = Stage(config)
    await stage.start()
    try:
        port = int(stage.url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        assert await asyncio.wait_for(reader.read(), timeout=30) == b""  # closed by the server
        writer.close()
    finally:
        await stage.stop()


async def test_a_wrong_key_file_stops_the_stage_before_it_listens(tmp_path: Path):
    cert, _ = own_files(tmp_path / "a", start=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    _, wrong = own_files(tmp_path / "b")
    config = StageConfig(
        data_dir=tmp_path / "d", port=0, demo=True, tls="house", tls_cert=cert, tls_key=wrong
    )
    stage = Stage(config)
    with pytest.raises(tls.TlsError, match="does not belong to tls_cert"):
        await stage.start()
    assert stage.url == ""


# -- the command line ----------------------------------------------------------------------------


@pytest.mark.slow
def test_tls_cli_init_export_and_hostile_input(tmp_path: Path):
    missing = run("tls", "ca-cert", "--data-dir", str(tmp_path))
    assert missing.returncode == 1
    assert "auctionmen tls init" in missing.stderr
    assert "Traceback" not in missing.stderr
    made = run("tls", "init", "--data-dir", str(tmp_path), "--name", "Maison", "--host", "till.lan")
    assert made.returncode == 0, made.stderr
    assert "created the house CA" in made.stdout
    assert "till.lan" in made.stdout
    pem = run("tls", "ca-cert", "--data-dir", str(tmp_path))
    assert pem.returncode == 0
    assert pem.stdout.startswith("-----BEGIN CERTIFICATE-----")
    assert "PRIVATE" not in pem.stdout
    again = run("tls", "init", "--data-dir", str(tmp_path), "--host", "10.9.8.7")
    assert again.returncode == 0
    assert "kept the house CA" in again.stdout
    assert run("tls", "ca-cert", "--data-dir", str(tmp_path)).stdout == pem.stdout
    for hostile in (["--host", "a\nb"], ["--host", "x" * 300], ["--name", "a\x1b[31m"]):
        bad = run("tls", "init", "--data-dir", str(tmp_path), *hostile)
        assert bad.returncode == 1, hostile
        assert "Traceback" not in bad.stderr
        assert bad.stderr.startswith("auctionmen tls init:")


@pytest.mark.slow
def test_serve_refuses_a_missing_key_and_warns_about_plain_http(tmp_path: Path):
    cert, _ = own_files(tmp_path / "own", start=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    args = ["serve", "--demo", "--port", "0", "--data-dir", str(tmp_path / "d")]
    refused = run(*args, "--tls-cert", str(cert), "--tls-key", str(tmp_path / "nope.key"))
    assert refused.returncode == 1
    assert "tls_key" in refused.stderr
    assert "nope.key: no such file" in refused.stderr
    assert "Traceback" not in refused.stderr
    half = run(*args, "--tls-cert", str(cert))
    assert half.returncode == 2
    assert "give both" in half.stderr
    with served(*args, "--tls", "off") as (info, stderr):
        assert info["url"].startswith("http://")
        assert info["tls"] == "off"
        assert info["warning"].startswith("WARNING: plain HTTP")
        assert until(lambda: "room display" in stderr())
        assert "WARNING: plain HTTP" in stderr()
    with served(*args, "--tls", "house") as (info, stderr):
        assert info["url"].startswith("https://")
        assert info["tls"] == "house"
        assert until(lambda: "house CA:     SHA-256" in stderr())
        assert "WARNING: plain HTTP" not in stderr()
        assert info["warning"] is None


def until(condition: Callable[[], bool], timeout: float = 20) -> bool:
    """Poll for output a child process has still to write (never to prove an absence)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@contextlib.contextmanager
def served(*args: str) -> Iterator[tuple[dict[str, Any], Callable[[], str]]]:
    """`auctionmen serve ...` until its "serving" line (the first); yields (that line, a
    function returning the standard error so far)."""
    err: list[str] = []
    proc = subprocess.Popen(
        [str(EXE), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        start_new_session=True,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    reader = threading.Thread(target=lambda: err.extend(proc.stderr or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        info: dict[str, Any] = {}
        while time.monotonic() < deadline and not info:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                raise AssertionError(f"serve exited {proc.returncode}: {''.join(err)}")
            with contextlib.suppress(ValueError):
                info = json.loads(line)
                assert info.get("event") == "serving", info
        assert info, "serve did not report its address"
        threading.Thread(target=lambda: list(proc.stdout or []), daemon=True).start()
        yield info, lambda: "".join(err)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        reader.join(10)  # everything the server wrote before it exited


# -- Chromium trusting the house authority --------------------------------------------------------


def nss_home(tmp_path: Path, ca_pem: bytes | None) -> Path:
    """A HOME whose NSS database (what Chromium on Linux trusts) holds the house CA."""
    home = tmp_path / "home"
    db = home / ".pki" / "nssdb"
    db.mkdir(parents=True)
    certutil = shutil.which("certutil")
    assert certutil, "certutil (libnss3-tools, scripts/setup) is needed"
    subprocess.run([certutil, "-N", "-d", f"sql:{db}", "--empty-password"], check=True)
    if ca_pem is not None:
        ca = tmp_path / "house-ca.pem"
        ca.write_bytes(ca_pem)
        subprocess.run(
            [certutil, "-A", "-d", f"sql:{db}", "-n", "House CA", "-t", "C,,", "-i", str(ca)],
            check=True,
        )
    return home


@contextlib.contextmanager
def chromium(home: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    from pages_harness import CHROMIUM_ARGS

    with sync_playwright() as p:
        env: dict[str, str | float | bool] = {**os.environ, "HOME": str(home)}
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, env=env)
        try:
            yield browser
        finally:
            browser.close()


def token(data_dir: Path, role: str, paddle: str | None = None) -> str:
    args = ["token", "--data-dir", str(data_dir), "--role", role]
    result = run(*args, *(["--paddle", paddle] if paddle else []))
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def wait_text(page: Any, selector: str, text: str) -> None:
    try:
        page.wait_for_function(
            "([s, t]) => (document.querySelector(s)?.textContent ?? '').includes(t)",
            arg=[selector, text],
            timeout=15_000,
        )
    except Exception as exc:  # say what the page showed instead
        shown = page.evaluate("(s) => document.querySelector(s)?.textContent", selector)
        raise AssertionError(f"{selector}: wanted {text!r}, the page shows {shown!r}") from exc


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium is not installed")
def test_chromium_trusting_the_house_ca_bids_over_https(tmp_path: Path):
    data = tmp_path / "data"
    init = run("tls", "init", "--data-dir", str(data), "--name", "Maison Test")
    assert init.returncode == 0, init.stderr
    ca_pem = run("tls", "ca-cert", "--data-dir", str(data)).stdout.encode()
    args = ["serve", "--demo", "--tls", "house", "--port", "0", "--data-dir", str(data)]
    with served(*args) as (info, _), chromium(nss_home(tmp_path, ca_pem)) as browser:
        url = info["url"]
        assert url.startswith("https://")
        clerk = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        # The staff page over https (an auctioneer's token: the clerk role cannot open lots).
        clerk.goto(f"{url}/clerk#token={token(data, 'auctioneer')}")
        wait_text(clerk, "[data-action=next_lot]", "Next: lot 1")
        context = browser.new_context(viewport={"width": 360, "height": 740})
        bidder = context.new_page()
        response = bidder.goto(f"{url}/bid#token={token(data, 'bidder', '7001')}")
        assert response is not None
        assert response.ok
        security = response.security_details()
        assert security is not None
        assert security.get("issuer", "").startswith("Maison Test")
        wait_text(bidder, "#paddle", "Paddle 7001")
        clerk.keyboard.press("n")
        wait_text(bidder, "#bid", "Bid €500")
        bidder.click("#bid")
        wait_text(bidder, "#status", "You are winning")
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["mercureAuthorization"]["secure"] is True
        assert cookies["mercureAuthorization"]["httpOnly"] is True
        shots = ROOT / "artifacts" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        bidder.screenshot(path=str(shots / "tls-bidder-360.png"))
        assert int(bidder.evaluate("document.documentElement.scrollWidth")) <= 360


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's Chromium is not installed")
def test_chromium_without_the_house_ca_refuses_the_stage(tmp_path: Path):
    """The control: the same browser with an empty NSS database does not trust the stage,
    so the test above passes because of the installed authority, not despite it."""
    data = tmp_path / "data"
    args = ["serve", "--demo", "--tls", "house", "--port", "0", "--data-dir", str(data)]
    with served(*args) as (info, _), chromium(nss_home(tmp_path, None)) as browser:
        page = browser.new_page()
        with pytest.raises(Exception, match="ERR_CERT_AUTHORITY_INVALID"):
            page.goto(info["url"] + "/bid")


# -- the console ----------------------------------------------------------------------------------


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_the_console_header_warns_while_the_stage_serves_plain_http(qtbot: Any, tmp_path: Path):
    from app.bridge import CoreBridge
    from app.facade import CoreInfo
    from app.ui.main_window import PLAIN_HTTP, MainWindow
    from hub.gavel import GavelStatus

    window = MainWindow(CoreBridge(), [tmp_path], dialogs=False)
    qtbot.addWidget(window)

    def info(url: str) -> CoreInfo:
        return CoreInfo(
            url, "demo", "123456", f"{url}/bid", f"{url}/clerk", str(tmp_path), GavelStatus.none()
        )

    window.show_address(info("http://192.168.1.5:8765"))
    assert PLAIN_HTTP in window.hub_address.text()
    assert "unencrypted" in window.hub_address.toolTip()
    window.show_address(info("https://192.168.1.5:8765"))
    assert window.hub_address.text() == "https://192.168.1.5:8765   ·   sale demo"
    assert window.hub_address.toolTip() == ""
