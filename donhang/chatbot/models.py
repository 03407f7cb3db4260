"""The sales chatbot: its settings and FAQ, the channels it answers on, conversations and their
messages, and the raw webhooks the channels send."""

from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from donhang.core.secrets import decrypt_json, encrypt_json


class ChannelKind(models.TextChoices):
    WEB = "web", _("Web chat")
    MESSENGER = "messenger", _("Facebook Messenger")
    ZALO = "zalo", _("Zalo OA")
    API = "api", _("API")


def _every_day() -> list[int]:
    return [0, 1, 2, 3, 4, 5, 6]


class BotSettings(models.Model):
    """What a shop sets for its bot (one row). The bot speaks Vietnamese to customers."""

    SINGLETON_ID = 1

    bot_name = models.CharField(_("bot name"), max_length=60, default="Trợ lý DonHang")
    greeting = models.TextField(
        _("greeting"),
        max_length=500,
        default="Dạ em chào anh/chị ạ. Em là trợ lý tự động của shop, em có thể giúp anh/chị "
        "xem giá, còn hàng, phí ship và đặt hàng ạ.",
    )
    open_days = models.JSONField(
        _("days staff answer"), default=_every_day, help_text="0 = Monday … 6 = Sunday"
    )
    opens_at = models.TimeField(_("staff answer from"), default=time(8, 0))
    closes_at = models.TimeField(_("staff answer until"), default=time(21, 0))
    answer_web = models.BooleanField(_("answer the web chat"), default=True)
    answer_messenger = models.BooleanField(_("answer Messenger"), default=True)
    answer_zalo = models.BooleanField(_("answer Zalo"), default=True)
    answer_api = models.BooleanField(_("answer the API"), default=True)
    may_create_orders = models.BooleanField(
        _("may create orders"),
        default=True,
        help_text=_("Off: the bot collects the details and hands them to staff instead."),
    )
    cod_enabled = models.BooleanField(_("offers cash on delivery (COD)"), default=True)
    cod_limit = models.BigIntegerField(
        _("COD up to"), default=0, help_text=_("Largest order total paid on delivery; 0: no limit.")
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("chatbot settings")
        verbose_name_plural = _("chatbot settings")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="chatbot_botsettings_singleton")
        ]

    def __str__(self):
        return self.bot_name

    def answers(self, channel: str) -> bool:
        return bool(getattr(self, f"answer_{channel}", False))


class FaqTopic(models.TextChoices):
    SHIPPING = "shipping", _("Shipping policy")
    RETURNS = "returns", _("Returns policy")
    PAYMENT = "payment", _("Payment")
    HOURS = "hours", _("Opening hours and contact")
    OTHER = "other", _("Other")


class FaqEntry(models.Model):
    """A question customers ask and the shop's answer, found by the bot's retrieval."""

    topic = models.CharField(_("topic"), max_length=20, choices=FaqTopic.choices)
    question = models.CharField(_("question"), max_length=300)
    keywords = models.CharField(
        _("other ways to ask"),
        max_length=500,
        blank=True,
        help_text=_("Phrases customers use, separated by commas."),
    )
    answer = models.TextField(_("answer"), max_length=2000)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(default=0)
    search_text = models.TextField(blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["topic", "position", "id"]
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")

    def __str__(self):
        return self.question


class ChannelConnection(models.Model):
    """A channel the bot answers on: a Facebook page, a Zalo OA, or a web chat widget.
    Secrets (page token, app secret, OA secret key, access and refresh tokens, widget secret)
    are encrypted at rest."""

    kind = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=100)
    external_id = models.CharField(
        _("page, OA or widget id"),
        max_length=100,
        help_text=_("Facebook page id, Zalo OA id, or the widget's public key."),
    )
    base_url = models.URLField(
        _("API address"), blank=True, help_text=_("Empty: the platform's own address.")
    )
    auth_url = models.URLField(
        _("authorization address"), blank=True, help_text=_("Zalo's OAuth server; empty: Zalo's.")
    )
    credentials_encrypted = models.TextField(blank=True, editable=False)
    allowed_origins = models.TextField(
        _("sites allowed to embed the widget"),
        blank=True,
        help_text=_(
            "One origin per line, e.g. https://shop.example.vn; this site is always allowed."
        ),
    )
    access_expires_at = models.DateTimeField(_("access token expires"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "external_id"], name="chatbot_connection_unique_external"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.name}"

    @property
    def credentials(self) -> dict:
        return decrypt_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict) -> None:
        self.credentials_encrypted = encrypt_json(value or {})

    @property
    def origins(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.allowed_origins.split() if o.strip()]


class ConversationStatus(models.TextChoices):
    BOT = "bot", _("Bot answers")
    HUMAN = "human", _("Staff answer")
    CLOSED = "closed", _("Closed")


class Conversation(models.Model):
    """One customer on one channel. `state` holds what the bot knows so far (product, variant,
    quantity, name, phone, address, quoted fee…); `version` guards it against two turns at once."""

    channel = models.CharField(_("channel"), max_length=20, choices=ChannelKind.choices)
    connection = models.ForeignKey(
        ChannelConnection,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    external_user_id = models.CharField(max_length=120)
    display_name = models.CharField(_("customer"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, help_text="E.164")
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ConversationStatus.choices, default="bot"
    )
    needs_human = models.BooleanField(_("waiting for staff"), default=False, db_index=True)
    handoff_reason = models.CharField(_("why staff are needed"), max_length=40, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(default=0)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        permissions = [
            ("reply_conversation", _("Can answer customers and take over from the bot")),
            ("talk_to_bot", _("Can send customers' messages to the bot (API)")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "connection", "external_user_id"],
                name="chatbot_conversation_unique_user",
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()} · {self.display_name or self.external_user_id}"


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("From the customer")
        OUT = "out", _("To the customer")

    class Sender(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        BOT = "bot", _("Bot")
        STAFF = "staff", _("Staff")

    class Delivery(models.TextChoices):
        NONE = "", _("—")
        PENDING = "pending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Not sent")
        SKIPPED = "skipped", _("Not sent: outside the platform's reply window")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    channel = models.CharField(max_length=20, choices=ChannelKind.choices)
    external_id = models.CharField(
        max_length=120, blank=True, help_text="The platform's message id (de-duplication)."
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    sender = models.CharField(max_length=10, choices=Sender.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(blank=True)
    intent = models.CharField(max_length=30, blank=True)
    entities = models.JSONField(default=dict, blank=True)
    engine = models.CharField(max_length=10, blank=True, help_text="offline or llm")
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attachments = models.JSONField(default=list, blank=True)
    delivery_status = models.CharField(
        max_length=10, choices=Delivery.choices, default="", blank=True
    )
    delivery_error = models.CharField(max_length=500, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "external_id"],
                condition=~Q(external_id=""),
                name="chatbot_message_unique_external",
            )
        ]
        indexes = [models.Index(fields=["order"], name="chatbot_message_order")]

    def __str__(self):
        return f"{self.sender}: {self.text[:40]}"


class ChannelWebhook(models.Model):
    """A webhook call as received (verified first), processed later by a task."""

    kind = models.CharField(max_length=20, choices=ChannelKind.choices)
    connection = models.ForeignKey(
        ChannelConnection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    headers = models.JSONField(default=dict, blank=True)
    body = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    messages_taken = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
