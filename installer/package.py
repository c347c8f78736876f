"""Builds the PyInstaller bundle and the Debian package (run by `installer/build`).

    installer/build [--out DIR] [--work DIR] [--reuse-bundle] [--compress gzip|none]

The version comes from one place, pyproject.toml's `version`: the package is stamped with it
and the build fails if the bundle's `auctionmen --version` says anything else (an editable
install whose metadata is older than pyproject.toml: run ./scripts/setup again).

Libraries from Debian packages are left out of the bundle (see the spec); the package
depends on the packages that hold the ones the bundle links to, found with `ldd` over every
ELF file of the bundle and `dpkg -S`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "installer"
DEBIAN = HERE / "debian"
NAME = "auctionmen"
PREFIX = Path("opt") / NAME

# Not found by ldd but needed at run time: fonts and their configuration for Qt and WeasyPrint
# (a library loaded with dlopen is not in any ELF file's needs).
ALWAYS = ("fontconfig", "fonts-dejavu-core", "libpango-1.0-0", "libpangoft2-1.0-0")


class BuildError(Exception):
    """The build cannot go on; the message says why."""


def project_version(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """pyproject.toml's `version`: the one place the version is written."""
    try:
        with pyproject.open("rb") as f:
            version = tomllib.load(f)["project"]["version"]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise BuildError(f"{pyproject}: no readable [project] version ({exc})") from None
    # Debian's rule for an upstream version (it must start with a digit).
    if not isinstance(version, str) or not re.fullmatch(r"[0-9][A-Za-z0-9.+~-]*", version):
        raise BuildError(f"{pyproject}: version {version!r} is not a package version")
    return version


def build_bundle(work: Path) -> Path:
    """PyInstaller's onedir bundle under work/dist/auctionmen (its cache under work/pyinstaller)."""
    env = dict(os.environ, AUCTIONMEN_SYSTEM_LIBS="debian")
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN"]
    cmd += ["--workpath", str(work / "pyinstaller"), "--distpath", str(work / "dist")]
    subprocess.run([*cmd, str(HERE / f"{NAME}.spec")], check=True, cwd=ROOT, env=env)
    return work / "dist" / NAME


def check_version(bundle: Path, version: str) -> None:
    out = subprocess.run(
        [str(bundle / NAME), "--version"], capture_output=True, text=True, check=False
    )
    said = (out.stdout or out.stderr).strip()
    if said != f"{NAME} {version}":
        raise BuildError(
            f"the bundle says {said!r}, pyproject.toml says {version!r} "
            "(stale package metadata? run ./scripts/setup)"
        )


def _elf_files(bundle: Path) -> list[Path]:
    out = []
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as f:
                if f.read(4) == b"\x7fELF":
                    out.append(path)
    return out


def system_libraries(bundle: Path) -> tuple[set[str], set[str]]:
    """(libraries outside the bundle that its ELF files load, names ldd could not find)."""
    dirs = sorted({str(p.parent) for p in bundle.rglob("*.so*")})
    env = dict(os.environ, LD_LIBRARY_PATH=":".join(dirs))
    found: set[str] = set()
    missing: set[str] = set()
    files = [str(p) for p in _elf_files(bundle)]

    def ldd(chunk: list[str]) -> str:
        return subprocess.run(["ldd", *chunk], capture_output=True, text=True, env=env).stdout

    chunks = [files[i :: os.cpu_count() or 2] for i in range(os.cpu_count() or 2)]
    with ThreadPoolExecutor(len(chunks)) as pool:
        outputs = list(pool.map(ldd, chunks))
    for out in outputs:
        for line in out.splitlines():
            m = re.match(r"\s+(\S+) => (\S+)", line)
            if not m:
                continue
            name, where = m.groups()
            if where == "not":
                missing.add(name)
            elif not where.startswith(str(bundle)):
                found.add(where)
    return found, missing


def packages_of(paths: set[str]) -> set[str]:
    """The Debian packages that installed these files (either spelling of merged /usr)."""
    spellings: dict[str, str] = {}
    for path in paths:
        real = os.path.realpath(path)
        for s in (path, real, real.removeprefix("/usr"), "/usr" + real):
            spellings[s] = path
    out = subprocess.run(["dpkg", "-S", *spellings], capture_output=True, text=True).stdout
    owners: dict[str, str] = {}
    for line in out.splitlines():
        pkgs, _, path = line.partition(": ")
        if path in spellings and "," not in pkgs and not pkgs.startswith("diversion"):
            owners[spellings[path]] = pkgs.split(":")[0]
    unowned = paths - owners.keys()
    if unowned:
        raise BuildError(f"libraries no Debian package installed: {sorted(unowned)}")
    return set(owners.values())


def depends(bundle: Path) -> tuple[str, set[str]]:
    """The Depends field and the library names no installed package provides (for the log)."""
    libs, missing = system_libraries(bundle)
    pkgs = packages_of(libs) | set(ALWAYS)
    glibc = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Version}", "libc6"], capture_output=True, text=True
    ).stdout
    upstream = glibc.split("-")[0]
    fields = [f"libc6 (>= {upstream})" if p == "libc6" else p for p in sorted(pkgs)]
    return ", ".join(fields), missing


def _copy_tree(src: Path, dest: Path) -> None:
    """Hard links where the file system allows (fast), copies otherwise."""
    try:
        shutil.copytree(src, dest, symlinks=True, copy_function=os.link)
    except OSError:
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(src, dest, symlinks=True)


def _install(src: Path, dest: Path, mode: int = 0o644) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    dest.chmod(mode)


def stage_tree(bundle: Path, root: Path) -> None:
    """The package's files under root (what dpkg will install)."""
    shutil.rmtree(root, ignore_errors=True)
    (root / PREFIX).parent.mkdir(parents=True)
    _copy_tree(bundle, root / PREFIX)
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin" / NAME).symlink_to(f"/{PREFIX}/{NAME}")
    usr = root / "usr/share"
    _install(DEBIAN / f"{NAME}.desktop", usr / "applications" / f"{NAME}.desktop")
    _install(DEBIAN / f"{NAME}.svg", usr / "icons/hicolor/scalable/apps" / f"{NAME}.svg")
    _install(DEBIAN / "README.Debian", usr / "doc" / NAME / "README.Debian")
    _install(ROOT / "README.md", usr / "doc" / NAME / "README.md")
    _install(
        DEBIAN / "60-auctionmen-gavel.rules",
        root / "usr/lib/udev/rules.d/60-auctionmen-gavel.rules",
    )
    for unit in ("auctionmen-stage.service", "auctionmen-relay.service"):
        _install(DEBIAN / unit, root / "usr/lib/systemd/system" / unit)
    for name in ("auctionmen-stage", "auctionmen-relay"):
        _install(DEBIAN / f"default-{name}", root / "etc/default" / name)


def _size_kib(root: Path) -> int:
    return sum(p.lstat().st_size for p in root.rglob("*")) // 1024 + 1


def control(root: Path, version: str, deps: str) -> None:
    meta = root / "DEBIAN"
    meta.mkdir()
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    text = (DEBIAN / "control.in").read_text("utf-8")
    for key, value in {
        "VERSION": version,
        "ARCH": arch,
        "SIZE": str(_size_kib(root)),
        "DEPENDS": deps,
    }.items():
        text = text.replace(f"@{key}@", value)
    (meta / "control").write_text(text, "utf-8")
    (meta / "conffiles").write_text(
        "/etc/default/auctionmen-stage\n/etc/default/auctionmen-relay\n", "utf-8"
    )
    for script in ("postinst", "prerm", "postrm"):
        _install(DEBIAN / script, meta / script, 0o755)


def build_deb(root: Path, out: Path, version: str, compress: str = "gzip") -> Path:
    arch = (root / "DEBIAN/control").read_text("utf-8").split("Architecture: ")[1].split()[0]
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"{NAME}_{version}_{arch}.deb"
    # gzip -1: 40 % of the size in a few CPU seconds; xz would take minutes for a little less.
    # "none" (the test's choice): the same files, no compression time.
    level = ["-Zgzip", "-z1"] if compress == "gzip" else ["-Znone"]
    cmd = ["dpkg-deb", "--root-owner-group", *level, "--build", str(root), str(deb)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="installer/build", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the .deb goes")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "installer")
    parser.add_argument(
        "--reuse-bundle", action="store_true", help="package the last bundle as it is"
    )
    parser.add_argument(
        "--compress", choices=["gzip", "none"], default="gzip", help="the .deb's compression"
    )
    ns = parser.parse_args(argv)
    work, out = ns.work.resolve(), ns.out.resolve()
    try:
        version = project_version()
        started = time.monotonic()
        bundle = work / "dist" / NAME
        if not (ns.reuse_bundle and bundle.is_dir()):
            bundle = build_bundle(work)
        built = time.monotonic()
        check_version(bundle, version)
        deps, missing = depends(bundle)
        root = work / "deb"
        stage_tree(bundle, root)
        control(root, version, deps)
        deb = build_deb(root, out, version, ns.compress)
    except BuildError as exc:
        print(f"installer/build: {exc}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as exc:
        print(f"installer/build: {' '.join(map(str, exc.cmd[:4]))}… failed", file=sys.stderr)
        return 1
    done = time.monotonic()
    size = sum(p.lstat().st_size for p in bundle.rglob("*") if not p.is_symlink())
    print(f"bundle {bundle}: {size / 2**20:.0f} MiB, built in {built - started:.0f} s")
    print(f"Depends: {deps}")
    if missing:
        print(f"not on this machine (optional Qt plugins): {', '.join(sorted(missing))}")
    print(f"{deb}: {deb.stat().st_size / 2**20:.0f} MiB, packaged in {done - built:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
