"""Binding forms: a POST binds the form even when it is empty, so that it shows what is missing
(`request.POST or None` would show a blank form instead)."""


def posted(request):
    return request.POST if request.method == "POST" else None


def posted_files(request):
    return request.FILES if request.method == "POST" else None
