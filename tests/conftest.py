"""Suite-wide settings: headless Qt, no stray network, shared fixtures."""

from __future__ import annotations

import os

# Qt must never look for a display in tests; set before anything imports PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")
