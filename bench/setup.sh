#!/usr/bin/env bash
# Install the benchmark's outside tools, once, into the same cache as the control plane
# (~/.cache/dnsgate or $DNSGATE_CACHE): the load generator oha (crates.io) and two
# ExternalDNS releases (Go module proxy) to compare against. Re-running is a no-op.
#
# oha: its fixed-rate mode (-q) keeps the offered load constant, so latency percentiles
# are not distorted by coordinated omission the way a closed-loop client's are.
# ExternalDNS v0.23.0 declares `go 1.27.0`; GOTOOLCHAIN=auto lets the local go fetch that
# toolchain from the module proxy. v0.14.2 is the release the seed cluster runs.
set -euo pipefail

CACHE="${DNSGATE_CACHE:-$HOME/.cache/dnsgate}"
OHA_VERSION="${OHA_VERSION:-1.16.0}"
EXTERNAL_DNS_VERSIONS="${EXTERNAL_DNS_VERSIONS:-v0.23.0 v0.14.2}"

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

install_external_dns() {
    local version="$1" dir="$CACHE/external-dns-$1"
    if [[ -x "$dir/external-dns" ]]; then
        log "external-dns $version already in $dir"
        return
    fi
    command -v go >/dev/null || { log "go not found: install Go (https://go.dev/doc/install)"; return 1; }
    mkdir -p "$dir"
    log "building external-dns $version with go install (a few minutes, once)"
    # A failed build leaves its log beside the cache dir; BENCHMARKS.md quotes it.
    if ! GOBIN="$dir" GOTOOLCHAIN=auto CGO_ENABLED=0 GOFLAGS=-mod=mod \
        go install "sigs.k8s.io/external-dns@$version" >"$dir/build.log" 2>&1; then
        log "external-dns $version did not build; see $dir/build.log"
        tail -20 "$dir/build.log" >&2
        return 1
    fi
}

status=0
install_oha || status=1
for version in $EXTERNAL_DNS_VERSIONS; do
    install_external_dns "$version" || status=1
done
exit $status
