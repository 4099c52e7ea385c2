#!/usr/bin/env bash
# Install the benchmark's outside tools, once, into the same cache as the control plane
# (~/.cache/dnsgate or $DNSGATE_CACHE): the load generator oha (crates.io) and two
# ExternalDNS releases (Go module proxy) to compare against. Re-running is a no-op.
#
# oha: its fixed-rate mode (-q) keeps the offered load constant, so latency percentiles
# are not distorted by coordinated omission the way a closed-loop client's are.
#
# ExternalDNS is built from a small wrapper module (as devstack/build.py builds
# kube-apiserver) rather than `go install pkg@version`, because `go install` cannot take
# replace directives and v0.23.0 needs some: the module proxy this was measured behind
# answers "403 This module version is not available" for four of its pinned dependencies
# (github.com/openshift/api and client-go at their 2026-08 pseudo-versions,
# github.com/exoscale/egoscale/v3 v3.1.50, github.com/civo/civogo v0.7.3), all only used by
# providers/sources the benchmark does not run. The wrapper replaces them with versions the
# proxy serves: the openshift pair ExternalDNS v0.21.0 pins (2025-10; the 2023 pair v0.14.2
# pins does not compile against structured-merge-diff/v6), egoscale v3.1.30, civogo v0.7.2. v0.23.0 declares `go 1.27.0`; GOTOOLCHAIN=auto lets the local
# go fetch that toolchain from the module proxy. v0.14.2 is the release the seed runs.
set -euo pipefail

CACHE="${DNSGATE_CACHE:-$HOME/.cache/dnsgate}"
OHA_VERSION="${OHA_VERSION:-1.16.0}"
# Not EXTERNAL_DNS_*: dnsgate refuses an EXTERNAL_DNS_ variable that names no flag.
BENCH_EXTERNAL_DNS_VERSIONS="${BENCH_EXTERNAL_DNS_VERSIONS:-v0.23.0 v0.14.2}"
SKIP_OHA="${SKIP_OHA:-}"

log() { printf 'bench/setup: %s\n' "$*" >&2; }

install_oha() {
    local root="$CACHE/oha-$OHA_VERSION"
    if [[ -x "$root/bin/oha" ]]; then
        log "oha $OHA_VERSION already in $root"
        return
    fi
    command -v cargo >/dev/null || { log "cargo not found: install Rust (https://rustup.rs)"; return 1; }
    log "building oha $OHA_VERSION with cargo (a few minutes, once)"
    cargo install oha --version "$OHA_VERSION" --locked --root "$root"
}

# Extra lines for the wrapper's go.mod, per release.
replaces() {
    case "$1" in
        v0.23.0) cat <<'REPLACE'
replace (
	github.com/civo/civogo => github.com/civo/civogo v0.7.2
	github.com/exoscale/egoscale/v3 => github.com/exoscale/egoscale/v3 v3.1.30
	github.com/openshift/api => github.com/openshift/api v0.0.0-20251015095338-264e80a2b6e7
	github.com/openshift/client-go => github.com/openshift/client-go v0.0.0-20251015124057-db0dee36e235
)
REPLACE
        ;;
    esac
}

install_external_dns() {
    local version="$1" dir="$CACHE/external-dns-$1"
    if [[ -x "$dir/external-dns" ]]; then
        log "external-dns $version already in $dir"
        return
    fi
    command -v go >/dev/null || { log "go not found: install Go (https://go.dev/doc/install)"; return 1; }
    mkdir -p "$dir/src"
    # The wrapper declares the release's own go version, so GOTOOLCHAIN=auto switches to it.
    local gomod go_version
    gomod=$(go mod download -json "sigs.k8s.io/external-dns@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    go_version=$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$gomod" | head -1)
    {
        printf 'module dnsgate.dev/external-dns\n\ngo %s\n\nrequire sigs.k8s.io/external-dns %s\n\n' \
            "$go_version" "$version"
        replaces "$version"
    } >"$dir/src/go.mod"
    log "building external-dns $version from the Go module proxy (several minutes, once)"
    # A failed build leaves its log beside the binary's place; the bench tables quote it.
    if ! (cd "$dir/src" && GOTOOLCHAIN=auto CGO_ENABLED=0 GOFLAGS=-mod=mod \
        go build -trimpath -o "$dir/.external-dns.partial" sigs.k8s.io/external-dns) \
        >"$dir/build.log" 2>&1; then
        log "external-dns $version did not build; see $dir/build.log"
        tail -20 "$dir/build.log" >&2
        return 1
    fi
    mv "$dir/.external-dns.partial" "$dir/external-dns"
    log "built external-dns $version -> $dir/external-dns"
}

status=0
[[ -n "$SKIP_OHA" ]] || install_oha || status=1
for version in $BENCH_EXTERNAL_DNS_VERSIONS; do
    install_external_dns "$version" || status=1
done
exit $status
