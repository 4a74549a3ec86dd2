"""`python -m paperbot`: the same command line as the `paperbot` script."""

from paperbot.cli import main

raise SystemExit(main())
