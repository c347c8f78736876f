"""installer/package.py's refusals, without building anything: a version that is not one, a
bundle that says another version, a library no Debian package installed, bad flags."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "installer_package", ROOT / "installer/package.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


package = _load()


def test_the_version_is_pyprojects() -> None:
    import tomllib

    with (ROOT / "pyproject.toml").open("rb") as f:
        assert package.project_version() == tomllib.load(f)["project"]["version"]


@pytest.mark.parametrize(
    "text",
    [
        "",  # no [project]
        "[project]\nname = 'auctionmen'\n",  # no version
        "[project\nversion = '1'",  # not TOML
        "[project]\nversion = 1\n",  # not a string
        "[project]\nversion = 'v1.0'\n",  # Debian wants a digit first
        "[project]\nversion = '1.0; rm -rf /'\n",  # hostile
        "[project]\nversion = '" + "9" * 10 + " 1'\n",  # a space
        "\x00\xff",  # binary
    ],
)
def test_a_pyproject_without_a_usable_version_is_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, "utf-8", errors="surrogateescape")
    with pytest.raises(package.BuildError, match="version"):
        package.project_version(path)


def test_a_missing_pyproject_is_refused(tmp_path: Path) -> None:
    with pytest.raises(package.BuildError, match="no readable"):
        package.project_version(tmp_path / "nope.toml")


def test_a_bundle_that_says_another_version_stops_the_build(tmp_path: Path) -> None:
    bundle = tmp_path / "auctionmen"
    bundle.mkdir()
    exe = bundle / "auctionmen"
    exe.write_text("#!/bin/sh\necho 'auctionmen 0.0.9'\n")
    exe.chmod(0o755)
    package.check_version(bundle, "0.0.9")
    with pytest.raises(package.BuildError, match="stale package metadata"):
        package.check_version(bundle, "1.0")


@pytest.mark.skipif(not Path("/usr/bin/dpkg").exists(), reason="needs dpkg (Debian)")
def test_a_library_no_debian_package_installed_stops_the_build(tmp_path: Path) -> None:
    stray = tmp_path / "libstray.so.1"
    stray.write_bytes(b"\x7fELF")
    libc = next(Path(p) for p in ("/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/libc.so.6"))
    assert package.packages_of({str(libc)}) == {"libc6"}
    with pytest.raises(package.BuildError, match="libstray"):
        package.packages_of({str(libc), str(stray)})


@pytest.mark.parametrize(
    "args",
    [["--compress", "xz"], ["--out"], ["--nonsense"], ["--compress", "gzip", "--compress"]],
)
def test_bad_flags_are_usage_errors(args: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "installer/package.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "usage: installer/build" in out.stderr
