"""Running the stand-in: a werkzeug threaded server, in-process or from the command line."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from fakehub.app import wsgi_app
from fakehub.hooks import Conformance
from fakehub.hub import Hub


class FakeHubServer:
    """A stand-in listening on `host:port` (port 0: any free port), serving from a thread."""

    def __init__(
        self,
        state_dir: Path,
        port: int = 0,
        host: str = "127.0.0.1",
        webhook_url: str | None = None,
        conformance: Conformance | None = None,
    ) -> None:
        # werkzeug logs every request at INFO; the request log already records them.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.hub = Hub(state_dir, webhook_url=webhook_url, conformance=conformance)
        self.app = wsgi_app(self.hub)
        self._server: BaseWSGIServer = make_server(host, port, self.app, threaded=True)
        self.port = self._server.server_port
        # Set before anything renders a URL: every URL in a response names this address.
        self.hub.urls = type(self.hub.urls)(f"http://{host}:{self.port}")
        self.hub.write_credentials()
        self._thread: threading.Thread | None = None

    def start(self) -> FakeHubServer:
        # A short poll interval makes shutdown quick (tests start and stop one per test).
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fakehub-http", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.hub.webhooks.close()

    def __enter__(self) -> FakeHubServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
