from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = "新生建籍"
    default_auto_field = "django.db.models.BigAutoField"
