"""Administrative divisions (行政区划) with their GB/T 2260 codes."""

from django.db import models


class Division(models.Model):
    """A province, city (地级) or county (县级) division. Townships are kept by name on the units
    and addresses that need them: GB/T 2260 stops at the county.

    The rows are loaded from python-stdnum's ``cn/loc`` table (the code list behind ID numbers,
    maintained with the library), see ``xueji/accounts/divisions.py``. Codes that are no longer in use stay,
    marked ``in_use=False``: older ID numbers still carry them.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, "省级"
        CITY = 2, "地级"
        COUNTY = 3, "县级"

    code = models.CharField("行政区划代码", max_length=6, primary_key=True)
    name = models.CharField("名称", max_length=60)
    full_name = models.CharField("全称", max_length=120)
    level = models.PositiveSmallIntegerField("级别", choices=Level.choices)
    parent = models.ForeignKey("self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    in_use = models.BooleanField("现行", default=True)

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.full_name}"

    @property
    def code12(self) -> str:
        """The 12-digit statistical area code of the national system's files (county + 000000)."""
        return self.code + "000000"
