from django.urls import path

from . import views

app_name = "referral"

urlpatterns = [
    path("", views.books, name="books"),
    path("books/<int:pk>/", views.book_list, name="book_list"),
    path("books/<int:pk>/as-of/", views.book_as_of, name="book_as_of"),
    path("resign-due/", views.resign_due, name="resign_due"),
    path("dropped/", views.dropped, name="dropped"),
    path("counts/", views.unemployed_counts, name="unemployed_counts"),
    path("day-book/", views.dispatch_day_book, name="day_book"),
    path("members/<int:member_id>/", views.member_history, name="member_history"),
]
