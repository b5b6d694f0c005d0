"""``python -m langso_search.cli`` (what the multi-worker server and the tests start)."""

from . import main

main()
