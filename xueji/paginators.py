"""Paging that stops counting: a bureau's search can match tens of thousands of pupils, and an
exact count of them costs more than the page itself. Nobody pages through more than a few
thousand rows: they narrow the search."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

COUNT_CAP = 5000


class CappedPaginator(Paginator):
    """Counts at most COUNT_CAP + 1 rows (SELECT COUNT(*) FROM (… LIMIT 5001)); ``capped`` says
    the count stopped there. Pages up to the cap can be reached."""

    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        # Only the rows are counted: without the list's ORDER BY (it would make PostgreSQL find
        # the first 5,001 rows in that order rather than any 5,001) and, unless the rows are
        # DISTINCT, without the columns shown (annotations such as an inbox's attachment count
        # would be computed for every row counted).
        if hasattr(self.object_list, "count_rows"):
            # A list that reads itself (xueji.pupils.selectors.PinyinSearchResults) says what to count.
            return self.object_list.count_rows()[: self.cap + 1].count()
        rows = self.object_list.order_by()
        if not rows.query.distinct:
            rows = rows.values("pk")
        return rows[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class CappedPageNumberPagination(PageNumberPagination):
    """The API's paging: ``count`` stops at COUNT_CAP + 1, and ``count_capped`` says so."""

    django_paginator_class = CappedPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.capped
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_capped"] = {"type": "boolean", "description": f"结果超过 {COUNT_CAP} 条时为 true，count 不再精确"}
        return schema


def query_without_page(request) -> str:
    """The page's query string without its page number, for the pager's links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
