"""The forms' Jinja2 edition of Django's templates draws what Django's own draws: the same
tags, the same attributes, the same escaping (appkit/renderers.py)."""

import datetime
import re

from django import forms
from django.forms.renderers import DjangoTemplates

from appkit.renderers import FormRenderer

AWKWARD = """O'Brien & "Sons" <b>"""


class EveryWidget(forms.Form):
    text = forms.CharField(label="Name's", help_text="Help & <more>")
    email = forms.EmailField()
    number = forms.DecimalField(max_digits=8, decimal_places=2)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    choice = forms.ChoiceField(choices=[("a", AWKWARD), ("b", "Plain")])
    several = forms.MultipleChoiceField(
        choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple
    )
    yes = forms.BooleanField(required=False)
    notes = forms.CharField(widget=forms.Textarea)
    hidden = forms.CharField(widget=forms.HiddenInput)
    upload = forms.FileField(required=False)

    def clean(self):
        raise forms.ValidationError(f"A form-wide error naming {AWKWARD}")


def _drawn(renderer, data) -> str:
    form = EveryWidget(data=data, renderer=renderer)
    form.is_valid()
    html = (
        str(form)
        + str(form.non_field_errors())
        + form["text"].label_tag()
        + form["email"].errors.as_ul()
        + form["email"].errors.as_text()
        + form.errors.as_ul()
    )
    # Only the whitespace between and inside tags differs between the two editions.
    return re.sub(r"\s*([<>])\s*", r"\1", re.sub(r"\s+", " ", html)).strip()


def test_every_widget_label_and_error_is_drawn_as_djangos_own_templates_draw_it():
    data = {
        "text": AWKWARD,
        "email": "not an email",
        "number": "12.345",
        "day": "2026-12-07",
        "choice": "a",
        "several": ["y"],
        "yes": "on",
        "notes": f"line one\n{AWKWARD}",
        "hidden": AWKWARD,
    }
    ours, djangos = _drawn(FormRenderer(), data), _drawn(DjangoTemplates(), data)

    assert ours == djangos
    assert "O&#x27;Brien &amp; &quot;Sons&quot; &lt;b&gt;" in ours  # Django's escaping
    assert "Enter a valid email address." in ours
    assert datetime.date(2026, 12, 7).isoformat() in ours


def test_a_form_without_errors_is_drawn_as_djangos_own_templates_draw_it():
    # Its error lists are empty: drawn as nothing, without their templates (the test above
    # has empty ones beside full ones).
    assert _drawn(FormRenderer(), None) == _drawn(DjangoTemplates(), None)
    assert FormRenderer().render("django/forms/errors/list/default.html", {"errors": []}) == ""
