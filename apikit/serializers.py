"""Serializers that answer long lists without DRF asking each field the same questions
for every object: a member's 24 payments, a page of 50 audit events."""

from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter

from django.core.exceptions import ObjectDoesNotExist
from django.utils.functional import cached_property
from rest_framework import serializers
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject


class QuickRepresentation:
    """DRF's `to_representation`, with the way to each field's value worked out once per
    serializer rather than once per object (a list's objects share one child serializer).

    A field read straight from an attribute path (`amount`, `member.member_number`) is read
    with one `attrgetter`; anything else (relations, `source="*"`, a callable, a mapping, a
    missing attribute) goes through the field's own `get_attribute`, as DRF would."""

    @cached_property
    def _representation_plan(self) -> tuple[tuple[str, Field, attrgetter | None], ...]:
        plan = []
        for field in self._readable_fields:
            direct = type(field).get_attribute is Field.get_attribute and field.source != "*"
            getter = attrgetter(".".join(field.source_attrs)) if direct else None
            plan.append((field.field_name, field, getter))
        return tuple(plan)

    def to_representation(self, instance) -> dict:
        if isinstance(instance, Mapping):
            return super().to_representation(instance)
        data = {}
        for name, field, getter in self._representation_plan:
            try:
                value = getter(instance) if getter is not None else _NEEDS_FIELD
            except (AttributeError, ObjectDoesNotExist):
                value = _NEEDS_FIELD
            if value is _NEEDS_FIELD or callable(value):
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
            is_none = value.pk is None if isinstance(value, PKOnlyObject) else value is None
            data[name] = None if is_none else field.to_representation(value)
        return data


_NEEDS_FIELD = object()


class Serializer(QuickRepresentation, serializers.Serializer):
    pass


class ModelSerializer(QuickRepresentation, serializers.ModelSerializer):
    pass
