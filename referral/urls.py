from django.urls import path

from . import my_views, report_views, views

app_name = "referral"

urlpatterns = [
    path("", views.books, name="books"),
    path("books/<int:pk>/", views.book_list, name="book_list"),
    path("books/<int:pk>/as-of/", views.book_as_of, name="book_as_of"),
    path("resign-due/", views.resign_due, name="resign_due"),
    path("dropped/", views.dropped, name="dropped"),
    path("counts/", views.unemployed_counts, name="unemployed_counts"),
    path("day-book/", views.dispatch_day_book, name="day_book"),
    path("board/", report_views.request_board, name="board"),
    path("referral-summary/", report_views.referral_summary, name="referral_summary"),
    path("bids/", report_views.bids, name="bids"),
    path("current-dispatches/", report_views.current_dispatches, name="current_dispatches"),
    path("by-name/", report_views.by_name, name="by_name"),
    path("members/<int:member_id>/", views.member_history, name="member_history"),
    path("my/", my_views.my_page, name="my"),
    path("my/bid/<int:request_id>/", my_views.my_bid, name="my_bid"),
    path("my/resign/<int:registration_id>/", my_views.my_resign, name="my_resign"),
]
