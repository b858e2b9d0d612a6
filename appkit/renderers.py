"""Forms drawn by Django's own templates, in the edition Django ships for Jinja2.

Django keeps every form, label, error-list and widget template twice, for its template
language (django/forms/templates) and for Jinja2 (django/forms/jinja2), and its own tests hold
the two to the same HTML. Jinja2 compiles a template to Python and draws the admin member
page's ~20 widgets, labels and error lists in a fraction of the time (README, "Scale").
Each value is escaped by Django's `conditional_escape` before Jinja2 sees it, so a quote in a
name or a message reads `&quot;` as everywhere else on the site. The admin's widget
templates (the related-field wrapper, the date and autocomplete widgets) exist only for the
template language and are drawn by it; so is any template of our own."""

from __future__ import annotations

from pathlib import Path

import django.forms
from django.forms.renderers import BaseRenderer, DjangoTemplates
from django.template.backends.jinja2 import Jinja2
from django.utils.html import conditional_escape

DJANGO_FORM_TEMPLATES = "django/forms/"
# Django's templates of a form's and a field's errors: each draws nothing ({% if errors %},
# or a loop) when there are none.
DJANGO_ERROR_TEMPLATES = DJANGO_FORM_TEMPLATES + "errors/"


class FormRenderer(BaseRenderer):
    def __init__(self) -> None:
        self._jinja2 = Jinja2(
            {
                "NAME": "django-forms-jinja2",
                "DIRS": [Path(django.forms.__file__).parent / "jinja2"],
                "APP_DIRS": False,
                "OPTIONS": {"finalize": conditional_escape},
            }
        )
        self._django = DjangoTemplates()

    def render(self, template_name: str, context: dict, request=None) -> str:
        # A page asks for every field's errors twice (the admin's fieldset draws the line's
        # and the field's), three dozen lists on a member's page, almost always empty: an
        # empty one is nothing, without a template.
        if template_name.startswith(DJANGO_ERROR_TEMPLATES) and not context.get("errors"):
            return ""
        return super().render(template_name, context, request=request)

    def get_template(self, template_name: str):
        if template_name.startswith(DJANGO_FORM_TEMPLATES):
            return self._jinja2.get_template(template_name)
        return self._django.get_template(template_name)
