"""Development e-mail: printed on the console as people read it. Django's console backend
prints the wire format (quoted-printable, so long links are cut by "=" soft breaks and cannot
be clicked); this one prints the headers and each text part decoded, one line per line."""

from django.core.mail.backends.console import EmailBackend as ConsoleBackend


class EmailBackend(ConsoleBackend):
    def write_message(self, message):
        msg = message.message()
        for header in ("From", "To", "Cc", "Reply-To", "Subject", "Date"):
            if msg[header]:
                self.stream.write(f"{header}: {msg[header]}\n")
        for part in msg.walk():
            if part.is_multipart():
                continue
            kind = part.get_content_type()
            if kind == "text/plain":
                self.stream.write(
                    "\n"
                    + part.get_payload(decode=True)
                    .decode(part.get_content_charset() or "utf-8")
                    .rstrip("\n")
                    + "\n"
                )
            else:
                name = part.get_filename()
                self.stream.write(f"\n[{kind} part{f' {name}' if name else ''} not shown]\n")
        self.stream.write("-" * 79 + "\n")
