"""Heavy documents printed by a worker: DocumentJob, which generalises the former CardJob (a
school's or a grade's 学籍卡). The card jobs' rows are carried over as jobs of kind "school_cards"
(no page prints that kind any more: their files are kept for their requesters' downloads until a
newer job replaces them)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import xueji.files.storage


def card_jobs_forward(apps, schema_editor):
    CardJob = apps.get_model("xueji", "CardJob")
    DocumentJob = apps.get_model("xueji", "DocumentJob")
    grades = {1: "一年级", 2: "二年级", 3: "三年级", 4: "四年级", 5: "五年级", 6: "六年级", 7: "七年级", 8: "八年级",
              9: "九年级", 10: "高一", 11: "高二", 12: "高三"}
    for old in CardJob.objects.select_related("school").iterator():
        scope = grades.get(old.grade, "") if old.grade else "全校"
        job = DocumentJob.objects.create(
            kind="school_cards", params={"school": old.school_id, "grade": old.grade}, title=f"{old.school.name}{scope}学籍卡",
            requested_by_id=old.requested_by_id, unit_id=old.school_id, fingerprint=old.fingerprint, status=old.status,
            progress=old.progress, pupil_count=old.pupil_count, file=old.file, document_id=old.document_id,
            error=old.error, started_at=old.started_at, finished_at=old.finished_at, worker=old.worker,
            heartbeat_at=old.heartbeat_at, restarts=old.restarts,
        )
        DocumentJob.objects.filter(pk=job.pk).update(created_at=old.created_at)


class Migration(migrations.Migration):

    dependencies = [
        ("xueji", "0023_pupil_pinyin_per_school"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DocumentJob",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("worker", models.CharField(blank=True, help_text="主机名:进程号", max_length=120, verbose_name="执行进程")),
                ("heartbeat_at", models.DateTimeField(blank=True, null=True, verbose_name="最近心跳")),
                ("restarts", models.PositiveSmallIntegerField(default=0, verbose_name="重新开始次数")),
                ("kind", models.CharField(max_length=40, verbose_name="文书类型")),
                ("params", models.JSONField(blank=True, default=dict, verbose_name="参数")),
                ("title", models.CharField(blank=True, max_length=200, verbose_name="标题")),
                ("fingerprint", models.CharField(blank=True, max_length=64, verbose_name="数据指纹")),
                ("status", models.CharField(choices=[("queued", "排队中"), ("running", "生成中"), ("done", "已完成"), ("failed", "失败")], default="queued", max_length=10, verbose_name="状态")),
                ("progress", models.PositiveSmallIntegerField(default=0, verbose_name="进度（%）")),
                ("pupil_count", models.PositiveIntegerField(default=0, verbose_name="学生人数")),
                ("file", models.FileField(blank=True, upload_to=xueji.files.storage.private_upload_path, verbose_name="文件")),
                ("filename", models.CharField(blank=True, max_length=200, verbose_name="文件名")),
                ("error", models.TextField(blank=True, verbose_name="错误")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="申请时间")),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="开始时间")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="完成时间")),
                ("document", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="xueji.printeddocument", verbose_name="打印记录")),
                ("requested_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="申请人")),
                ("unit", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="xueji.unit", verbose_name="单位")),
            ],
            options={
                "verbose_name": "文书生成任务",
                "verbose_name_plural": "文书生成任务",
                "ordering": ["-created_at", "-id"],
                "indexes": [models.Index(fields=["requested_by", "kind", "fingerprint"], name="documentjob_lookup")],
            },
        ),
        migrations.RunPython(card_jobs_forward, migrations.RunPython.noop),
        migrations.DeleteModel(name="CardJob"),
    ]
