"""The feedback loop's pages, under the same paths as the desk's (``/requests/<reference>/rate/``,
``/departments/<slug>/dashboard/``...), in the ``feedback`` namespace."""

from django.urls import path

from .views import assessments, dashboards, ratings

app_name = "feedback"

urlpatterns = [
    path("requests/<str:reference>/rate/", ratings.rate, name="request_rate"),
    path("requests/<str:reference>/feedback-comment/", ratings.feedback_comment, name="feedback_comment"),
    path("requests/<str:reference>/thanks/", ratings.thank, name="request_thank"),
    path("rate/<str:token>/", ratings.rate_by_link, name="rate_by_link"),
    path("people/<str:username>/", ratings.person, name="person"),
    path("departments/<slug:slug>/thanks/", ratings.thanks_board, name="thanks_board"),
    path("departments/<slug:slug>/dashboard/", dashboards.department_dashboard, name="department_dashboard"),
    path("departments/<slug:slug>/follow-ups/<int:pk>/close/", dashboards.follow_up_close, name="follow_up_close"),
    path("departments/<slug:slug>/reviews/<str:month>/", dashboards.monthly_review, name="monthly_review"),
    path("departments/<slug:slug>/assessments/", assessments.assessment_list, name="assessment_list"),
    path("company/", dashboards.company, name="company"),
    path("assessments/<int:pk>/", assessments.assessment_detail, name="assessment_detail"),
    path("assessments/<int:pk>/close/", assessments.assessment_close, name="assessment_close"),
    path("assessments/<int:pk>/actions/", assessments.assessment_action_add, name="assessment_action_add"),
    path("assessment-actions/<int:pk>/done/", assessments.assessment_action_done, name="assessment_action_done"),
    path("assessments/answer/<str:token>/", assessments.assessment_answer, name="assessment_answer"),
]
