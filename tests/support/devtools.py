"""Headless Chromium driven over the DevTools protocol, through a pipe (no WebSocket client, no
Playwright): enough to open a page, type into a field, click a button as a person would (mouse
events at the element's centre, no script run in the page), read the DOM and take screenshots.

Chromium's ``--remote-debugging-pipe`` reads commands on fd 3 and writes answers on fd 4, each
JSON message ended by a NUL byte.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import itertools
import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"  # 4.14.1
SERIOUS = frozenset({"serious", "critical"})


class DevToolsError(RuntimeError):
    pass


class Page:
    """One tab, attached with a flat session."""

    def __init__(self, browser: Browser, session_id: str) -> None:
        self.browser, self.session_id = browser, session_id

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return self.browser.send(method, params, session_id=self.session_id)

    def _loaded(self, since: int, timeout: float) -> None:
        self.browser.wait_for("Page.loadEventFired", self.session_id, since, timeout)

    def open(self, url: str, timeout: float = 30) -> None:
        mark = self.browser.mark()
        answer = self.send("Page.navigate", url=url)
        if answer.get("errorText"):
            raise DevToolsError(f"{url}: {answer['errorText']}")
        self._loaded(mark, timeout)

    def reload(self, timeout: float = 30) -> None:
        mark = self.browser.mark()
        self.send("Page.reload", ignoreCache=True)
        self._loaded(mark, timeout)

    def _node(self, selector: str) -> int:
        root = self.send("DOM.getDocument", depth=0)["root"]["nodeId"]
        node: int = self.send("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        if not node:
            raise DevToolsError(f"nothing matches {selector!r} in {self.url()}")
        return node

    def type(self, selector: str, text: str) -> None:
        self.send("DOM.focus", nodeId=self._node(selector))
        self.send("Input.insertText", text=text)

    def choose(self, selector: str, value: str) -> None:
        """Choose ``value`` in the select ``selector`` (as a person picks it; no page script)."""
        option = self._node(f'{selector} option[value="{value}"]')
        self.send("DOM.setAttributeValue", nodeId=option, name="selected", value="")

    def click(self, selector: str, *, navigates: bool = True, timeout: float = 30) -> None:
        node = self._node(selector)
        self.send("DOM.scrollIntoViewIfNeeded", nodeId=node)
        quad = self.send("DOM.getBoxModel", nodeId=node)["model"]["content"]
        x, y = sum(quad[0::2]) / 4, sum(quad[1::2]) / 4
        mark = self.browser.mark()
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
        if navigates:
            self._loaded(mark, timeout)

    def html(self) -> str:
        root = self.send("DOM.getDocument", depth=0)["root"]["nodeId"]
        html: str = self.send("DOM.getOuterHTML", nodeId=root)["outerHTML"]
        return html

    def url(self) -> str:
        return str(self.send("DOM.getDocument", depth=0)["root"]["documentURL"])

    def screenshot(
        self, path: Path, *, width: int, height: int, mobile: bool, at: str | None = None
    ) -> Path:
        """The viewport at this size (scrolled to ``at`` if given) as a PNG file."""
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width, height=height, deviceScaleFactor=1, mobile=mobile,
        )  # fmt: skip
        if at is not None:
            self.send("DOM.scrollIntoViewIfNeeded", nodeId=self._node(at))
        shot = self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def accessibility_violations(self, impacts: frozenset[str] = SERIOUS) -> list[str]:
        """axe-core's violations of ``impacts`` on the page as it is (vendored, checked by hash;
        evaluated over DevTools, so the page's own policy still allows it no script)."""
        source = AXE.read_bytes()
        if hashlib.sha256(source).hexdigest() != AXE_SHA256:
            raise DevToolsError(f"{AXE} is not the recorded axe-core (see its README.md)")
        self.send("Runtime.evaluate", expression=source.decode())
        found = self.send(
            "Runtime.evaluate",
            expression="axe.run(document, {resultTypes: ['violations']}).then(r => "
            "r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, "
            "nodes: v.nodes.map(n => n.target.join(' '))})))",
            awaitPromise=True, returnByValue=True,
        )  # fmt: skip
        if "exceptionDetails" in found:
            raise DevToolsError(f"axe-core failed: {found['exceptionDetails']}")
        return [
            f"{v['impact']} {v['id']}: {v['help']} ({', '.join(v['nodes'][:5])})"
            for v in found["result"]["value"]
            if v["impact"] in impacts
        ]

    def console_errors(self) -> list[str]:
        """Messages the browser logged as errors (a refused style sheet, a CSP violation)."""
        return [
            e["params"]["entry"]["text"]
            for e in self.browser.events_of("Log.entryAdded", self.session_id)
            if e["params"]["entry"]["level"] == "error"
        ]


class Browser:
    def __init__(self, process: subprocess.Popen[bytes], commands: int, answers: int) -> None:
        self.process, self._commands = process, commands
        self._ids = itertools.count(1)
        self._answers: dict[int, dict[str, Any]] = {}
        self._events: list[dict[str, Any]] = []
        self._arrived: queue.Queue[None] = queue.Queue()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, args=(answers,), daemon=True)
        self._reader.start()

    def _read(self, fd: int) -> None:
        buffer = b""
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for raw in messages:
                    message = json.loads(raw)
                    with self._lock:
                        if "id" in message:
                            self._answers[message["id"]] = message
                        else:
                            self._events.append(message)
                    self._arrived.put(None)

    def _wait(self, found: Any, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                result = found()
            if result is not None:
                return result
            left = deadline - time.monotonic()
            if left <= 0 or self.process.poll() is not None:
                raise DevToolsError(f"no {what} within {timeout} s")
            with suppress(queue.Empty):
                self._arrived.get(timeout=min(left, 0.5))

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session_id: str | None = None,
        timeout: float = 30,
    ) -> dict[str, Any]:  # fmt: skip
        command_id = next(self._ids)
        message: dict[str, Any] = {"id": command_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        answer: dict[str, Any] = self._wait(
            lambda: self._answers.pop(command_id, None), timeout, f"answer to {method}"
        )
        if "error" in answer:
            raise DevToolsError(f"{method}: {answer['error']}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    def mark(self) -> int:
        with self._lock:
            return len(self._events)

    def events_of(self, method: str, session_id: str, since: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [
                e for e in self._events[since:]
                if e["method"] == method and e.get("sessionId") == session_id
            ]  # fmt: skip

    def wait_for(self, method: str, session_id: str, since: int, timeout: float) -> None:
        def found() -> bool | None:
            return (
                any(
                    e["method"] == method and e.get("sessionId") == session_id
                    for e in self._events[since:]
                )
                or None
            )

        self._wait(found, timeout, method)

    def new_page(self) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        page = Page(self, session["sessionId"])
        for domain in ("Page.enable", "DOM.enable", "Log.enable"):
            page.send(domain)
        return page


@contextmanager
def headless_chromium(path: str, profile: Path) -> Iterator[Browser]:
    """A headless Chromium of its own profile, closed after."""
    commands_read, commands_write = os.pipe()
    answers_read, answers_write = os.pipe()

    def onto_fds_3_and_4() -> None:
        # Copies above any fd the child holds, then onto 3 and 4 (where Chromium looks).
        commands = fcntl.fcntl(commands_read, fcntl.F_DUPFD, 100)
        answers = fcntl.fcntl(answers_write, fcntl.F_DUPFD, 100)
        os.dup2(commands, 3)
        os.dup2(answers, 4)

    process = subprocess.Popen(
        [path, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--remote-debugging-pipe", f"--user-data-dir={profile}", "--no-first-run",
         "--no-default-browser-check", "--lang=en-US", "about:blank"],
        pass_fds=(3, 4), preexec_fn=onto_fds_3_and_4,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(commands_read)
    os.close(answers_write)
    browser = Browser(process, commands_write, answers_read)
    try:
        yield browser
    finally:
        with suppress(DevToolsError):
            browser.send("Browser.close", timeout=10)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        os.close(commands_write)
