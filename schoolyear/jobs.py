"""The heavy documents of schoolyear/, printed by a worker (xueji/documents/jobs.py): a school's
毕业生名册 (its whole graduating grade, hundreds of lines and a dozen pages at a big school).

The certificate numbers' spreadsheet is no job of this kind: it holds names and 学籍号 and leaves
only through an approved export request (schoolyear/exports.py), whose file a worker makes."""

import hashlib

from django.db.models import Count, Max, Q

from schoolyear import selectors
from schoolyear.dates import graduating_grade
from schoolyear.models import Graduate, Graduation
from xueji.codes import PupilStatus
from xueji.documents.jobs import DocumentJobKind, JobTarget
from xueji.pupils.models import Pupil
from xueji.pupils.visibility import visibility_for


def _year_label(start_year: int) -> str:
    return f"{start_year}—{start_year + 1}学年"


class GraduateListJob(DocumentJobKind):
    """打印毕业生名册 of a school's graduating grade for a school year. Params: {"school": id,
    "start_year": year} (the year the page showed when the button was pressed). Whoever follows
    the school's year may print it (selectors.get_followed_school: 404 outside the scope, refused
    in it without such a role). Kept per user while the pupils it lists (the cards' fingerprint:
    their records, numbers and classes), the year's graduations and certificates, and the user's
    view of the school (what is masked) are unchanged."""

    code = "graduate_list"
    label = "毕业生名册"

    def _school(self, user, params):
        return selectors.get_followed_school(user, params.get("school"))

    @staticmethod
    def _start_year(params) -> int:
        return int(params["start_year"])

    def _listed_pupils(self, school, start_year: int):
        """Every pupil the list may print: the graduating grade on the roll, and the year's graduates."""
        graduates = Graduate.objects.filter(graduation__school=school, graduation__school_year__start_year=start_year)
        return Pupil.objects.filter(
            Q(school=school, grade=graduating_grade(school), status__in=selectors.ON_ROLL, deleted_at__isnull=True)
            | Q(pk__in=graduates.values("pupil_id")))

    def target(self, user, params):
        school = self._school(user, params)
        start_year = self._start_year(params)
        graduated = Graduate.objects.filter(graduation__school=school,
                                            graduation__school_year__start_year=start_year).count()
        if graduated:
            count = graduated
        else:
            count = Pupil.objects.filter(school=school, grade=graduating_grade(school), status=PupilStatus.ENROLLED,
                                         deleted_at__isnull=True).count()
        return JobTarget(unit=school, title=f"{school.name}{_year_label(start_year)}毕业生名册", pupil_count=count)

    def fingerprint(self, user, params, target):
        from xueji.documents.cards import cards_fingerprint

        school = self._school(user, params)
        start_year = self._start_year(params)
        graduations = Graduation.objects.filter(school=school, school_year__start_year=start_year)
        graduates = Graduate.objects.filter(graduation__in=graduations)
        parts = [
            start_year, graduating_grade(school),
            cards_fingerprint(self._listed_pupils(school, start_year), school),
            list(graduations.order_by("pk").values_list("pk", "graduated_on", "count")),
            # Certificates are never changed nor deleted (their triggers): a count and the last id tell.
            sorted(graduates.aggregate(n=Count("pk"), last=Max("pk"), numbered=Count("certificate"),
                                       last_number=Max("certificate__pk")).items()),
            sorted(visibility_for(user, school).sees.items()),
        ]
        return hashlib.sha256(repr(parts).encode()).hexdigest()

    def build(self, user, params, target, progress):
        from django.utils import timezone

        from schoolyear.documents import graduate_list_pdf

        school = self._school(user, params)
        start_year = self._start_year(params)
        state = selectors.graduation_state(school, timezone.localdate(), start_year)
        progress(1, 2)
        # Recorded under the verification code its footer carries, and audited (xueji.documents.printing).
        return graduate_list_pdf(state, user=user, start_year=start_year)

    def filename(self, target, printed):
        return f"毕业生名册-{target.title.removesuffix('毕业生名册')}.pdf"
