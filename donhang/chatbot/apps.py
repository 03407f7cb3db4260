from django.apps import AppConfig


class ChatbotConfig(AppConfig):
    name = "donhang.chatbot"
    label = "chatbot"

    def ready(self):
        # The conversation card on the order page, provided to donhang.orders through hooks.
        # Imported here, not at the top: it needs the models, which load after this module.
        from donhang.chatbot import order_panels

        order_panels.register()
