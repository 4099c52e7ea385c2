"""The Flask app: four routes, each a thin shell around `payloads` and `review`.

`create_app(settings, lookup)` holds no module-level state: the claim lookup is passed in
(the real `ClaimIndex` under gunicorn, a fake in unit tests). A body that is not an
AdmissionReview, or is too large, gets a 4xx JSON error naming what is wrong.
"""

from __future__ import annotations

from typing import Any

import flask
from werkzeug.exceptions import HTTPException

from webhook import payloads, review
from webhook.index import ClaimLookup
from webhook.settings import MAX_BODY_BYTES, AdmissionSettings


def create_app(settings: AdmissionSettings, lookup: ClaimLookup) -> flask.Flask:
    app = flask.Flask("dnsgate.webhook")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.post("/mutate")
    def mutate() -> Any:
        request = payloads.parse(flask.request.get_data())
        return review.respond(request["uid"], review.mutate(request, settings))

    @app.post("/validate")
    def validate() -> Any:
        request = payloads.parse(flask.request.get_data())
        return review.respond(request["uid"], review.validate(request, settings, lookup))

    @app.get("/healthz")
    def healthz() -> Any:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> Any:
        if lookup.wait_synced(0):
            return {"status": "ok"}
        return {"status": "Service index not synced yet"}, 503

    @app.errorhandler(payloads.BadReview)
    def bad_review(error: payloads.BadReview) -> Any:
        return {"error": str(error)}, 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        return {"error": error.description or error.name}, error.code or 400

    return app
