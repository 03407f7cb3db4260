from django.urls import path

from donhang.shipping import views_public

app_name = "shipping"
urlpatterns = [
    path("webhooks/<str:provider>/", views_public.webhook, name="webhook"),
    path("track/", views_public.public_tracking, name="public_tracking"),
]
