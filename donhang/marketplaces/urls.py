from django.urls import path

from donhang.marketplaces import views, views_public

app_name = "marketplaces"
urlpatterns = [
    # without a login: the platforms' pushes
    path("webhooks/<str:platform>/", views_public.push, name="push"),
    # the seller comes back from the platform's authorization page
    path("oauth/<str:platform>/callback/", views.oauth_callback, name="oauth_callback"),
    path("", views.connection_list, name="connection_list"),
    path("connect/", views.connection_create, name="connection_create"),
    path("<int:pk>/", views.connection_detail, name="connection_detail"),
    path("<int:pk>/settings/", views.connection_settings, name="connection_settings"),
    path("<int:pk>/pull/", views.connection_pull, name="connection_pull"),
    path("<int:pk>/push-now/", views.connection_push_now, name="connection_push_now"),
    path("<int:pk>/reauthorize/", views.connection_reauthorize, name="connection_reauthorize"),
    path("<int:pk>/disconnect/", views.connection_disconnect, name="connection_disconnect"),
    path("<int:pk>/listings/", views.listing_list, name="listing_list"),
    path("<int:pk>/publish/", views.product_publish, name="product_publish"),
    path("<int:pk>/pushes/", views.push_log, name="push_log"),
    path("<int:pk>/orders/", views.order_list, name="order_list"),
    path("listings/<int:pk>/link/", views.listing_link, name="listing_link"),
    path(
        "listings/<int:pk>/create-product/",
        views.listing_create_product,
        name="listing_create_product",
    ),
    path("orders/<int:pk>/arrange/", views.order_arrange, name="order_arrange"),
    path("orders/<int:pk>/label/", views.order_label, name="order_label"),
    path("orders/<int:pk>/refresh/", views.order_refresh, name="order_refresh"),
]
