from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """Opaque `cursor` links (`next`/`previous`); stable while rows are added. The order is the
    view's `ordering` (or `?ordering=`)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "id"
