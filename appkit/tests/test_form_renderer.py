"""The office's form renderer draws inputs, selects and labels in Python: to the very HTML
Django's own templates draw, for every kind of value and attribute, and on a whole page."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer

from appkit.form_renderer import _DJANGOS_OWN, _INPUTS, DRAWN, OfficeFormRenderer
from members.tests.factories import MemberFactory, UserFactory

DJANGO = DjangoTemplates()
OURS = OfficeFormRenderer()

AWKWARD = 'O\'Brien & <Sons> "Ltd"'
ATTRS = [
    {},
    {"required": True, "disabled": False, "class": "vTextField", "maxlength": 20},
    {"aria-describedby": AWKWARD, "data-x": 0, "autofocus": True},
]
VALUES = [None, "", "1001", AWKWARD, 0, 12.5, datetime.date(2026, 11, 29)]


def test_the_inputs_drawn_are_exactly_djangos_one_input_templates():
    for name in set(_INPUTS) - {"input"}:
        source = (_DJANGOS_OWN / f"django/forms/widgets/{name}.html").read_text()
        assert source.strip() == '{% include "django/forms/widgets/input.html" %}', name


@pytest.mark.parametrize(
    "widget",
    [
        forms.TextInput,
        forms.EmailInput,
        forms.NumberInput,
        forms.HiddenInput,
        forms.PasswordInput,
        forms.URLInput,
        forms.DateInput,
        forms.DateTimeInput,
        forms.TimeInput,
        forms.CheckboxInput,
    ],
)
def test_inputs_are_drawn_as_django_draws_them(widget):
    for attrs in ATTRS:
        for value in VALUES:
            shown = widget(attrs=attrs)
            assert shown.render("f", value, renderer=OURS) == shown.render(
                "f", value, renderer=DJANGO
            ), (widget, attrs, value)


CHOICES = [
    ("", "---------"),
    ("active", "Active"),
    ("x", AWKWARD),
    (AWKWARD, "Odd value"),
    ("Trades", [("JW", "Journeyman"), ("AP", "Apprentice & helper")]),
    (1, "A number"),
]


@pytest.mark.parametrize(
    ("widget", "values"),
    [
        (forms.Select(choices=CHOICES), [None, "", "active", AWKWARD, "AP", 1, "unknown"]),
        (forms.SelectMultiple(choices=CHOICES), [None, [], ["x", "JW"], [AWKWARD, 1]]),
        (forms.NullBooleanSelect(), [None, True, False, "unknown"]),
    ],
)
def test_selects_are_drawn_as_django_draws_them(widget, values):
    for attrs in ATTRS:
        widget.attrs = attrs
        for value in values:
            assert widget.render("f", value, renderer=OURS) == widget.render(
                "f", value, renderer=DJANGO
            ), (widget, attrs, value)


class _Form(forms.Form):
    name = forms.CharField(label=f" {AWKWARD} ", max_length=20, help_text="Help <b>me</b>")
    born = forms.DateField(required=False)
    status = forms.ChoiceField(choices=CHOICES[:3])
    agree = forms.BooleanField(label="I agree")
    note = forms.CharField(widget=forms.Textarea, required=False)
    picked = forms.MultipleChoiceField(
        choices=CHOICES[1:3], widget=forms.CheckboxSelectMultiple, required=False
    )


@pytest.mark.parametrize("data", [None, {"name": "x" * 30, "status": "nope"}])
@pytest.mark.parametrize("auto_id", ["id_%s", False])
def test_whole_forms_with_their_labels_and_errors_are_drawn_as_django_draws_them(data, auto_id):
    ours = _Form(data, renderer=OURS, auto_id=auto_id)
    django_s = _Form(data, renderer=DJANGO, auto_id=auto_id)
    for how in ("as_div", "as_p", "as_table", "as_ul"):
        assert getattr(ours, how)() == getattr(django_s, how)(), how
    for name in ours.fields:
        assert ours[name].label_tag() == django_s[name].label_tag()
        assert ours[name].legend_tag(attrs={"class": "x"}) == django_s[name].legend_tag(
            attrs={"class": "x"}
        )


def test_a_projects_own_template_is_rendered_not_drawn(tmp_path):
    override = tmp_path / "django/forms/widgets"
    override.mkdir(parents=True)
    (override / "text.html").write_text('<input class="ours" name="{{ widget.name }}">')
    renderer = OfficeFormRenderer()
    renderer.engine.engine.dirs = [str(tmp_path), *renderer.engine.engine.dirs]
    renderer.engine.engine.template_loaders[0].reset()
    assert forms.TextInput().render("f", "v", renderer=renderer) == '<input class="ours" name="f">'
    assert "django/forms/widgets/text.html" in DRAWN  # drawn where it is Django's own


@pytest.mark.django_db
def test_a_members_admin_page_is_the_same_page_either_way(client, settings):
    member = MemberFactory()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = f"/admin/members/member/{member.pk}/change/"
    pages = []
    for renderer in (
        "django.forms.renderers.DjangoTemplates",
        "appkit.form_renderer.OfficeFormRenderer",
    ):
        settings.FORM_RENDERER = renderer
        get_default_renderer.cache_clear()
        html = client.get(url).content.decode()
        # The CSRF token differs from request to request.
        pages.append("\n".join(line for line in html.splitlines() if "csrf" not in line))
    get_default_renderer.cache_clear()
    assert pages[0] == pages[1]
