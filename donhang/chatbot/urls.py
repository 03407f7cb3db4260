from django.urls import path

from donhang.chatbot import views, views_public

app_name = "chatbot"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("c/<int:pk>/", views.conversation, name="conversation"),
    path("c/<int:pk>/messages/", views.conversation_messages, name="conversation_messages"),
    path("c/<int:pk>/reply/", views.conversation_reply, name="conversation_reply"),
    path("c/<int:pk>/take-over/", views.conversation_take_over, name="conversation_take_over"),
    path("c/<int:pk>/hand-back/", views.conversation_hand_back, name="conversation_hand_back"),
    path("c/<int:pk>/close/", views.conversation_close, name="conversation_close"),
    path("settings/", views.bot_settings, name="settings"),
    path("settings/faq/new/", views.faq_create, name="faq_create"),
    path("settings/faq/<int:pk>/", views.faq_edit, name="faq_edit"),
    path("settings/faq/<int:pk>/delete/", views.faq_delete, name="faq_delete"),
    path("settings/channels/new/", views.connection_create, name="connection_create"),
    path("settings/channels/<int:pk>/", views.connection_edit, name="connection_edit"),
    # Without a staff login: channels, the widget, its demo page, payment QR images.
    path("webhooks/messenger/", views_public.messenger_webhook, name="messenger_webhook"),
    path("webhooks/zalo/", views_public.zalo_webhook, name="zalo_webhook"),
    path("w/<str:public_key>/session", views_public.widget_session, name="widget_session"),
    path("w/<str:public_key>/messages", views_public.widget_messages, name="widget_messages"),
    path("demo/", views_public.widget_demo, name="widget_demo"),
    path("qr/<str:token>.svg", views_public.payment_qr, name="payment_qr"),
]
