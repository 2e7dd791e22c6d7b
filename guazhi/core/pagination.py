"""The API's pagination.

`Pagination` (the default): page numbers and the exact `count`, for the registers people page
through and total (cadres, projects, deeds: tens of thousands of rows, counted in a few ms).

`NewestFirstCursorPagination`, for logs that grow without end (daily work records: a million
at province scale): `next` and `previous` links carry an opaque cursor, and there is no `count`
and no page number. Counting a million records exactly cost every page 45 ms of the
database's time, more than the page itself (docs/benchmarks.md); a cursor also keeps its place
while new records arrive, where page 2 would shift by each new record. DRF's own class
(rest_framework.pagination.CursorPagination); the order is newest first by date, then id.
"""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class NewestFirstCursorPagination(CursorPagination):
    page_size = Pagination.page_size
    page_size_query_param = Pagination.page_size_query_param
    max_page_size = Pagination.max_page_size
    ordering = ("-date", "-id")
    invalid_cursor_message = "游标无效（请使用上一次响应中的 next 或 previous 链接）"
