# One slim, non-root image for both deployables: `dnsgate webhook` and `dnsgate reconcile`.
# Dependencies are installed from the same constraints.txt the tests run against, so the
# image runs the tested set; every one of them has a wheel for linux/amd64 and linux/arm64,
# so `docker buildx build --platform linux/amd64,linux/arm64` compiles nothing (README).
#
# BASE defaults to the official image, pinned to an exact Python patch release and Debian
# release. `make image` passes a base made from Debian's own packages instead, where no
# registry is reachable (docs/container-image.md, "A base from Debian's packages").
ARG BASE=python:3.11.11-slim-bookworm

# Dependencies first, from pyproject.toml and constraints.txt alone: a change to dnsgate's
# source leaves these layers cached on every architecture (docs/container-image.md, "Layer
# order").
FROM ${BASE} AS deps
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/dnsgate
COPY pyproject.toml constraints.txt ./
# Runtime dependencies only (no dev extra): flask, gunicorn, kubernetes, boto3, cryptography,
# jsonpatch, prometheus-client, idna, at the versions pinned in constraints.txt; and what
# building dnsgate's own wheel needs, so the source layer below reaches no index.
RUN python -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb")); \
print("\n".join(p["project"]["dependencies"] + p["build-system"]["requires"]))' \
        > requirements.txt \
    && /opt/dnsgate/bin/pip install -c constraints.txt -r requirements.txt

# dnsgate itself, installed under /app as if it were / (pip's --root), so the final stage
# copies only dnsgate's files over the dependencies instead of the whole virtualenv again.
FROM deps AS build
COPY README.md ./
COPY dnsgate ./dnsgate
COPY webhook ./webhook
COPY reconciler ./reconciler
COPY certs ./certs
RUN /opt/dnsgate/bin/pip install --no-deps --no-build-isolation --root /app .

FROM ${BASE}
COPY --from=deps /opt/dnsgate /opt/dnsgate
COPY --from=build /app/ /
ENV PATH=/opt/dnsgate/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# 65532 is the conventional "nonroot" uid; the manifests run with it and a read-only root.
USER 65532:65532
ENTRYPOINT ["dnsgate"]
CMD ["--help"]
