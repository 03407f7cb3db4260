"""Forms of the chatbot pages: they read input; the services check it and save."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from donhang.chatbot.models import BotSettings, ChannelKind, FaqEntry, FaqTopic
from donhang.core.errors import DomainError

DAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class DomainErrorsMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def add_domain_error(self, exc: DomainError) -> None:
        placed = False
        for name, reason in exc.fields.items():
            field = name.split(".", 1)[-1] if name.startswith("credentials.") else name
            if field in self.fields:
                self.add_error(field, reason)
                placed = True
        if not placed:
            self.add_error(None, exc.message)


class BotSettingsForm(DomainErrorsMixin, forms.Form):
    bot_name = forms.CharField(label=_("Bot name"), max_length=60)
    greeting = forms.CharField(
        label=_("Greeting"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The bot's first message. Say that it is an automatic assistant."),
    )
    open_days = forms.TypedMultipleChoiceField(
        label=_("Days staff answer"),
        choices=DAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    opens_at = forms.TimeField(
        label=_("Staff answer from"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    closes_at = forms.TimeField(
        label=_("Staff answer until"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    answer_web = forms.BooleanField(label=_("Answer the web chat"), required=False)
    answer_messenger = forms.BooleanField(label=_("Answer Messenger"), required=False)
    answer_zalo = forms.BooleanField(label=_("Answer Zalo"), required=False)
    answer_api = forms.BooleanField(label=_("Answer the API"), required=False)
    may_create_orders = forms.BooleanField(
        label=_("May create orders"),
        required=False,
        help_text=_("Off: the bot collects the details and hands them to staff instead."),
    )
    cod_enabled = forms.BooleanField(label=_("Offers cash on delivery (COD)"), required=False)
    cod_limit = forms.IntegerField(
        label=_("COD up to (₫)"),
        min_value=0,
        max_value=10**12,
        help_text=_("Largest order total paid on delivery; 0: no limit."),
    )

    @classmethod
    def for_settings(cls, config: BotSettings, data=None):
        initial = {name: getattr(config, name) for name in cls.base_fields}
        return cls(data, initial=initial)


class FaqForm(DomainErrorsMixin, forms.Form):
    topic = forms.ChoiceField(label=_("Topic"), choices=FaqTopic.choices)
    question = forms.CharField(label=_("Question"), max_length=300)
    keywords = forms.CharField(
        label=_("Other ways to ask"),
        max_length=500,
        required=False,
        help_text=_("Phrases customers use, separated by commas."),
    )
    answer = forms.CharField(
        label=_("Answer"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=10_000, initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def for_entry(cls, entry: FaqEntry | None, data=None):
        initial = (
            {name: getattr(entry, name) for name in cls.base_fields}
            if entry
            else {"is_active": True}
        )
        return cls(data, initial=initial)


SECRET_LABELS = {
    "page_access_token": _("Page access token"),
    "app_secret": _("App secret"),
    "verify_token": _("Verify token (webhook handshake)"),
    "app_id": _("App ID"),
    "oa_secret_key": _("OA secret key (webhook signature)"),
    "access_token": _("Access token"),
    "refresh_token": _("Refresh token"),
}


class ConnectionForm(DomainErrorsMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Channel"),
        choices=[(k, v) for k, v in ChannelKind.choices if k != ChannelKind.API],
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    external_id = forms.CharField(
        label=_("Page or OA id"),
        max_length=100,
        required=False,
        help_text=_("Facebook page id or Zalo OA id; empty for a web chat widget."),
    )
    base_url = forms.URLField(
        assume_scheme="https",
        label=_("API address"),
        required=False,
        help_text=_("Empty: the platform's own address. The demo points at its emulators."),
    )
    auth_url = forms.URLField(
        label=_("Zalo authorization address"), required=False, assume_scheme="https"
    )
    allowed_origins = forms.CharField(
        label=_("Sites allowed to embed the widget"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One origin per line, e.g. https://shop.example.vn; this site is always allowed."
        ),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, connection=None, **kwargs):
        if connection is not None:
            kwargs.setdefault(
                "initial",
                {
                    "kind": connection.kind,
                    "name": connection.name,
                    "external_id": connection.external_id,
                    "base_url": connection.base_url,
                    "auth_url": connection.auth_url,
                    "allowed_origins": connection.allowed_origins,
                    "is_active": connection.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        for key, label in SECRET_LABELS.items():
            self.fields[f"secret_{key}"] = forms.CharField(
                label=label,
                required=False,
                widget=forms.PasswordInput(
                    render_value=False, attrs={"autocomplete": "off", "class": "form-control"}
                ),
                help_text=_("Leave empty to keep the saved value."),
            )

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "name": data["name"],
            "external_id": data["external_id"],
            "base_url": data["base_url"],
            "auth_url": data["auth_url"],
            "allowed_origins": data["allowed_origins"],
            "is_active": data["is_active"],
            "credentials": {key: data.get(f"secret_{key}", "") for key in SECRET_LABELS},
        }

    def add_domain_error(self, exc: DomainError) -> None:
        for name, reason in exc.fields.items():
            if name.startswith("credentials."):
                field = "secret_" + name.split(".", 1)[1]
                if field in self.fields:
                    self.add_error(field, reason)
                    continue
            if name in self.fields:
                self.add_error(name, reason)
            else:
                self.add_error(None, reason)
        if not exc.fields:
            self.add_error(None, exc.message)


class ReplyForm(DomainErrorsMixin, forms.Form):
    text = forms.CharField(
        label=_("Answer"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class InboxFilterForm(DomainErrorsMixin, forms.Form):
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All channels")), *ChannelKind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            ("", _("All")),
            ("waiting", _("Waiting for staff")),
            ("bot", _("Bot answers")),
            ("human", _("Staff answer")),
            ("closed", _("Closed")),
        ],
        required=False,
    )
    q = forms.CharField(label=_("Name or phone"), max_length=100, required=False)
