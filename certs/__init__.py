"""Certificates: the X.509 primitives (pki), and `dnsgate certs` (rotation, stores, inject)."""
