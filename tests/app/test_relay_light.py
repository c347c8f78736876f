"""The RELAY light follows the stage's link to a real relay node: connected, then down."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.formatting import relay_light

T = 15_000


class NodeThread:
    """A relay node (no Redis: local history) on its own loop, like a machine in the cloud."""

    def __init__(self, public_pem: bytes) -> None:
        from hub.relay.node import RelayConfig, RelayNode

        self.loop = asyncio.new_event_loop()
        self.node = RelayNode(RelayConfig(stage_public_pem=public_pem, port=0))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.node.start(), self.loop).result(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.node.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def relayed(tmp_path: Path, qapp, qtbot) -> Iterator[tuple]:
    from app.bridge import CoreBridge
    from app.facade import CoreThread
    from app.main import image_dirs
    from app.ui.main_window import MainWindow
    from hub.config import StageConfig
    from hub.gateway.tokens import load_or_create_key, public_pem

    data = tmp_path / "data"
    node = NodeThread(public_pem(load_or_create_key(data)))
    bridge = CoreBridge()
    core = CoreThread(
        StageConfig(data_dir=data, port=0, demo=True, relay_url=node.node.url),
        on_records=bridge.on_records,
        on_gavel=bridge.on_gavel,
    )
    info = core.start()
    bridge.attach(core)
    win = MainWindow(bridge, image_dirs(data), dialogs=False)
    qtbot.addWidget(win)
    win.show_core(info)
    try:
        yield win, node
    finally:
        win.close()
        bridge.detach()
        core.stop()
        if node.thread.is_alive():
            node.stop()


def test_relay_light_shows_the_link(relayed, qtbot):
    win, node = relayed
    qtbot.waitUntil(lambda: win.relay_light.level == "ok", timeout=T)
    assert win.relay_light.detail.text().startswith("lag 0")
    node.stop()
    qtbot.waitUntil(lambda: win.relay_light.level in ("warn", "bad"), timeout=T)


def test_relay_light_words():
    assert relay_light(None) == ("off", "not configured")
    up = SimpleNamespace(
        connected=True, state="connected", reason=None, lag=3, queued=1, remote_bidders=12
    )
    assert relay_light(up) == ("ok", "lag 3 · queued 1 · 12 remote")
    down = SimpleNamespace(
        connected=False,
        state="reconnecting",
        reason="connection refused",
        lag=9,
        queued=9,
        remote_bidders=0,
    )
    assert relay_light(down) == ("warn", "reconnecting: connection refused")
    fenced = SimpleNamespace(
        connected=False, state="refused", reason="stale epoch", lag=0, queued=0, remote_bidders=0
    )
    assert relay_light(fenced)[0] == "bad"
