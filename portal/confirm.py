"""A confirmation step for destructive actions, served by the view itself (no script, so it
works under the Content-Security-Policy): GET on the action's URL shows what will happen and
a button that POSTs to the same URL; the button on the page before is a GET form or link."""

from django.shortcuts import render


def confirm_page(
    request,
    *,
    title: str,
    consequences: list[str],
    button: str,
    back: str,
    hidden: dict | None = None,
):
    return render(
        request,
        "confirm.html",
        {
            "title": title,
            "consequences": consequences,
            "button": button,
            "back": back,
            "hidden": hidden or {},
            "action": request.path,
        },
    )
