from django.contrib import admin

from donhang.chatbot.models import ChannelWebhook, Conversation, FaqEntry, Message


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ("question", "topic", "is_active")
    list_filter = ("topic", "is_active")


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "display_name", "status", "needs_human", "last_message_at")
    list_filter = ("channel", "status", "needs_human")
    readonly_fields = ("state", "version")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation", "sender", "intent", "delivery_status", "created_at")
    list_filter = ("channel", "sender", "delivery_status")


@admin.register(ChannelWebhook)
class ChannelWebhookAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "received_at", "processed_at", "messages_taken", "duplicates")
    readonly_fields = ("headers", "body")
