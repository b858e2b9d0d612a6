"""What gunicorn loads (unionhall.wsgi): the whole app before the first request, kept out of
the garbage collector's full passes."""

from __future__ import annotations

import gc
import sys

from django.urls import clear_url_caches, get_resolver


def test_serving_loads_every_url_and_freezes_what_it_loaded():
    gc.unfreeze()
    sys.modules.pop("unionhall.wsgi", None)
    clear_url_caches()
    try:
        import unionhall.wsgi  # noqa: F401

        assert "url_patterns" in get_resolver().__dict__  # loaded, not on a first request
        assert gc.get_freeze_count() > 50_000
    finally:
        gc.unfreeze()
