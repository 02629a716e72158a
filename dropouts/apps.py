from django.apps import AppConfig


class DropoutsConfig(AppConfig):
    name = "dropouts"
    verbose_name = "辍学与劝返"
    default_auto_field = "django.db.models.BigAutoField"
