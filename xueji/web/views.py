"""The pages every user sees: the home page and the error pages."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

from xueji.accounts.scoping import current_membership
from xueji.web.home import home_panels


@login_required
def home(request):
    membership = current_membership(request)
    return render(request, "web/home.html", {"panels": home_panels(request.user, membership)})


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
