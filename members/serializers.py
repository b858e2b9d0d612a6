"""How a member looks in the API, shared by the apps whose APIs show one (members, dues)."""

from __future__ import annotations

from rest_framework import serializers

from .member_csv import COLUMNS
from .models import Classification, Member
from .selectors import member_fields_hidden_from


class MemberSerializer(serializers.ModelSerializer):
    classification = serializers.SlugRelatedField(
        slug_field="code", queryset=Classification.objects.all()
    )

    class Meta:
        model = Member
        # The record's data, as the CSV import and export have it, and the office's ids.
        fields = ["id", *COLUMNS, "stripe_customer_id", "created_at", "updated_at"]
        read_only_fields = ["stripe_customer_id", "created_at", "updated_at"]

    def to_representation(self, member: Member) -> dict:
        data = super().to_representation(member)
        request = self.context.get("request")
        if request is not None:
            for name in member_fields_hidden_from(request.user, member):
                data.pop(name, None)
        return data
