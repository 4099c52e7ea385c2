# dnsgate's two entry points: `make demo` and `make test`. Both set up everything they need
# on a fresh machine: the virtualenv, pinned Python packages, the control plane binaries
# and Helm (built once from the Go module proxy into ~/.cache/dnsgate), and for `make test`
# the image for amd64 and arm64 (built once per source change by buildah; README says what
# that installs and registers on the machine).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: all install controlplane gatewayapi node helm oracle externaldns image image-background lint typecheck unit test demo dev clean bench bench-tools

all: test

$(INSTALLED): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dnsgate needs Python 3.11+; set PYTHON=/path/to/python3.11")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(INSTALLED)

controlplane: install
	$(PY) -m devstack.build

# The Gateway API's CRDs (devstack/gatewayapi.py), fetched once from the Go module proxy
# into ~/.cache/dnsgate at the release ExternalDNS v0.23.0 builds against; the tests and the
# demo install them into their apiserver.
gatewayapi: install
	$(PY) -m devstack.gatewayapi

# The real node the install tests run the manifests' pods on (devstack/node/): Debian's
# containerd, runc and CNI plugins (apt-get, when missing), and kubelet, kube-controller-manager,
# kube-scheduler and the pause binary, built once into ~/.cache/dnsgate beside kube-apiserver.
node: controlplane
	$(PY) -m devstack.node.build

# Helm, for the chart's tests (helm lint, template, install against the test apiserver).
helm: install
	$(PY) -m devstack.helm

# ExternalDNS's own registry and plan, built per release (devstack/oracle.py): the tests
# compare dnsgate's decisions with it.
oracle: install
	$(PY) -m devstack.oracle

# The image from the Dockerfile, for linux/amd64 and linux/arm64, as the manifest list
# localhost/dnsgate:dev in the storage under ~/.cache/dnsgate/containers
# (devstack/imagebuild.py). `image-background` starts the same build detached, so the arm64
# build under QEMU overlaps the Go builds; `image` then waits for it.
image: install
	$(PY) -m devstack.imagebuild

image-background: install
	$(PY) -m devstack.imagebuild --background

# The same releases as whole `external-dns` binaries (devstack/externaldns.py), after the
# oracle so Go's build cache already holds what the two share: the round-trip tests hand
# zones between them and dnsgate.
externaldns: install oracle
	$(PY) -m devstack.externaldns

lint: install
	$(VENV)/bin/ruff check .

typecheck: install
	$(VENV)/bin/mypy

unit: install
	$(PY) -m pytest tests -m "not e2e"

test: install image-background controlplane gatewayapi node helm oracle externaldns image lint typecheck
	$(PY) -m pytest

demo: install controlplane gatewayapi
	$(PY) -m devstack.demo

dev: install controlplane
	$(PY) -m devstack

clean:
	rm -rf $(VENV) .dnsgate-dev .pytest_cache .mypy_cache .ruff_cache

# Benchmarks (BENCHMARKS.md): builds oha and ExternalDNS once into ~/.cache/dnsgate, then
# runs every scenario at full scale. SCENARIOS= picks some, SCALES= the settings
# (e.g. SCALES="5k 20k"); BENCHMARKS.md says how long each takes.
bench-tools:
	bench/setup.sh || echo "bench: a tool did not build; the tables say which and why"

SCALES ?= full

bench: install controlplane bench-tools
	$(PY) -m bench $(SCENARIOS) --scale $(SCALES)
