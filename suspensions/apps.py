from django.apps import AppConfig


class SuspensionsConfig(AppConfig):
    name = "suspensions"
    verbose_name = "休学、复学、缓学"
    default_auto_field = "django.db.models.BigAutoField"
