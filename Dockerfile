# One slim, non-root image for both deployables: `dnsgate webhook` and `dnsgate reconcile`.
# Dependencies are installed from the same constraints.txt the tests run against, so the
# image runs the tested set; every one of them has a wheel for linux/amd64 and linux/arm64,
# so `docker buildx build --platform linux/amd64,linux/arm64` compiles nothing (README).
# Base pinned to an exact Python patch release and Debian release.
FROM python:3.11.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/dnsgate
COPY pyproject.toml constraints.txt README.md ./
COPY dnsgate ./dnsgate
COPY webhook ./webhook
COPY reconciler ./reconciler
COPY certs ./certs
# Runtime dependencies only (no dev extra): flask, gunicorn, kubernetes, boto3, cryptography,
# jsonpatch, prometheus-client, at the versions pinned in constraints.txt.
RUN /opt/dnsgate/bin/pip install -c constraints.txt .

FROM python:3.11.11-slim-bookworm
COPY --from=build /opt/dnsgate /opt/dnsgate
ENV PATH=/opt/dnsgate/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# 65532 is the conventional "nonroot" uid; the manifests run with it and a read-only root.
USER 65532:65532
ENTRYPOINT ["dnsgate"]
CMD ["--help"]
