"""``python -m bot.cli``: the ``linkname-bot`` command."""

from bot.cli import main

raise SystemExit(main())
