"""The Flask app: two review routes (`/mutate`, `/validate`), each a thin shell around
`payloads` and `review`, and `/healthz`, `/readyz` and `/metrics`.

`create_app(settings, lookup)` holds no module-level state: the claim lookup is passed in
(the real `ClaimIndex` under gunicorn, a fake in unit tests). A body that is not an
AdmissionReview, or is too large, gets a 4xx JSON error naming what is wrong.

With `plain_reviews` (the default), `webhook.plainwsgi` answers the ordinary POSTs to the two
review routes before Flask sees them, with the same answers (`answer` below is shared);
Flask keeps every other route and every unusual request.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import flask
from werkzeug.exceptions import HTTPException

from certs import pki
from dnsgate import domainpolicy
from webhook import metrics, payloads, plainwsgi, review
from webhook.index import ClaimLookup
from webhook.owners import NO_INDEX, OwnersLookup
from webhook.settings import MAX_BODY_BYTES, AdmissionSettings

Decide = Callable[[payloads.AdmissionRequest], review.Verdict]


def answer(endpoint: str, decide: Decide, body: bytes) -> payloads.AdmissionReview:
    """The AdmissionReview answering `body`, counted in the metrics; raises
    `payloads.BadReview` when the body is not one."""
    started = time.perf_counter()
    request = payloads.parse(body)
    verdict = decide(request)
    outcome = "denied" if not verdict.allowed else "patched" if verdict.patch else "allowed"
    metrics.observe(endpoint, request["operation"], outcome, verdict.rules,
                    time.perf_counter() - started)
    return review.respond(request["uid"], verdict)


def create_app(
    settings: AdmissionSettings, lookup: ClaimLookup, *, cert_file: Path | None = None,
    plain_reviews: bool = True,
    policy: Callable[[], domainpolicy.Enforcement] = lambda: domainpolicy.UNENFORCED,
    owners: OwnersLookup = NO_INDEX,
) -> flask.Flask:
    """`policy`: the domain policy in force now (`dnsgate.policywatch.PolicyWatch.current`)."""
    app = flask.Flask("dnsgate.webhook")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    deciders: dict[str, Decide] = {
        "mutate": lambda request: review.mutate(request, settings),
        "validate": lambda request: review.validate(request, settings, lookup, policy(),
                                                    owners),
    }

    def routed(endpoint: str) -> Any:
        flask.g.endpoint = endpoint
        return answer(endpoint, deciders[endpoint], flask.request.get_data())

    @app.post("/mutate")
    def mutate() -> Any:
        return routed("mutate")

    @app.post("/validate")
    def validate() -> Any:
        return routed("validate")

    @app.get("/healthz")
    def healthz() -> Any:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> Any:
        if cert_file is not None and not _certificate_usable(cert_file):
            return {"status": f"serving certificate {cert_file} missing or expired"}, 503
        if lookup.wait_synced(0):
            return {"status": "ok"}
        return {"status": "Service index not synced yet"}, 503

    @app.get("/metrics")
    def prometheus() -> Any:
        return flask.Response(metrics.exposition(), content_type=metrics.CONTENT_TYPE)

    @app.errorhandler(payloads.BadReview)
    def bad_review(error: payloads.BadReview) -> Any:
        _count_bad_request()
        return {"error": str(error)}, 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        _count_bad_request()
        return {"error": error.description or error.name}, error.code or 400

    if plain_reviews:
        reviews = {endpoint: functools.partial(answer, endpoint, decide)
                   for endpoint, decide in deciders.items()}
        app.wsgi_app = plainwsgi.ReviewRoutes(  # type: ignore[method-assign]
            app.wsgi_app, reviews, app.json, app.logger)
    return app


def _count_bad_request() -> None:
    metrics.bad_request(flask.g.get("endpoint") or flask.request.path.strip("/"))


def _certificate_usable(path: Path) -> bool:
    try:
        certificate = pki.KeyPair(path.read_bytes(), b"").cert
    except (OSError, ValueError):
        return False
    return certificate.not_valid_before_utc <= pki.now() < certificate.not_valid_after_utc
