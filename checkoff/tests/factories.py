from __future__ import annotations

import datetime

import factory

from checkoff.models import CheckoffAuthorization, Employer
from members.tests.factories import MemberFactory


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employer
        django_get_or_create = ["code"]

    code = "ACME"
    name = "Acme Electric"
    ein = "12-3456789"
    due_day = 15


class AuthorizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckoffAuthorization

    member = factory.SubFactory(MemberFactory)
    employer = factory.SubFactory(EmployerFactory)
    employee_id = factory.Sequence(lambda n: f"E{1000 + n}")
    ssn_last4 = ""
    signed_on = datetime.date(2025, 1, 10)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        from checkoff.services import authorization_save

        return authorization_save(authorization=model_class(*args, **kwargs), actor="tests")


HEADER = "member_number,last_name,first_name,employee_id,ssn_last4,period,hours,gross_wages,amount"


def remittance_csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()
