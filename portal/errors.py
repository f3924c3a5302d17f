from django.shortcuts import render


def bad_request(request, exception=None):
    reason = str(exception) if exception and str(exception) else ""
    return render(request, "400.html", {"reason": reason}, status=400)


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


def forbidden(request, exception=None):
    """`exception` may carry `link_url` and `link_text`: where to go to get the permission
    (e.g. the program to request)."""
    reason = str(exception) if exception and str(exception) else ""
    return render(
        request,
        "403.html",
        {
            "reason": reason,
            "link_url": getattr(exception, "link_url", ""),
            "link_text": getattr(exception, "link_text", ""),
        },
        status=403,
    )


def server_error(request):
    # No context processors: the database may be what failed.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render())
