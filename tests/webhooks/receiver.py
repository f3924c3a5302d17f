"""A webhook receiver on a real socket (http.server in a thread), as a reseller's PSA would run
one: it answers with the codes it is told to, in turn, and its handler verifies each request's
signature with the `standardwebhooks` library and processes each event id once."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self, *, answers=(), secret: str = ""):
        self.answers = list(answers)  # status codes to answer in turn; then 200
        self.secret = secret
        self.requests: list[dict] = []  # every request: headers and body
        self.handled: list[dict] = []  # events processed (verified, first time per id)
        self.rejected: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append({"headers": headers, "body": body})
                status = receiver.answers.pop(0) if receiver.answers else 200
                if 200 <= status < 300:
                    status = receiver.handle(body, headers)
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else b"try again later")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/portal"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def handle(self, body: bytes, headers: dict) -> int:
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError as exc:
            self.rejected.append(str(exc))
            return 401
        if any(e["id"] == payload["id"] for e in self.handled):
            return 200  # a redelivery of an event already processed
        self.handled.append(payload)
        return 204

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]
