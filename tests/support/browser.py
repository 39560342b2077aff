"""Headless Chromium for the dashboard test: Debian's package, installed by CI when missing."""

from __future__ import annotations

import os
import shutil
import subprocess


def chromium() -> tuple[str | None, str]:
    """The browser's path, or ``None`` and the reason it is absent.

    On CI (``CI=true``, root, apt available) a missing browser is installed from Debian's
    packages first, so a clean machine runs the browser test instead of skipping it.
    """
    found = _which()
    if found or not _may_install():
        return found, "headless Chromium is not installed (Debian package `chromium`)"
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            return None, f"installing chromium failed: {done.stderr.strip()[-300:]}"
    return _which(), "chromium was installed but is not on PATH"


def _which() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _may_install() -> bool:
    return (
        os.environ.get("CI", "").lower() == "true"
        and shutil.which("apt-get") is not None
        and os.geteuid() == 0
    )
