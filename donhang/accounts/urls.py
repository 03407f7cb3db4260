from django.contrib.auth import views as auth_views
from django.urls import path

app_name = "accounts"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("staff/", auth_views.LoginView.as_view(), name="staff_list"),
    path("api-keys/", auth_views.LoginView.as_view(), name="api_key_list"),
]
