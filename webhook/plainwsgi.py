"""A plain WSGI callable for the ordinary review request, in front of the Flask app.

Nearly every request kube-apiserver makes is a POST of a JSON body with a Content-Length to
/validate or /mutate. For those, Flask's request and response objects, URL routing and
context push are most of the time spent outside the review itself, so `ReviewRoutes` reads
the body and answers with the same `webhook.app.answer` the Flask views use, encoded by the app's
own JSON provider: the same bytes, status and headers as Flask's answer.

Anything else goes to Flask untouched: other paths and methods, bodies without a
Content-Length (chunked) or larger than `MAX_BODY_BYTES` (Flask's 413), and a body shorter
than its Content-Length (handed on as received, so Flask reports it as it would have). So
every unusual request keeps the answer tests/admission pins down for Flask.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import InternalServerError

from webhook import metrics, payloads
from webhook.settings import MAX_BODY_BYTES

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask.json.provider import JSONProvider

Review = Callable[[bytes], payloads.AdmissionReview]
"""The answer to a body, counted in the metrics (`app.answer` for one endpoint); raises
`payloads.BadReview` when the body is not an AdmissionReview."""
JSON_HEADER = ("Content-Type", "application/json")


class ReviewRoutes:
    def __init__(self, flask_app: WSGIApplication, reviews: Mapping[str, Review],
                 json: JSONProvider, logger: logging.Logger) -> None:
        """`reviews`: endpoint name ("validate") -> its review; its path is "/" + name."""
        self._flask = flask_app
        self._routes = {f"/{endpoint}": (endpoint, answer)
                        for endpoint, answer in reviews.items()}
        self._json = json
        self._logger = logger

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        route = self._routes.get(environ.get("PATH_INFO", ""))
        length = _content_length(environ)
        if (route is None or environ.get("REQUEST_METHOD") != "POST" or length is None
                or "HTTP_TRANSFER_ENCODING" in environ):
            return self._flask(environ, start_response)
        body = environ["wsgi.input"].read(length) if length else b""
        if len(body) != length:
            environ["wsgi.input"] = io.BytesIO(body)
            return self._flask(environ, start_response)
        endpoint, answer = route
        try:
            return self._reply(start_response, "200 OK", answer(body))
        except payloads.BadReview as error:
            metrics.bad_request(endpoint)
            return self._reply(start_response, "400 BAD REQUEST", {"error": str(error)})
        except Exception:
            # What Flask does with an exception in a view: log it, answer 500.
            self._logger.error("Exception on %s [POST]", environ["PATH_INFO"], exc_info=True)
            metrics.bad_request(endpoint)
            return self._reply(start_response, "500 INTERNAL SERVER ERROR",
                               {"error": InternalServerError.description})

    def _reply(self, start_response: StartResponse, status: str, document: Any
               ) -> list[bytes]:
        # Flask's jsonify: its provider's dumps, compact, with a final newline.
        data = (self._json.dumps(document, separators=(",", ":")) + "\n").encode()
        start_response(status, [JSON_HEADER, ("Content-Length", str(len(data)))])
        return [data]


def _content_length(environ: Mapping[str, Any]) -> int | None:
    """The body's declared length when it is one Flask would read; else None."""
    text = environ.get("CONTENT_LENGTH") or ""
    if not text.isdigit():
        return None
    length = int(text)
    return length if length <= MAX_BODY_BYTES else None
