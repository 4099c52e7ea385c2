"""`python -m dnsgate` is the `dnsgate` console script."""

from dnsgate.cli import main

raise SystemExit(main())
