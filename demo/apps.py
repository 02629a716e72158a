from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data and the ``load_demo`` command. No product module imports it."""

    name = "demo"
    verbose_name = "演示数据"
