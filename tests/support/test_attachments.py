import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from support.attachments import validate_attachments


def f(name, data):
    return SimpleUploadedFile(name, data)


def test_real_files_of_allowed_types_pass():
    validate_attachments(
        [
            f("a.pdf", b"%PDF-1.7 ..."),
            f("b.png", b"\x89PNG\r\n\x1a\n...."),
            f("c.csv", "id,name\n1,Zoë\n".encode()),
            f("d.log", b"ok\n"),
        ]
    )


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (f("evil.html", b"<script>alert(1)</script>"), "evil.html: .html files are not accepted"),
        (f("fake.pdf", b"<html>not a pdf</html>"), "fake.pdf: the content is not a real .pdf file"),
        (f("binary.txt", b"\x00\x01\x02"), "binary.txt: the content is not a real .txt file"),
        (f("latin1.csv", "café".encode("latin-1")), "latin1.csv: the content is not a real .csv"),
        (f("noext", b"data"), "noext: .? files are not accepted"),
    ],
)
def test_bad_files_are_named_with_the_reason(upload, message):
    with pytest.raises(ValidationError) as exc:
        validate_attachments([upload])
    assert message in " ".join(exc.value.messages)


def test_size_and_count_limits(settings):
    settings.SUPPORT_ATTACHMENT_MAX_BYTES = 1024 * 1024
    settings.SUPPORT_ATTACHMENT_MAX_FILES = 2
    with pytest.raises(ValidationError, match="over the 1 MB limit"):
        validate_attachments([f("big.txt", b"a" * (1024 * 1024 + 1))])
    with pytest.raises(ValidationError, match="At most 2 files"):
        validate_attachments([f(f"{n}.txt", b"x") for n in range(3)])
