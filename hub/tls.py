"""HTTPS on the sale-room LAN: the house's own certificate, or a small house authority.

Staff tokens, the clerk PIN and bidders' session cookies cross the venue's network between
the stage and the floor terminals; over plain HTTP anyone on the same Wi-Fi reads them. So
the stage serves HTTPS unless the house says `tls = "off"`. Two ways to a certificate:

- **The house's own** (`tls_cert`, `tls_key`): PEM files, e.g. from the house's IT. They are
  checked before the stage listens (readable, PEM, the key matches, not expired), so a wrong
  file is a clear error at start rather than a browser warning later.
- **The house authority** (`auctionmen tls init`, or the first start with `tls = "house"`): a
  CA key and certificate made once and kept in `<data dir>/tls/` (0600), and a server
  certificate it signs for the stage's addresses and names. The house installs the CA
  certificate on its terminals once (docs/OPERATIONS.md); the server certificate is renewed
  at start whenever the stage's addresses changed or it is within `RENEW_BEFORE` of expiry.
  The CA is name-constrained to private networks and local names (plus what the house names
  at `tls init`), so a copy of its key cannot impersonate a public site to a terminal that
  trusts it.

The clock is an input (`now`), so renewal and expiry are tested without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import json
import logging
import os
import socket
import ssl
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

log = logging.getLogger("auctionmen.tls")

Clock = Callable[[], dt.datetime]
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

TLS_MODES = ("house", "off")
CA_DAYS = 3650  # the house installs its CA once: ten years
LEAF_DAYS = 397  # what browsers accept for a server certificate (Apple caps at 825)
RENEW_BEFORE = dt.timedelta(days=30)
MAX_HOSTS = 64

# What the house CA may sign for: private and local addresses and local names.
PRIVATE_NETWORKS = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "100.64.0.0/10",  # carrier-grade NAT, overlay VPNs
    "::1/128",
    "fc00::/7",
    "fe80::/10",
)
LOCAL_NAMES = ("localhost", "local", "lan", "home.arpa", "internal")


class TlsError(RuntimeError):
    """A certificate or key that cannot be used; the message says which file and why."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class HousePaths:
    """Where the house authority lives in a data dir."""

    folder: Path

    @classmethod
    def of(cls, data_dir: Path) -> HousePaths:
        return cls(Path(data_dir) / "tls")

    @property
    def ca_key(self) -> Path:
        return self.folder / "house-ca.key"

    @property
    def ca_cert(self) -> Path:
        return self.folder / "house-ca.pem"

    @property
    def key(self) -> Path:
        return self.folder / "stage.key"

    @property
    def cert(self) -> Path:
        return self.folder / "stage.pem"

    @property
    def settings(self) -> Path:
        return self.folder / "house.json"


@dataclass(frozen=True, slots=True)
class Served:
    """The certificate the stage serves, for its startup output."""

    cert: Path
    key: Path
    source: str  # "house" or "files"
    fingerprint: str  # SHA-256 of the served certificate
    not_after: dt.datetime
    hosts: tuple[str, ...]  # what the certificate names
    ca_fingerprint: str | None = None  # the house CA's (what terminals check at install)
    renewed: str | None = None  # why the server certificate was just (re)issued


# -- hosts ------------------------------------------------------------------------------------


def check_host(raw: object) -> str:
    """One address or host name a certificate may name, normalised; TlsError if not."""
    if not isinstance(raw, str) or not raw or len(raw) > 253:
        raise TlsError(f"host {str(raw)[:60]!r}: an IP address or a host name")
    text = raw.strip().strip("[]").lower()
    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(text))
    labels = text.rstrip(".").split(".")
    ok = all(
        0 < len(label) <= 63
        and label.isascii()
        and all(c.isalnum() or c == "-" for c in label)
        and not label.startswith("-")
        and not label.endswith("-")
        for label in labels
    )
    if not ok or not text:
        raise TlsError(f"host {raw[:60]!r}: an IP address or a host name (letters, digits, -, .)")
    return ".".join(labels)


def _outbound_address() -> str | None:
    """The address this machine would use towards the LAN (a UDP connect sends nothing)."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("10.255.255.255", 9))
        return str(s.getsockname()[0])
    return None


def machine_hosts() -> list[str]:
    """This machine's names and addresses as the terminals may reach it."""
    found: list[str] = []
    name = socket.gethostname()
    if name:
        found += [name, f"{name.split('.')[0]}.local"]
        with contextlib.suppress(OSError):
            found += socket.gethostbyname_ex(name)[2]
    outbound = _outbound_address()
    if outbound:
        found.append(outbound)
    return found


def stage_hosts(
    host: str, public_url_host: str | None = None, extra: Iterable[str] = ()
) -> tuple[str, ...]:
    """Every name the server certificate must carry: loopback, where the stage listens
    (every address of this machine when it listens on all of them), the public URL's host,
    and the house's extra names. Sorted and deduplicated; unusable names are skipped."""
    wanted = ["localhost", "127.0.0.1", "::1", *extra]
    if host in ("", "0.0.0.0", "::"):
        wanted += machine_hosts()
    else:
        wanted.append(host)
    if public_url_host:
        wanted.append(public_url_host)
    out: set[str] = set()
    for item in wanted:
        with contextlib.suppress(TlsError):
            out.add(check_host(item))
    return tuple(sorted(out))[:MAX_HOSTS]


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


# -- files ------------------------------------------------------------------------------------


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically, readable by this user only (0600) from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        path.parent.chmod(0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _read(path: Path, what: str) -> bytes:
    try:
        if path.stat().st_size > 1_000_000:
            raise TlsError(f"{what} {path}: larger than 1 MB, not a PEM file")
        return path.read_bytes()
    except FileNotFoundError:
        raise TlsError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise TlsError(f"{what} {path}: is a directory, not a file") from None
    except OSError as exc:
        raise TlsError(f"{what} {path}: cannot read it ({exc.strerror})") from None


def load_certs(path: Path, what: str = "certificate") -> list[x509.Certificate]:
    data = _read(path, what)
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        certs = []
    if not certs:
        raise TlsError(f"{what} {path}: not a PEM certificate (-----BEGIN CERTIFICATE-----)")
    return certs


def load_key(path: Path, what: str = "key") -> CertificateIssuerPrivateKeyTypes:
    data = _read(path, what)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise TlsError(f"{what} {path}: the key is encrypted; give an unencrypted key") from None
    except (ValueError, UnsupportedAlgorithm):
        raise TlsError(
            f"{what} {path}: not a PEM private key (-----BEGIN PRIVATE KEY-----)"
        ) from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | _rsa_type()):
        raise TlsError(f"{what} {path}: an RSA or EC key is needed")
    return key  # type: ignore[return-value]


def _rsa_type() -> type:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.RSAPrivateKey


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate, as browsers and certutil show it (AB:CD:...)."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def cert_hosts(cert: x509.Certificate) -> tuple[str, ...]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    names = [str(v) for v in san.get_values_for_type(x509.IPAddress)]
    return tuple(sorted(names + list(san.get_values_for_type(x509.DNSName))))


# -- the house authority -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HouseSettings:
    name: str = "Auctionmen house"
    hosts: tuple[str, ...] = ()  # names and addresses the house added at `tls init`


def read_settings(paths: HousePaths) -> HouseSettings:
    try:
        raw = json.loads(paths.settings.read_text("utf-8"))
        return HouseSettings(str(raw["name"]), tuple(check_host(h) for h in raw["hosts"]))
    except (OSError, ValueError, KeyError, TypeError, TlsError):
        return HouseSettings()


def check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 64:
        raise TlsError("the house name: 1 to 64 characters")
    if not name.isprintable():
        raise TlsError("the house name: no control characters")
    return name.strip()


def _constraints(extra: Iterable[str]) -> x509.NameConstraints:
    permitted: list[x509.GeneralName] = [
        x509.IPAddress(ipaddress.ip_network(n)) for n in PRIVATE_NETWORKS
    ]
    names = list(LOCAL_NAMES)
    for host in extra:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            names.append(host)
        else:
            if not any(address in ipaddress.ip_network(n) for n in PRIVATE_NETWORKS):
                permitted.append(x509.IPAddress(ipaddress.ip_network(address)))
    permitted += [x509.DNSName(n) for n in dict.fromkeys(names)]
    return x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None)


def permitted(ca: x509.Certificate, host: str) -> bool:
    """Whether the CA's name constraints allow a certificate naming `host`."""
    try:
        nc = ca.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return True
    subtrees = nc.permitted_subtrees or []
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        dns = [str(s.value) for s in subtrees if isinstance(s, x509.DNSName)]
        return any(host == d or host.endswith("." + d) for d in dns)
    nets = [s.value for s in subtrees if isinstance(s, x509.IPAddress)]
    return any(isinstance(n, IpNetwork) and address in n for n in nets)


def _make_ca(name: str, extra: Iterable[str], now: dt.datetime) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{name} certificate authority"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
        ]
    )
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(_constraints(extra), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _pem_key(key), cert.public_bytes(serialization.Encoding.PEM)


def _make_leaf(
    ca_key: CertificateIssuerPrivateKeyTypes,
    ca: x509.Certificate,
    name: str,
    hosts: Iterable[str],
    now: dt.datetime,
) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    # The common name is not a host name (browsers read only the alternative names).
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Auctionmen stage"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
        ]
    )
    not_after = min(now + dt.timedelta(days=LEAF_DAYS), ca.not_valid_after_utc)
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([_san(h) for h in hosts]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return _pem_key(key), cert.public_bytes(serialization.Encoding.PEM)


def _load_ca(paths: HousePaths) -> tuple[CertificateIssuerPrivateKeyTypes, x509.Certificate]:
    if not paths.ca_cert.exists() and not paths.ca_key.exists():
        raise TlsError(
            f"no house certificate authority in {paths.folder}: run `auctionmen tls init`"
        )
    ca = load_certs(paths.ca_cert, "house CA certificate")[0]
    key = load_key(paths.ca_key, "house CA key")
    if key.public_key() != ca.public_key():
        raise TlsError(f"house CA key {paths.ca_key} does not belong to {paths.ca_cert}")
    return key, ca


def init_house(
    data_dir: Path,
    name: str | None = None,
    hosts: Iterable[str] = (),
    now: Clock = utcnow,
) -> tuple[bool, HousePaths]:
    """Create the house authority if there is none (never replace one: terminals trust it),
    and remember the house's extra hosts. Returns (created?, paths)."""
    paths = HousePaths.of(data_dir)
    known = read_settings(paths)
    extra = tuple(dict.fromkeys([*known.hosts, *(check_host(h) for h in hosts)]))
    if len(extra) > MAX_HOSTS:
        raise TlsError(f"at most {MAX_HOSTS} hosts")
    created = not (paths.ca_cert.exists() or paths.ca_key.exists())
    if created:
        house = check_name(name) if name is not None else known.name
        key_pem, cert_pem = _make_ca(house, [*extra, *machine_hosts()], now())
        _write_private(paths.ca_key, key_pem)
        _write_private(paths.ca_cert, cert_pem)
    else:
        _, ca = _load_ca(paths)  # a damaged authority is an error, not replaced
        house = known.name if name is None else check_name(name)
        refused = [h for h in extra if not permitted(ca, h)]
        if refused:
            raise TlsError(
                f"the house CA cannot sign for {', '.join(refused)} (it was made for private "
                "networks and local names); remove the tls folder and run `tls init` with "
                "these hosts to make a new one, then install it on the terminals again"
            )
    settings = {"name": house, "hosts": list(extra)}
    _write_private(paths.settings, json.dumps(settings, indent=1).encode())
    return created, paths


def renewal_reason(
    cert: x509.Certificate, ca: x509.Certificate, hosts: Iterable[str], now: dt.datetime
) -> str | None:
    """Why the server certificate must be issued again, or None if it serves."""
    if cert.issuer != ca.subject:
        return "it was not signed by this house CA"
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return "it was not signed by this house CA"
    if now >= cert.not_valid_after_utc - RENEW_BEFORE:
        return f"it expires on {cert.not_valid_after_utc:%Y-%m-%d}"
    missing = set(hosts) - set(cert_hosts(cert))
    if missing:
        return f"it does not name {', '.join(sorted(missing))}"
    return None


def ensure_server_cert(
    data_dir: Path, hosts: Iterable[str], now: Clock = utcnow, create: bool = True
) -> Served:
    """The house server certificate for `hosts`, issued again if it is missing, damaged,
    near expiry, from another CA or lacks a host. Creates the authority first when there is
    none and `create` (the first start of a stage with `tls = "house"`)."""
    paths = HousePaths.of(data_dir)
    if create and not (paths.ca_cert.exists() or paths.ca_key.exists()):
        init_house(data_dir, now=now)
    ca_key, ca = _load_ca(paths)
    settings = read_settings(paths)
    wanted = sorted({*hosts, *settings.hosts})
    usable = [h for h in wanted if permitted(ca, h)]
    for host in sorted(set(wanted) - set(usable)):
        log.warning("the house CA cannot sign for %s (not a private address or local name)", host)
    at = now()
    reason: str | None
    try:
        current = load_certs(paths.cert)[0]
        key = load_key(paths.key)
        if key.public_key() != current.public_key():
            raise TlsError("the key does not match")
        reason = renewal_reason(current, ca, usable, at)
    except TlsError as exc:
        reason = "there is none" if not paths.cert.exists() else f"it is unusable ({exc})"
    if reason is not None:
        key_pem, cert_pem = _make_leaf(ca_key, ca, settings.name, usable, at)
        _write_private(paths.key, key_pem)
        _write_private(paths.cert, cert_pem)
        log.info("issued the stage's certificate for %s: %s", ", ".join(usable), reason)
        current = load_certs(paths.cert)[0]
    return Served(
        cert=paths.cert,
        key=paths.key,
        source="house",
        fingerprint=fingerprint(current),
        not_after=current.not_valid_after_utc,
        hosts=cert_hosts(current),
        ca_fingerprint=fingerprint(ca),
        renewed=reason,
    )


def ca_pem(data_dir: Path) -> bytes:
    """The house CA certificate (public: what terminals install)."""
    paths = HousePaths.of(data_dir)
    _load_ca(paths)
    return paths.ca_cert.read_bytes()


# -- the server side --------------------------------------------------------------------------


def check_files(cert_path: Path, key_path: Path, now: Clock = utcnow) -> Served:
    """The house's own certificate and key, checked: PEM, matching, within validity."""
    certs = load_certs(cert_path, "tls_cert")
    key = load_key(key_path, "tls_key")
    leaf = certs[0]
    if key.public_key() != leaf.public_key():
        raise TlsError(
            f"tls_key {key_path} does not belong to tls_cert {cert_path} "
            "(the first certificate in the file must be the server's)"
        )
    at = now()
    if at >= leaf.not_valid_after_utc:
        raise TlsError(f"tls_cert {cert_path} expired on {leaf.not_valid_after_utc:%Y-%m-%d}")
    if at < leaf.not_valid_before_utc:
        raise TlsError(
            f"tls_cert {cert_path} is not valid before {leaf.not_valid_before_utc:%Y-%m-%d}"
        )
    if at >= leaf.not_valid_after_utc - RENEW_BEFORE:
        log.warning(
            "tls_cert %s expires on %s: ask for a new one",
            cert_path,
            f"{leaf.not_valid_after_utc:%Y-%m-%d}",
        )
    return Served(
        cert=cert_path,
        key=key_path,
        source="files",
        fingerprint=fingerprint(leaf),
        not_after=leaf.not_valid_after_utc,
        hosts=cert_hosts(leaf),
    )


def server_context(served: Served) -> ssl.SSLContext:
    """A TLS 1.2+ server context serving `served`'s certificate chain."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(served.cert, served.key)
    except (ssl.SSLError, OSError) as exc:
        raise TlsError(f"cannot serve {served.cert} with {served.key}: {exc}") from None
    return context


LISTEN_BACKLOG = 4096  # hub.mercure.listen.DEFAULT_BACKLOG (this module imports no hub part)


class TlsSite(web.TCPSite):
    """`web.TCPSite` whose TLS handshakes must finish within `handshake_timeout` (asyncio's
    default is 60 s): the guard (hub/gateway/server.py) first sees a connection when its
    handshake is done, so a client that never sends its hello is cut by this deadline.
    Its listen backlog defaults to `LISTEN_BACKLOG`, not aiohttp's 128 (a reconnection storm
    overflows 128: hub/mercure/listen.py; the stage passes its `listen_backlog` setting)."""

    def __init__(self, *args: object, handshake_timeout: float = 10.0, **kwargs: object) -> None:
        kwargs.setdefault("backlog", LISTEN_BACKLOG)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._handshake_timeout = handshake_timeout

    async def start(self) -> None:
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        self._server = await loop.create_server(
            server,
            self._host,
            self._port,
            ssl=self._ssl_context,
            ssl_handshake_timeout=self._handshake_timeout if self._ssl_context else None,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )
        self._bound_port = self._server.sockets[0].getsockname()[1]


def stage_tls(
    mode: str,
    data_dir: Path,
    cert: Path | None,
    key: Path | None,
    hosts: Iterable[str],
    now: Clock = utcnow,
) -> tuple[ssl.SSLContext, Served] | None:
    """What the stage serves: None for plain HTTP (`mode == "off"`), else the context and
    the certificate (the house's files when given, else the house authority's)."""
    if mode == "off":
        return None
    if cert is not None and key is not None:
        served = check_files(Path(cert), Path(key), now)
    else:
        served = ensure_server_cert(data_dir, hosts, now)
    return server_context(served), served


__all__ = [
    "TLS_MODES",
    "HousePaths",
    "Served",
    "TlsError",
    "TlsSite",
    "ca_pem",
    "check_files",
    "check_host",
    "ensure_server_cert",
    "init_house",
    "permitted",
    "renewal_reason",
    "server_context",
    "stage_hosts",
    "stage_tls",
]
