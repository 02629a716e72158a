"""The pages every user sees: the home page and the error pages; the health check."""

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from xueji.accounts.scoping import current_membership
from xueji.web.home import home_panels


@login_required
def home(request):
    membership = current_membership(request)
    return render(request, "web/home.html", {"panels": home_panels(request.user, membership)})


@require_safe
@never_cache
def healthz(request):
    """Whether this web process answers and reaches the database: for a balancer's health check
    (which has no session) and for benchmarks/peak_day.py's measure of the stack's limit (which
    has one). It answers without a login, because a balancer cannot log in, yet goes through
    every middleware like any page and, for a signed-in client, loads its session and user: what
    it costs is what every page costs before its own work. It tells nothing about anyone: "正常",
    or 503 when the database cannot be reached (the balancer then sends requests elsewhere)."""
    request.user.is_authenticated  # noqa: B018 — the session and the user, as every page loads them
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("数据库无法连接", status=503, content_type="text/plain; charset=utf-8")
    return HttpResponse("正常", content_type="text/plain; charset=utf-8")


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # No context processors: the page must render even when the database is what failed.
    return HttpResponseServerError(loader.get_template("500.html").render())


def error_400(request, exception=None):
    return render(request, "400.html", status=400)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)
