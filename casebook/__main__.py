"""`python -m casebook`: the same command line as the `casebook` script."""

from casebook.cli import main

raise SystemExit(main())
