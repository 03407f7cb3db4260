from django.db import models
from django.utils.translation import gettext_lazy as _


class Province(models.Model):
    """A province-level unit since 1 July 2025 (34 in all), with the government's code."""

    code = models.PositiveIntegerField(primary_key=True)
    name = models.CharField(_("name"), max_length=60)
    search_name = models.CharField(max_length=60, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self):
        return self.name


class Ward(models.Model):
    """A ward or commune (phường/xã/đặc khu) under a province, with the government's code."""

    code = models.PositiveIntegerField(primary_key=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="wards")
    name = models.CharField(_("name"), max_length=60)
    search_name = models.CharField(max_length=60, db_index=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("ward")
        verbose_name_plural = _("wards")

    def __str__(self):
        return f"{self.name}, {self.province.name}"
