"""The page and the API every kind of request gets from the engine; a kind's app subclasses them
with its form, its serializer and its start service.

- ``RequestStartView``: the registrar's page to start a request for a pupil, which also corrects
  and resubmits a rejected one (``?resubmit=<id>``: the form comes back filled with its answers,
  and the new request links it). Only the registrar of the pupil's school reaches it.
- ``RequestKindViewSet``: /api/v1/<kinds>/ — the requests of the kind the caller may see (list,
  detail), starting one (multipart, with the proof; ``resubmission_of`` to resubmit) and
  withdrawing one. Deciding is /api/v1/requests/{id}/decide/ for every kind.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from xueji.accounts.models import Unit
from xueji.accounts.permissions import require_registrar
from xueji.accounts.scoping import MAX_ID
from xueji.approvals.api import RequestSerializer
from xueji.approvals.models import ChangeRequest
from xueji.approvals.scoping import get_request_for_user, requests_visible_to
from xueji.approvals.services import request_withdraw, resubmission_source
from xueji.forms import show_errors
from xueji.pupils.models import Pupil
from xueji.pupils.scoping import get_pupil_for_user


def request_id_param(value) -> int | None:
    """The id of a request given in a query parameter (`?resubmit=`), or None when it is not one."""
    try:
        number = int(value) if value else None
    except ValueError:
        return None
    return number if number and 0 < number <= MAX_ID else None


class RequestStartView(LoginRequiredMixin, View):
    """Start a request of ``kind`` for the pupil of the URL (``pupil_id``), or resubmit a rejected
    one. Subclasses set ``kind``, ``form_class``, ``template_name`` and ``title`` and write
    ``start``; ``initial_from`` gives a rejected request's answers back to its form."""

    kind = ""
    form_class = None
    template_name = ""
    title = ""
    # Where a service's refusal about the files goes on the form.
    file_field = "files"

    def get_pupil(self) -> Pupil | None:
        """The pupil (404 outside the user's scope), whose school's registrar alone may start."""
        pupil = get_pupil_for_user(self.request.user, self.kwargs["pupil_id"])
        require_registrar(self.request.user, pupil.school_id, hide=True)
        return pupil

    def get_school(self, pupil: Pupil | None) -> Unit:
        """The unit that starts the request: the pupil's school."""
        return pupil.school

    def form_kwargs(self, pupil: Pupil | None, school: Unit) -> dict:
        """The form's own arguments (``self.old`` is the rejected request being resubmitted)."""
        return {}

    def initial_from(self, old: ChangeRequest) -> dict:
        """The rejected request's answers, to be corrected rather than typed again."""
        return {}

    def start(self, pupil: Pupil | None, school: Unit, data: dict, resubmission_of: ChangeRequest | None) -> ChangeRequest:
        raise NotImplementedError

    def success_message(self, change: ChangeRequest) -> str:
        return f"{self.title}申请已提交，等待{change.steps.get(position=0).label}。"

    def refused_url(self, pupil: Pupil | None) -> str:
        """Where a resubmission that cannot be (no such request, resubmitted already) goes back to."""
        return reverse("pupils:pupil_detail", args=[pupil.pk])

    def context(self, pupil: Pupil | None, school: Unit) -> dict:
        return {}

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if request.method not in ("GET", "POST"):
            return self.http_method_not_allowed(request, *args, **kwargs)
        pupil = self.get_pupil()
        school = self.get_school(pupil)
        try:
            old = resubmission_source(actor=request.user, kind=self.kind, unit=school,
                                      request_id=request_id_param(request.GET.get("resubmit")), pupil=pupil)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
            return redirect(self.refused_url(pupil))
        self.old = old
        initial = self.initial_from(old) if old else {}
        form = self.form_class(request.POST or None, request.FILES or None, initial=initial, **self.form_kwargs(pupil, school))
        if request.method == "POST" and form.is_valid():
            try:
                change = self.start(pupil, school, form.cleaned_data, old)
            except ValidationError as error:
                show_errors(form, error, file_field=self.file_field)
            else:
                messages.success(request, self.success_message(change))
                return redirect("approvals:request_detail", change.pk)
        context = {"form": form, "pupil": pupil, "school": school, "old": old, "title": self.title,
                   **self.context(pupil, school)}
        return render(request, self.template_name, context)


class RequestStartSerializer(serializers.Serializer):
    """What every start takes besides the kind's own fields."""

    resubmission_of = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID,
        help_text="重新提交：被退回的原申请编号（同一类型、同一学生、同一发起学校）",
    )


class PupilRequestStartSerializer(RequestStartSerializer):
    pupil = serializers.IntegerField(min_value=1, max_value=MAX_ID)


def files_field(help_text: str = "证明材料：PDF、JPG、PNG", *, required: bool = True) -> serializers.ListField:
    """Several proof files in one multipart field (a field instance each: DRF binds a child field
    to the one list that holds it)."""
    return serializers.ListField(child=serializers.FileField(), allow_empty=not required, required=required,
                                 help_text=help_text)


class RequestKindViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The requests of ``kinds`` the caller may see; starting one (``start_serializer``, then
    ``start``) for a pupil of the caller's school (a pupil the caller cannot see is 404, as
    everywhere); withdrawing one the caller started, until its first decision."""

    # The kinds listed; a start starts the first (transfers/ lists its other kinds beside it).
    kinds: tuple[str, ...] = ()
    start_serializer = PupilRequestStartSerializer
    serializer_class = RequestSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        queryset = requests_visible_to(self.request.user).filter(kind__in=self.kinds)
        return (queryset.select_related("pupil__school", "started_unit")
                .prefetch_related("steps__unit", "attachments").order_by("-started_at", "-id"))

    def get_object(self) -> ChangeRequest:
        change = get_request_for_user(self.request.user, self.kwargs["pk"])
        if change.kind not in self.kinds:
            raise Http404
        return change

    def get_pupil(self, values: dict) -> Pupil | None:
        return get_pupil_for_user(self.request.user, values["pupil"])

    def get_school(self, pupil: Pupil | None) -> Unit:
        return pupil.school

    def start(self, pupil: Pupil | None, school: Unit, values: dict, resubmission_of: ChangeRequest | None) -> ChangeRequest:
        raise NotImplementedError

    def respond(self, change: ChangeRequest, code: int = status.HTTP_200_OK) -> Response:
        body = RequestSerializer(get_request_for_user(self.request.user, change.pk), context={"request": self.request}).data
        return Response(body, status=code)

    def create(self, request):
        data = self.start_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        pupil = self.get_pupil(values)
        school = self.get_school(pupil)
        old = resubmission_source(actor=request.user, kind=self.kinds[0], unit=school,
                                  request_id=values.get("resubmission_of"), pupil=pupil)
        return self.respond(self.start(pupil, school, values, old), status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        change = self.get_object()
        request_withdraw(actor=request.user, request_id=change.pk)
        return self.respond(change)
