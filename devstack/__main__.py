"""`python -m devstack [--state-dir DIR]`: the local stack for a person (what `make dev` runs)."""

from devstack.dev import main

raise SystemExit(main())
