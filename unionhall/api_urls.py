"""The REST API's paths (docs/design.md §7). The notes paths keep the shapes existing clients use
(no trailing slash)."""

from django.urls import path

from accounts import apis as account_apis
from audit import apis as audit_apis
from checkoff import apis as checkoff_apis
from dues import apis as dues_apis
from jobs import apis as job_apis
from members import apis as member_apis
from referral import apis as referral_apis
from referral import apis_bids as referral_bid_apis
from referral import apis_dispatches as referral_dispatch_apis
from referral import apis_requests as referral_request_apis

urlpatterns = [
    path("auth/token/", account_apis.TokenView.as_view(), name="token"),
    path("auth/token/refresh/", account_apis.TokenRefresh.as_view(), name="token-refresh"),
    path("members/", member_apis.MemberList.as_view(), name="members"),
    path("members/<int:pk>/", member_apis.MemberDetail.as_view(), name="member"),
    path("members/<int:pk>/dues/", dues_apis.MemberDuesView.as_view(), name="member-dues"),
    path("me/", dues_apis.MeView.as_view(), name="me"),
    path("dues/rates/", dues_apis.DuesRateList.as_view(), name="dues-rates"),
    path("dues/periods/", dues_apis.DuesPeriodList.as_view(), name="dues-periods"),
    path(
        "dues/periods/<int:pk>/generate-charges/",
        dues_apis.GenerateCharges.as_view(),
        name="dues-generate-charges",
    ),
    path("dues/payments/", dues_apis.PaymentList.as_view(), name="dues-payments"),
    path("jobs/<int:pk>/", job_apis.JobDetail.as_view(), name="job"),
    path("member-notes/", member_apis.MemberNoteCreate.as_view(), name="member-notes"),
    path(
        "member-notes/member/<int:member_id>",
        member_apis.MemberNotesOfMember.as_view(),
        name="member-notes-of-member",
    ),
    path("member-notes/<int:pk>", member_apis.MemberNoteDetail.as_view(), name="member-note"),
    path("audit/events/", audit_apis.AuditEventList.as_view(), name="audit-events"),
    path("employers/", checkoff_apis.EmployerList.as_view(), name="employers"),
    path("employers/<int:pk>/", checkoff_apis.EmployerDetail.as_view(), name="employer"),
    path("remittances/", checkoff_apis.RemittanceList.as_view(), name="remittances"),
    path("remittances/<int:pk>/", checkoff_apis.RemittanceDetail.as_view(), name="remittance"),
    path(
        "remittances/<int:pk>/lines/",
        checkoff_apis.RemittanceLines.as_view(),
        name="remittance-lines",
    ),
    path(
        "remittances/<int:pk>/post/",
        checkoff_apis.RemittancePost.as_view(),
        name="remittance-post",
    ),
    path("referral/books/", referral_apis.BookList.as_view(), name="referral-books"),
    path("referral/books/<int:pk>/", referral_apis.BookDetail.as_view(), name="referral-book"),
    path(
        "referral/registrations/",
        referral_apis.RegistrationList.as_view(),
        name="referral-registrations",
    ),
    path(
        "referral/registrations/<int:pk>/",
        referral_apis.RegistrationDetail.as_view(),
        name="referral-registration",
    ),
    path(
        "referral/registrations/<int:pk>/resign/",
        referral_apis.RegistrationResign.as_view(),
        name="referral-registration-resign",
    ),
    path(
        "referral/registrations/<int:pk>/exempt/",
        referral_apis.RegistrationExempt.as_view(),
        name="referral-registration-exempt",
    ),
    path(
        "referral/requests/",
        referral_request_apis.LaborRequestList.as_view(),
        name="referral-requests",
    ),
    path(
        "referral/requests/<int:pk>/",
        referral_request_apis.LaborRequestDetail.as_view(),
        name="referral-request",
    ),
    path(
        "referral/requests/<int:pk>/cancel/",
        referral_request_apis.LaborRequestCancel.as_view(),
        name="referral-request-cancel",
    ),
    path(
        "referral/dispatches/",
        referral_dispatch_apis.DispatchList.as_view(),
        name="referral-dispatches",
    ),
    path(
        "referral/dispatches/<int:pk>/",
        referral_dispatch_apis.DispatchDetail.as_view(),
        name="referral-dispatch",
    ),
    path(
        "referral/dispatches/<int:pk>/check-in/",
        referral_dispatch_apis.DispatchCheckIn.as_view(),
        name="referral-dispatch-check-in",
    ),
    path(
        "referral/dispatches/<int:pk>/start-work/",
        referral_dispatch_apis.DispatchStartWork.as_view(),
        name="referral-dispatch-start-work",
    ),
    path(
        "referral/dispatches/<int:pk>/terminate/",
        referral_dispatch_apis.DispatchTerminate.as_view(),
        name="referral-dispatch-terminate",
    ),
    path(
        "referral/dispatches/<int:pk>/no-show/",
        referral_dispatch_apis.DispatchNoShow.as_view(),
        name="referral-dispatch-no-show",
    ),
    path("referral/bids/", referral_bid_apis.BidList.as_view(), name="referral-bids"),
    path("referral/bids/<int:pk>/", referral_bid_apis.BidDetail.as_view(), name="referral-bid"),
    path(
        "referral/bids/<int:pk>/refuse/",
        referral_bid_apis.BidRefuse.as_view(),
        name="referral-bid-refuse",
    ),
]
