"""Forms drawn with fewer template calls (settings.FORM_RENDERER).

Django draws each input, select, option and label of a form by rendering a small template,
and each of those includes another for the attributes: a member's admin page is some sixty
template renders, a fifth of its time. The ones that are a single tag are drawn here in
Python, to the same HTML (held equal to Django's templates by appkit/tests/
test_form_renderer.py); every other template, and any of these that a project or app
overrides, is rendered by Django as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import django
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape

_DJANGOS_OWN = Path(django.__file__).parent / "forms" / "templates"
_OPTION = "django/forms/widgets/select_option.html"


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html: True is a bare attribute, False none at all."""
    drawn = []
    for name, value in attrs.items():
        if value is True:
            drawn.append(f" {conditional_escape(name)}")
        elif value is not False:
            drawn.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(drawn)


def _input(context: Mapping[str, Any]) -> str:
    widget = context["widget"]
    value = widget["value"]
    value = "" if value is None else f' value="{conditional_escape(str(value))}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{value}{_attrs(widget["attrs"])}>'
    )


def _option(option: Mapping[str, Any]) -> str:
    return (
        f'<option value="{conditional_escape(str(option["value"]))}"'
        f"{_attrs(option['attrs'])}>{conditional_escape(option['label'])}</option>"
    )


class _NotPlain(Exception):
    """A select whose options have a template of their own: Django draws it."""


def _select(context: Mapping[str, Any]) -> str:
    widget = context["widget"]
    drawn = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _ in widget["optgroups"]:
        if group_name:
            drawn.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            if option["template_name"] != _OPTION:
                raise _NotPlain
            drawn.append(f"\n  {_option(option)}\n")  # the option's template ends a line
        if group_name:
            drawn.append("\n  </optgroup>")
    drawn.append("\n</select>")
    return "".join(drawn)


def _label(context: Mapping[str, Any]) -> str:
    if not context["use_tag"]:
        return str(conditional_escape(context["label"]))
    tag = conditional_escape(context["tag"])
    attrs = _attrs(context["attrs"]) if context["attrs"] else ""
    return f"<{tag}{attrs}>{conditional_escape(context['label'])}</{tag}>"


# Django's templates that are the one input tag (each includes input.html and nothing else).
_INPUTS = (
    *("input", "text", "email", "number", "url", "password", "hidden", "search", "tel"),
    *("date", "datetime", "time", "checkbox", "color", "file"),
)
DRAWN: dict[str, Callable[[Mapping[str, Any]], str]] = {
    **{f"django/forms/widgets/{name}.html": _input for name in _INPUTS},
    "django/forms/widgets/select.html": _select,
    "django/forms/label.html": _label,
}


class OfficeFormRenderer(DjangoTemplates):
    def __init__(self) -> None:
        super().__init__()
        self._drawn: dict[str, Callable[[Mapping[str, Any]], str] | None] = {}

    def _drawer(self, template_name: str) -> Callable[[Mapping[str, Any]], str] | None:
        """The Python drawing of a template, unless the template found is not Django's own
        (a project's override wins)."""
        if template_name not in self._drawn:
            draw = DRAWN.get(template_name)
            if draw is not None:
                origin = Path(self.get_template(template_name).origin.name)
                draw = draw if origin.is_relative_to(_DJANGOS_OWN) else None
            self._drawn[template_name] = draw
        return self._drawn[template_name]

    def render(self, template_name: str, context: dict, request=None) -> str:
        draw = self._drawer(template_name)
        if draw is not None:
            try:
                return draw(context).strip()  # as Django's renderer strips its templates'
            except _NotPlain:
                pass
        return super().render(template_name, context, request)
