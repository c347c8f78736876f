"""Issue 17: every listening socket (stage, standalone hub, relay node) has the backlog asked.

The backlog is read back from the kernel: `ss -ltn` shows a listening socket's backlog as its
Send-Q. Bad settings are refused with a sentence, on the config file and the command line.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

import pytest

from hub.config import ConfigError as StageConfigError
from hub.config import StageConfig
from hub.mercure.__main__ import main as hub_main
from hub.mercure.__main__ import start_standalone
from hub.mercure.config import ConfigError, HubConfig, conformance_config
from hub.mercure.listen import DEFAULT_BACKLOG, check_backlog, listen_backlog, somaxconn
from hub.relay import cli as relay_cli
from hub.stage import Stage
from tests.relay.conftest import NodeFactory

pytestmark = pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2)")

BAD = [0, -1, True, "4096", 4.5, None, 1 << 21, 10**30]


def backlog_of(port: int) -> int:
    """The kernel's backlog of the socket listening on `port` (ss: Send-Q of a LISTEN row)."""
    out = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split() for line in out.splitlines() if line.startswith("LISTEN")]
    assert len(rows) == 1, out
    return int(rows[0][2])


def expected(asked: int) -> int:
    cap = somaxconn()
    return min(asked, cap) if cap else asked


async def test_the_standalone_hub_listens_with_the_backlog_asked() -> None:
    for asked in (DEFAULT_BACKLOG, 777):
        runner, port = await start_standalone(conformance_config(listen_backlog=asked))
        try:
            assert backlog_of(port) == expected(asked)
        finally:
            await runner.cleanup()
    assert expected(DEFAULT_BACKLOG) > 128  # aiohttp's default, which overflowed (issue 17)


async def test_a_relay_node_listens_with_the_backlog_asked(make_node: NodeFactory) -> None:
    default = await make_node()
    asked = await make_node(listen_backlog=555)
    assert backlog_of(int(default.url.rsplit(":", 1)[1])) == expected(DEFAULT_BACKLOG)
    assert backlog_of(int(asked.url.rsplit(":", 1)[1])) == 555


async def test_the_stage_listens_with_the_backlog_asked(stage: Stage, tmp_path: Path) -> None:
    assert backlog_of(int(stage.url.rsplit(":", 1)[1])) == expected(DEFAULT_BACKLOG)
    config = StageConfig(
        data_dir=tmp_path / "other", host="127.0.0.1", port=0, demo=True, listen_backlog=333
    )
    other = Stage(config)
    await other.start()
    try:
        assert backlog_of(int(other.url.rsplit(":", 1)[1])) == 333
    finally:
        await other.stop()


def test_a_backlog_above_somaxconn_is_capped_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cap = tmp_path / "somaxconn"
    cap.write_text("128\n")
    with caplog.at_level(logging.WARNING, logger="hub.mercure"):
        assert listen_backlog(4096, cap_path=cap) == 128
    assert "net.core.somaxconn = 128" in caplog.text
    caplog.clear()
    assert listen_backlog(100, cap_path=cap) == 100
    assert not caplog.records  # below the cap: nothing to say
    # Unreadable or garbage: no cap known, the request stands.
    for content in ("", "lots", "-5", "9" * 5000):
        cap.write_text(content)
        assert somaxconn(cap) is None
        assert listen_backlog(4096, cap_path=cap) == 4096
    assert somaxconn(tmp_path / "missing") is None


@pytest.mark.parametrize("bad", BAD)
def test_a_bad_backlog_setting_is_refused_with_a_reason(bad: object, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="listen_backlog"):
        check_backlog(bad)
    with pytest.raises(ConfigError, match="listen_backlog"):
        HubConfig(listen_backlog=bad)  # type: ignore[arg-type]
    if bad is not None:  # an override of None means "not given" to StageConfig.load
        with pytest.raises(StageConfigError, match="listen_backlog"):
            StageConfig.load(data_dir=tmp_path, listen_backlog=bad)
    toml = tmp_path / "hub.toml"
    toml.write_text(f"listen_backlog = {bad!r}\n".replace("True", "true").replace("None", '""'))
    with pytest.raises((ConfigError, ValueError)):
        HubConfig.from_file(toml)


@pytest.mark.parametrize("flag", ["0", "-3", "abc", "", "1e3", "٣", "9" * 5000, "2097152"])
def test_a_bad_backlog_flag_is_refused_on_the_command_line(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as hub_exit:
        hub_main(["--conformance", "--backlog", flag])
    assert hub_exit.value.code == 2
    assert "--backlog" in capsys.readouterr().err
    with pytest.raises(SystemExit) as relay_exit:
        relay_cli.main(["--stage-key", str(tmp_path / "stage.pem"), "--backlog", flag])
    assert relay_exit.value.code == 2
    assert "--backlog" in capsys.readouterr().err
