"""WSGI entry point (gunicorn unionhall.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "unionhall.settings")

application = get_wsgi_application()


def warmed_up() -> None:
    """Load every view and admin before the first request, then leave all that is loaded
    out of the garbage collector's full passes. Those otherwise walk every module, model
    and template of the app (hundreds of thousands of objects) many times a minute under
    load: a sixth of a member's admin page. A request's own garbage is collected as before."""
    get_resolver().url_patterns  # noqa: B018 (imports every URLconf, view and admin)
    gc.freeze()


warmed_up()
