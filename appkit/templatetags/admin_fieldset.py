"""The admin's fieldsets drawn in Python: `templates/admin/includes/fieldset.html` calls
`{% admin_fieldset %}` in place of Django's template of the same name.

Django's template walks some thirty tags and lookups for each field of a change form; on a
member's admin page its five fieldsets were two thirds of the page's template time. This
writes the very same text (tag for tag, space for space: held equal to Django's template by
appkit/tests/test_admin_fieldset.py, with errors, read-only fields, rows of several fields,
a description and a collapsed fieldset), so a change to Django's template shows up there.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import conditional_escape as escape
from django.utils.safestring import mark_safe

register = template.Library()


def _of(field: Any, name: str) -> Any:
    """`field.<name>` as the template reads it: a read-only field's is a dict; a missing
    key or attribute is ""."""
    if isinstance(field, dict):
        return field.get(name, "")
    return getattr(field, name, "")


# A new line of the template, indented by so many spaces.
_NL = {indent: "\n" + " " * indent for indent in range(0, 40, 4)}


def fieldset_html(fieldset, heading_level=None, prefix="", id_prefix="", id_suffix="") -> str:
    name = fieldset.name
    heading = f"{escape(prefix)}-{escape(id_prefix)}-{escape(id_suffix)}-heading"
    labelled = f' aria-labelledby="{heading}"' if name else ""
    out = [f'<fieldset class="module aligned {escape(fieldset.classes)}"{labelled}>\n    ']
    if name:
        level = escape(heading_level or 2)
        out.append(_NL[8])
        if fieldset.is_collapsible:
            out.append("<details><summary>")
        out.append(
            f'{_NL[8]}<h{level} id="{heading}" class="fieldset-heading">{escape(name)}'
            f"</h{level}>{_NL[8]}"
        )
        if fieldset.is_collapsible:
            out.append("</summary>")
        out.append(_NL[4])
    out.append(_NL[4])
    if fieldset.description:
        out.append(f'{_NL[8]}<div class="description">{fieldset.description}</div>{_NL[4]}')
    out.append(_NL[4])
    out += [_line_html(line) for line in fieldset]
    out.append(_NL[4])
    if name and fieldset.is_collapsible:
        out.append("</details>")
    out.append("\n</fieldset>\n")
    return "".join(out)


def _line_html(line) -> str:
    single = len(line.fields) == 1
    fields = list(line)
    classes = "form-row"
    if single and line.errors():
        classes += " errors"
    if not line.has_visible_field:
        classes += " hidden"
    for field in fields:
        if name := _of(field.field, "name"):
            classes += f" field-{escape(name)}"
    out = [f'{_NL[8]}<div class="{classes}">{_NL[12]}']
    out.append(line.errors() if single else '<div class="flex-container form-multiline">')
    out.append(_NL[12])
    out += [_field_html(field, single) for field in fields]
    out.append(_NL[12])
    if not single:
        out.append("</div>")
    out.append(f"{_NL[8]}</div>{_NL[4]}")
    return "".join(out)


def _field_html(field, single: bool) -> str:
    bound = field.field
    out = [f"{_NL[16]}<div>{_NL[20]}"]
    if not single and not field.is_readonly:
        out.append(field.errors())
    box = "flex-container"
    if not single:
        box += " fieldBox"
        if name := _of(bound, "name"):
            box += f" field-{escape(name)}"
        if not field.is_readonly and field.errors():
            box += " errors"
        if _of(bound, "is_hidden"):
            box += " hidden"
    if field.is_checkbox:
        box += " checkbox-row"
    out.append(f'{_NL[24]}<div class="{box}">{_NL[28]}')
    if field.is_checkbox:
        out.append(f"{_NL[32]}{escape(bound)}{field.label_tag()}{_NL[28]}")
    else:
        out.append(f"{_NL[32]}{field.label_tag()}{_NL[32]}")
        if field.is_readonly:
            out.append(f'{_NL[36]}<div class="readonly">{escape(field.contents())}</div>{_NL[32]}')
        else:
            out.append(f"{_NL[36]}{escape(bound)}{_NL[32]}")
        out.append(_NL[28])
    out.append(f"{_NL[24]}</div>{_NL[20]}")
    if help_text := _of(bound, "help_text"):
        hidden = " hidden" if _of(bound, "is_hidden") else ""
        label_id = _of(bound, "id_for_label")
        described = f' id="{escape(label_id)}_helptext"' if label_id else ""
        out.append(
            f'{_NL[24]}<div class="help{hidden}"{described}>'
            f"{_NL[28]}<div>{help_text}</div>{_NL[24]}</div>{_NL[20]}"
        )
    out.append(f"{_NL[16]}</div>{_NL[12]}")
    return "".join(out)


@register.simple_tag(takes_context=True)
def admin_fieldset(context) -> str:
    return mark_safe(
        fieldset_html(
            context["fieldset"],
            context.get("heading_level"),
            context.get("prefix", ""),
            context.get("id_prefix", ""),
            context.get("id_suffix", ""),
        )
    )
