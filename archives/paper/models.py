"""The paper file (纸质学籍档案) of a pupil as a school keeps it: the box it is in and what the
registrar found in it.

What the file must hold is not stored: it follows from the pupil's record and approved changes
(archives.paper.services.expected_items), so a change approved tomorrow adds its proof to the checklist
without anyone updating rows. Only the registrar's marks are stored, by the item's key.

农安县办法 第八条: 纸质学生学籍档案内容包括登记表、学籍基本信息表和学籍信息异动证明材料。"""

from django.db import models


class PaperFile(models.Model):
    """One pupil's paper file at one school. Per school, not per pupil: after a transfer the
    receiving school checks the file it received and files it in a box of its own, while the
    sending school's marks stay what they were when the file left."""

    pupil = models.ForeignKey("xueji.Pupil", verbose_name="学生", on_delete=models.PROTECT, related_name="paper_files")
    school = models.ForeignKey("xueji.School", verbose_name="学校", on_delete=models.PROTECT, related_name="+")
    box_number = models.CharField("档案盒号", max_length=20, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.ForeignKey("xueji.User", verbose_name="更新人", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "纸质学籍档案"
        verbose_name_plural = "纸质学籍档案"
        constraints = [models.UniqueConstraint(fields=["school", "pupil"], name="paper_file_one_per_school")]

    def __str__(self) -> str:
        return f"{self.pupil} 的纸质档案"


class PaperMark(models.Model):
    """The registrar's finding for one item of a file's checklist: present (齐全) or missing (缺失).
    An item without a mark has not been checked yet."""

    file = models.ForeignKey(PaperFile, verbose_name="档案", on_delete=models.CASCADE, related_name="marks")
    # archives.paper.services: "registration_form", "info_sheet", "req<id>:form", "req<id>:proof", "req<id>:<label>".
    key = models.CharField("材料", max_length=120)
    present = models.BooleanField("齐全")
    marked_by = models.ForeignKey("xueji.User", verbose_name="核对人", on_delete=models.PROTECT, related_name="+")
    marked_at = models.DateTimeField("核对时间")

    class Meta:
        verbose_name = "档案材料核对"
        verbose_name_plural = "档案材料核对"
        # Marks are written with ON CONFLICT (file, key) DO UPDATE: the unique index is also the
        # one that answers "this file's marks".
        constraints = [models.UniqueConstraint(fields=["file", "key"], name="paper_mark_one_per_item")]

    def __str__(self) -> str:
        return f"{self.key}：{'齐全' if self.present else '缺失'}"
