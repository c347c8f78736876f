"""nginx with the nchan module as a benchmark peer (C, event-driven, one worker).

The bench writes its own ``nginx.conf`` into a temp dir and runs nginx as a child on loopback
(``daemon off``, its own prefix, pid and logs): never the system service. One worker process
(the hub is one process too), the same listen backlog as ours (4096), subscribers on
``/sub`` (EventSource; ``Last-Event-ID`` resumes from nchan's message buffer), publishing by
``POST /pub`` (the body is the event's data). Debian: ``nginx-light`` + ``libnginx-mod-nchan``.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

from tests.bench.fanout.common import Child, Children, free_port, pin, wait_port

NCHAN_MODULE = Path("/usr/lib/nginx/modules/ngx_nchan_module.so")
INSTALL = "sudo apt-get install -y nginx-light libnginx-mod-nchan"
SUB_PATH = "/sub"
PUB_PATH = "/pub"
BACKLOG = 4096  # as hub.mercure.listen.DEFAULT_BACKLOG


def missing() -> str | None:
    """Why nchan cannot run here (with the command that fixes it), or None."""
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        return f"nginx is not installed ({INSTALL})"
    if not NCHAN_MODULE.exists():
        return f"the nchan module {NCHAN_MODULE} is missing ({INSTALL})"
    return None


def nginx() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def config(prefix: Path, port: int, buffer: int = 10_000, backlog: int = BACKLOG) -> str:
    """An nginx.conf for one nchan channel, everything under ``prefix``."""
    channel = (
        f"nchan_channel_id room; nchan_message_buffer_length {buffer}; nchan_message_timeout 1h;"
    )
    return f"""
load_module {NCHAN_MODULE};
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 65536; multi_accept on; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  server {{
    listen 127.0.0.1:{port} backlog={backlog};
    location = {SUB_PATH} {{
      nchan_subscriber eventsource; nchan_subscriber_first_message newest; {channel}
    }}
    location = {PUB_PATH} {{ nchan_publisher; {channel} }}
  }}
}}
"""


class Nchan:
    """A running nginx-nchan: ``port``, ``worker`` (the pid that holds the subscribers)."""

    def __init__(self, master: Child, port: int, worker: int) -> None:
        self.master = master
        self.port = port
        self.worker = worker

    @classmethod
    async def start(
        cls, children: Children, tmp: Path, cpu: int | None, backlog: int = BACKLOG
    ) -> Nchan:
        why = missing()
        if why:
            raise RuntimeError(why)
        prefix = tmp / "nchan"
        prefix.mkdir(exist_ok=True)
        port = free_port()
        conf = prefix / "nginx.conf"
        conf.write_text(config(prefix, port, backlog=backlog))
        argv = [nginx(), "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(conf)]
        master = children.add(await Child.spawn("nginx", argv, stderr=prefix / "stderr"))
        await wait_port(port, 30, master)
        worker = await _worker(master.pid, 30.0)
        pin(master.pid, cpu)
        pin(worker, cpu)
        return cls(master, port, worker)


def _children(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()


async def _worker(pid: int, limit_s: float) -> int:
    """The worker of an nginx master with one worker process (it listens before forking)."""
    deadline = time.monotonic() + limit_s
    while True:
        kids = _children(pid)
        if len(kids) == 1:
            return int(kids[0])
        if time.monotonic() > deadline:
            raise RuntimeError(f"nginx {pid} has {len(kids)} workers, expected one")
        await asyncio.sleep(0.05)
