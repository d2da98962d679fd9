"""Signed webhook deliveries, sent from a background thread so API responses never wait on them."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    guid: str
    event: str
    action: str | None
    payload: dict[str, Any]
    redelivery: bool = False
    status_code: int | None = None  # None until sent (or when it could not be sent)
    error: str | None = None
    delivered_at: float | None = None
    duration: float | None = None
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "guid": self.guid,
            "event": self.event,
            "action": self.action,
            "payload": self.payload,
            "redelivery": self.redelivery,
            "status_code": self.status_code,
            "error": self.error,
            "delivered_at": self.delivered_at,
            "duration": self.duration,
        }


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookSender:
    """Queues deliveries and posts them, in order, to the App's webhook URL."""

    def __init__(
        self,
        secret: str,
        url: str | None,
        check: Callable[[str, dict[str, Any]], None] | None = None,
        timeout: float = 10.0,
        app_id: int = 0,
    ) -> None:
        self.secret = secret
        self.app_id = app_id
        self.url = url
        self.timeout = timeout
        self._check = check
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self.log: list[Delivery] = []
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._run, name="fakehub-webhooks", daemon=True)
        self._thread.start()

    def send(self, event: str, payload: dict[str, Any]) -> Delivery:
        if self._check is not None:
            self._check(event, payload)
        action = payload.get("action")
        delivery = Delivery(
            str(uuid.uuid4()), event, action if isinstance(action, str) else None, payload
        )
        self._enqueue(delivery)
        return delivery

    def redeliver(self, guid: str) -> Delivery:
        """Send a past delivery again with the same GUID, as GitHub's "Redeliver" does."""
        with self._lock:
            original = next((d for d in self.log if d.guid == guid), None)
        if original is None:
            raise KeyError(guid)
        again = Delivery(guid, original.event, original.action, original.payload, redelivery=True)
        self._enqueue(again)
        return again

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery has been attempted; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self.log)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)
        self._session.close()

    def _enqueue(self, delivery: Delivery) -> None:
        with self._lock:
            self._pending += 1
            self.log.append(delivery)
        self._queue.put(delivery)

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            if delivery is None:
                return
            try:
                self._post(delivery)
            finally:
                delivery.done.set()
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _post(self, delivery: Delivery) -> None:
        if not self.url:
            delivery.error = "no webhook URL configured"
            return
        body = json.dumps(delivery.payload).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/fakehub",
            "X-GitHub-Event": delivery.event,
            "X-GitHub-Delivery": delivery.guid,
            "X-GitHub-Hook-ID": "1",
            "X-GitHub-Hook-Installation-Target-Type": "integration",
            "X-GitHub-Hook-Installation-Target-ID": str(self.app_id),
            # GitHub still sends the legacy SHA-1 signature beside the SHA-256 one.
            "X-Hub-Signature": "sha1="
            + hmac.new(self.secret.encode(), body, hashlib.sha1).hexdigest(),
            "X-Hub-Signature-256": sign(self.secret, body),
        }
        started = time.monotonic()
        try:
            response = self._session.post(
                self.url, data=body, headers=headers, timeout=self.timeout
            )
            delivery.status_code = response.status_code
        except requests.RequestException as exc:
            # As on GitHub, a failed delivery is recorded and can be redelivered; nothing retries.
            delivery.error = str(exc)
            log.warning("webhook %s %s failed: %s", delivery.event, delivery.guid, exc)
        delivery.delivered_at = time.time()
        delivery.duration = time.monotonic() - started
