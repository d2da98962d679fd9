"""A webhook endpoint for tests and the demo: records each delivery exactly as it arrived."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]  # lower-case names, as gidgethub's `Event.from_http` expects
    body: bytes

    @property
    def event(self) -> str:
        return self.headers.get("x-github-event", "")

    @property
    def guid(self) -> str:
        return self.headers.get("x-github-delivery", "")


class WebhookReceiver:
    """Listens on a free port; `url` is where to point the App's webhooks."""

    def __init__(self, host: str = "127.0.0.1", status: int = 202) -> None:
        self.status = status
        self.received: list[Received] = []
        self._cond = threading.Condition()
        # Cleared by `hold()`: deliveries then wait, as if the App's server were slow.
        self._open = threading.Event()
        self._open.set()
        self._server: BaseWSGIServer = make_server(host, 0, self._app, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}/webhooks/github"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        item = Received({k.lower(): v for k, v in request.headers.items()}, request.get_data())
        self._open.wait(timeout=30)
        with self._cond:
            self.received.append(item)
            self._cond.notify_all()
        return Response("", status=self.status)(environ, start_response)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until at least `count` deliveries have arrived; returns them all."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.received) >= count, timeout):
                raise TimeoutError(f"{len(self.received)} of {count} webhooks arrived")
            return list(self.received)

    def hold(self) -> None:
        """Make deliveries wait for `release()` before they are answered."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._open.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
