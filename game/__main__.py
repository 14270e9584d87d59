"""`python -m game` runs the handler-one command."""

from game.cli import main

raise SystemExit(main())
