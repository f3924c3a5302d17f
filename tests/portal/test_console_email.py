"""Issue 21 item 11: development e-mails on the console are readable and their links
clickable: no quoted-printable soft breaks, the text decoded."""

import io

from django.core.mail import EmailMultiAlternatives

from portal.mail_console import EmailBackend

LINK = (
    "http://127.0.0.1:8000/c/mca/eyJpIjo3LCJjIjo4LCJuIjoiNTRmNWFiMzMtNWJkNS00MDMyLWFjMWItY2Zh"
    "OTRlZmU0NmUzIn0:1xa7fu:ubFpjtQqlWQA5Chhdj_kGAisJj1PkU5HKm_KK5ezUBA/"
)


def test_console_e_mail_prints_the_link_whole_and_the_text_decoded():
    stream = io.StringIO()
    message = EmailMultiAlternatives(
        "Accept the Microsoft Customer Agreement – Contoso",
        f"Hello Robin,\n\nopen {LINK} to accept – it works once.\n",
        "portal@localhost",
        ["robin@contoso.test"],
    )
    message.attach_alternative(f'<p><a href="{LINK}">Accept</a></p>', "text/html")
    EmailBackend(stream=stream).send_messages([message])
    out = stream.getvalue()
    assert f"open {LINK} to accept – it works once." in out
    assert "=\n" not in out and "=E2=80=93" not in out
    assert "Subject: Accept the Microsoft Customer Agreement – Contoso" in out
    assert "To: robin@contoso.test" in out
    assert "[text/html part not shown]" in out


def test_development_uses_the_readable_console_backend():
    import subprocess
    import sys

    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; "
        "django.setup(); from django.conf import settings; "
        "print(settings.MAILERS['default']['BACKEND'])"
    )
    env = {"DEBUG": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "portal.mail_console.EmailBackend"
