from django.urls import path

from xueji.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
]
