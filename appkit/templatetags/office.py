"""The office's home and header (the admin's index and every admin page), and how money is
written everywhere: `{{ amount|currency }}` gives $1,234.50."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from appkit.extensions import DASHBOARD_PANELS, OFFICE_LINKS, WORK_ITEMS

register = template.Library()


@register.filter
def currency(value) -> str:
    """Dollars with thousands separators and cents; a negative amount with a minus sign."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@register.simple_tag(takes_context=True)
def dashboard(context) -> str:
    """The work waiting for this user first, then each panel the apps declare for the
    office's home, that this user may see."""
    request = context["request"]
    visible = [item for item in WORK_ITEMS.declarations() if request.user.has_perm(item.permission)]
    waiting = [(item, count) for item in visible if (count := item.count())]
    work_list = (
        render_to_string("admin/work_list.html", {"waiting": waiting}, request) if visible else ""
    )
    # Each panel is a template rendered with autoescaping: the joined HTML is safe as is.
    return mark_safe(
        work_list
        + "".join(
            render_to_string(
                panel.template, {"panel": panel.data(request), "title": panel.title}, request
            )
            for panel in DASHBOARD_PANELS.declarations()
            if request.user.has_perm(panel.permission)
        )
    )


@register.simple_tag(takes_context=True)
def office_links(context) -> str:
    """The staff pages this user may open, the current one marked."""
    request = context["request"]
    links = [
        (reverse(link.url_name), link.label)
        for link in OFFICE_LINKS.declarations()
        if request.user.has_perm(link.permission)
    ]
    return format_html_join(
        "",
        '<a href="{}"{}>{}</a>',
        (
            (url, ' aria-current="page"' if request.path == url else "", label)
            for url, label in links
        ),
    )
