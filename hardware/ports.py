"""Port discovery for the settings dialog: users pick "Arduino Leonardo (2341:8036)", never
type COM7."""

from __future__ import annotations

from dataclasses import dataclass

from serial.tools import list_ports as _list_ports


@dataclass(frozen=True, slots=True)
class PortInfo:
    spec: str  # what to put in the config / pass to open_source
    name: str  # device path: /dev/ttyACM0, COM7
    description: str
    vid_pid: str | None  # "2341:8036" (lower-case hex), None for non-USB ports
    serial_number: str | None = None
    manufacturer: str | None = None

    @property
    def label(self) -> str:
        vp = f" ({self.vid_pid})" if self.vid_pid else ""
        return f"{self.name} — {self.description}{vp}"


def list_ports(*, usb_only: bool = False) -> list[PortInfo]:
    """Serial ports, USB ones first, then by name."""
    out: list[PortInfo] = []
    for p in _list_ports.comports():
        vid_pid = f"{p.vid:04x}:{p.pid:04x}" if p.vid is not None and p.pid is not None else None
        if usb_only and vid_pid is None:
            continue
        desc = p.description if p.description and p.description != "n/a" else p.device
        out.append(
            PortInfo(f"serial:{p.device}", p.device, desc, vid_pid, p.serial_number, p.manufacturer)
        )
    out.sort(key=lambda i: (i.vid_pid is None, i.name))
    return out


def list_hid_devices() -> list[PortInfo]:
    """HID devices if hidapi is installed, else an empty list (HID stays optional)."""
    from .hid_source import HidUnavailable, import_hid

    try:
        hid = import_hid()
        devices = hid.enumerate()
    except (HidUnavailable, OSError):
        return []
    seen: set[str] = set()
    out: list[PortInfo] = []
    for d in devices:
        vid_pid = f"{d['vendor_id']:04x}:{d['product_id']:04x}"
        if vid_pid in seen:  # one row per device, not per interface
            continue
        seen.add(vid_pid)
        desc = " ".join(x for x in (d.get("manufacturer_string"), d.get("product_string")) if x)
        path = d.get("path", b"")
        name = path.decode(errors="replace") if isinstance(path, bytes) else str(path)
        out.append(PortInfo(f"hid:{vid_pid}", name, desc or "HID device", vid_pid))
    return out
