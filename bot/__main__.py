"""`python -m bot` is the same command as `rehabbot`."""

from bot.cli import main

raise SystemExit(main())
