"""Web bids in the REST API (docs/design.md §7, §11): list (by request, member, status and
the local's day), read, bid (POST, through bid_place, with an Idempotency-Key as dispatches
take one), and a refusal after a successful bid (bid_refuse). Views stay thin: the service
decides, inside the bidding window by the server's clock, and its refusals are 400s with
their fields; a key used again with other values is a 409.

Who: a member bids for themself and sees their own bids only (another's is not there, 404);
the office roles that see referral see every bid; Dispatcher, Officer and Admin bid for any
member and record a refusal. A login neither in the hall nor linked to a member is refused."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apikit.filters import DeclaredFilter
from apikit.pagination import CountedPagination
from apikit.params import choice_param, date_param, id_param
from apikit.permissions import method_permissions
from apikit.schema import query_param
from members.models import Member

from .apis import CONFLICT, IDEMPOTENCY_KEY, local_day
from .models import Bid, BidStatus, LaborRequest
from .services import bid_place, bid_refuse

SEE_ALL = "referral.view_bid"
BID_FOR_ANYONE = "referral.add_bid"


class BidSerializer(serializers.ModelSerializer):
    employer = serializers.CharField(source="labor_request.employer.code", read_only=True)
    book = serializers.CharField(source="labor_request.book.code", read_only=True)
    referral_day = serializers.DateField(
        source="labor_request.referral_day",
        read_only=True,
        help_text="The morning referral that decides it.",
    )
    member_number = serializers.CharField(source="member.member_number", read_only=True)
    member_name = serializers.CharField(source="member.full_name", read_only=True)
    position = serializers.IntegerField(
        read_only=True, help_text="The bidder's place on the book's list when placed."
    )
    rules_version = serializers.IntegerField(
        source="rule_set.version", read_only=True, help_text="The rules it was placed under."
    )

    class Meta:
        model = Bid
        fields = [
            "id",
            "labor_request",
            "employer",
            "book",
            "referral_day",
            "member",
            "member_number",
            "member_name",
            "registration",
            "position",
            "status",
            "placed_at",
            "decided_at",
            "placed_by_name",
            "rules_version",
        ]
        read_only_fields = fields


class BidPlaceSerializer(serializers.Serializer):
    labor_request = serializers.PrimaryKeyRelatedField(
        queryset=LaborRequest.objects.select_related("book"), help_text="The labor request's id."
    )
    member = serializers.PrimaryKeyRelatedField(
        queryset=Member.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The bidder's member id; blank: the member linked to your login. Only the "
        "hall bids for another member.",
    )


class BidRefuseSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=300, default="", help_text="Why, if said."
    )


class BidFilter(DeclaredFilter):
    """`labor_request` (an id), `member` (an id) or `member_number`, `status`, `day` (the
    local date it was placed, YYYY-MM-DD)."""

    params = ("labor_request", "member", "member_number", "status", "day")

    def narrow(self, request, queryset):
        params = request.query_params
        if (labor_request := id_param(params, "labor_request")) is not None:
            queryset = queryset.filter(labor_request_id=labor_request)
        if (member := id_param(params, "member")) is not None:
            queryset = queryset.filter(member_id=member)
        if number := params.get("member_number"):
            queryset = queryset.filter(member__member_number=number)
        if status := choice_param(params, "status", BidStatus.values):
            queryset = queryset.filter(status=status)
        if (day := date_param(params, "day")) is not None:
            queryset = queryset.filter(**local_day("placed_at", day))
        return queryset

    def get_schema_operation_parameters(self, view):
        return [
            query_param("labor_request", {"type": "integer"}, "A labor request's id."),
            query_param("member", {"type": "integer"}, "A member id."),
            query_param("member_number", {"type": "string"}, "A member number."),
            query_param("status", {"type": "string", "enum": BidStatus.values}),
            query_param("day", {"type": "string", "format": "date"}, "The local date placed."),
        ]


class _HallOrBidder(BasePermission):
    """The hall's permission for the method (view_bid to read, add_bid to bid), or a login
    linked to a member: what such a caller reads is narrowed to their own bids (the views'
    querysets), and whom they bid for is checked on the way in."""

    hall = {"GET": SEE_ALL, "HEAD": SEE_ALL, "OPTIONS": SEE_ALL, "POST": BID_FOR_ANYONE}

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method.lower() not in (m.lower() for m in view.allowed_methods):
            return True  # a method the view does not offer answers 405, not 403
        needed = self.hall.get(request.method)
        if needed is None:
            return False
        # A member's own first: their bid needs no look at the permissions (two queries).
        return view.own_member_id is not None or request.user.has_perm(needed)


_BIDS = Bid.objects.select_related(
    "labor_request__employer", "labor_request__book", "member", "rule_set"
)


class _Bids:
    permission_classes = [_HallOrBidder]
    serializer_class = BidSerializer
    request: Request

    @cached_property
    def own_member(self) -> Member | None:
        """The member record linked to the caller's login, if any."""
        return Member.objects.filter(user=self.request.user).first()

    @property
    def own_member_id(self) -> int | None:
        return getattr(self.own_member, "pk", None)

    def get_queryset(self) -> QuerySet[Bid]:
        bids = _BIDS.order_by("-placed_at", "-id")
        if self.request.user.has_perm(SEE_ALL):
            return bids
        # A member sees their own bids only; another's is "not there", as a missing one.
        return bids.filter(member_id=self.own_member_id)


def _answer(bid: Bid, status: int = 200) -> Response:
    # Read again with its relations: what the service returns has only some of them loaded.
    return Response(BidSerializer(_BIDS.get(pk=bid.pk)).data, status=status)


class BidList(_Bids, generics.ListAPIView):
    """Bids, newest first: every bid for the hall, a member's own for a member. POST places
    a bid (201) on a request for the coming morning's referral, inside the bidding window
    (the hall's time, by the server's clock), with the bidder's place on the book's list
    then; one per member and request. A member bids for themself (leave `member` out); the
    hall may bid for any member. Send an `Idempotency-Key` header to make a retry safe."""

    pagination_class = CountedPagination
    filter_backends = [BidFilter]

    @extend_schema(
        request=BidPlaceSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: BidSerializer, 409: CONFLICT},
    )
    def post(self, request: Request) -> Response:
        self._bids_for_themself_only(request)
        given = BidPlaceSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        member = given.validated_data["member"]
        if member is None:
            if self.own_member_id is None:
                raise exceptions.ValidationError(
                    {"member": ["Your login is not linked to a member: name the member."]}
                )
            member = self.own_member
        made = bid_place(
            member=member,
            labor_request=given.validated_data["labor_request"],
            actor=request.user,
            idempotency_key=request.headers.get("Idempotency-Key") or None,
        )
        # The bid holds what the answer says (its request with the employer and book, the
        # member, the rules): a retry's first bid reads them as it goes.
        return Response(BidSerializer(made).data, status=201)

    def _bids_for_themself_only(self, request: Request) -> None:
        # bid_place refuses the same; asked first, before the member named is looked up, so
        # that a member gets one answer for another's id and an id that is no one's: no
        # answer tells them which members exist.
        if not isinstance(request.data, Mapping):
            return
        named = request.data.get("member")
        if named in (None, "") or str(named) == str(self.own_member_id):
            return
        if not request.user.has_perm(BID_FOR_ANYONE):
            raise exceptions.PermissionDenied("You may bid for yourself only.")


class BidDetail(_Bids, generics.RetrieveAPIView):
    """One bid (a member's own, for a member)."""


class BidRefuse(APIView):
    """Record that the member refused the dispatch their selected bid won: it counts as a
    quit (the dispatch ends, the member is off every book, the employer's by-name requests
    blacked out), and a second refusal within twelve months suspends their bidding."""

    permission_classes = [method_permissions(POST="referral.terminate_dispatch")]

    @extend_schema(request=BidRefuseSerializer, responses={200: BidSerializer})
    def post(self, request: Request, pk: int) -> Response:
        bid = get_object_or_404(Bid, pk=pk)
        given = BidRefuseSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        return _answer(bid_refuse(bid=bid, note=given.validated_data["note"], actor=request.user))
