from django.urls import path

from donhang.accounts import views, views_audit

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_create, name="staff_create"),
    path("staff/<int:pk>/role/", views.staff_set_role, name="staff_set_role"),
    path("staff/<int:pk>/active/", views.staff_set_active, name="staff_set_active"),
    path("staff/<int:pk>/password/", views.staff_password_reset, name="staff_password_reset"),
    path("api-keys/", views.api_key_list, name="api_key_list"),
    path("api-keys/new/", views.api_key_create, name="api_key_create"),
    path("api-keys/<int:pk>/created/", views.api_key_created, name="api_key_created"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("shop/", views.shop_profile, name="shop_profile"),
    path("audit/", views_audit.audit_log, name="audit_log"),
]
