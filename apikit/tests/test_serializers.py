"""The quick serializers answer exactly what DRF's own would, object for object."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers

from apikit import serializers as quick
from apikit.fields import MoneyField
from dues.apis import PaymentSerializer
from dues.models import Payment, PaymentMethod
from dues.services import payment_record
from members.tests.factories import MemberFactory


class Missing:
    @property
    def relation(self):
        raise ObjectDoesNotExist


class Owner(serializers.Serializer):
    name = serializers.CharField(default="no name")


def fields():
    return {
        "amount": MoneyField(),
        "day": serializers.DateField(),
        "nested_name": serializers.CharField(source="owner.name"),
        "missing_relation": serializers.CharField(source="relation.name", required=False),
        "computed": serializers.IntegerField(),
        "with_default": serializers.CharField(default="none given"),
        "optional": serializers.CharField(required=False),
        "nullable": serializers.CharField(allow_null=True),
        "owner": Owner(),
        "whole": Owner(source="*", required=False),
        "method": serializers.SerializerMethodField(),
    }


def get_method(self, instance) -> str:
    owner = instance["owner"] if isinstance(instance, dict) else instance.owner
    return f"method of {owner['name'] if isinstance(owner, dict) else owner.name}"


DRFSerializer = type(
    "DRFSerializer", (serializers.Serializer,), {**fields(), "get_method": get_method}
)
QuickSerializer = type(
    "QuickSerializer", (quick.Serializer,), {**fields(), "get_method": get_method}
)


def objects():
    full = SimpleNamespace(
        amount=Decimal("45.5"),
        day=datetime.date(2026, 3, 31),
        owner=SimpleNamespace(name="Rosa"),
        computed=lambda: 7,  # a callable attribute: DRF calls it
        with_default="given",
        optional="here",
        nullable="set",
    )
    sparse = SimpleNamespace(
        amount=Decimal("0"),
        day=None,
        owner=SimpleNamespace(name="Wei"),
        computed=3,
        nullable=None,
    )
    missing = Missing()
    for name in ("amount", "day", "owner", "computed", "nullable"):
        setattr(missing, name, getattr(sparse, name))
    return [full, sparse, missing]


def test_the_quick_serializer_answers_as_drf_does_for_every_kind_of_field():
    for obj in objects():
        assert QuickSerializer(obj).data == DRFSerializer(obj).data
    many = objects()
    assert QuickSerializer(many, many=True).data == DRFSerializer(many, many=True).data


def test_a_mapping_is_read_by_key_as_in_drf():
    given = {
        "amount": Decimal("1"),
        "day": None,
        "owner": {"name": "M"},
        "computed": 1,
        "nullable": None,
    }
    assert QuickSerializer(given).data == DRFSerializer(given).data


def test_a_required_attribute_that_is_missing_still_fails_as_in_drf():
    obj = SimpleNamespace(amount=Decimal("1"), day=None, owner=SimpleNamespace(name="A"))
    with pytest.raises(AttributeError):
        DRFSerializer(obj).data  # noqa: B018
    with pytest.raises(AttributeError):
        QuickSerializer(obj).data  # noqa: B018


@pytest.mark.django_db
def test_a_payment_reads_the_same_through_either():
    member = MemberFactory()
    paid = payment_record(
        member=member,
        amount=Decimal("45.00"),
        method=PaymentMethod.CHECK,
        received_date=datetime.date(2026, 3, 2),
        reference="Check 1001",
        note="Paid at the counter",
        actor="tests",
    )
    DRFPayment = type(
        "DRFPayment",
        (serializers.ModelSerializer,),
        {
            name: field
            for name, field in PaymentSerializer._declared_fields.items()
            if name != "member"
        }
        | {"Meta": PaymentSerializer.Meta},
    )
    payments = list(Payment.objects.filter(pk=paid.pk))
    assert PaymentSerializer(payments, many=True).data == DRFPayment(payments, many=True).data
    assert PaymentSerializer(payments, many=True).data[0]["member"] == member.pk
