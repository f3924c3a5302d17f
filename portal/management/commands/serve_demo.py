"""`make run`: the development server, then the demo logins as the last lines it prints (after
Django's start-up banner), so a newcomer finds them without scrolling."""

from whitenoise.runserver_nostatic.management.commands.runserver import (
    Command as RunserverCommand,
)

from portal.demo import demo_logins, login_lines


class Command(RunserverCommand):
    help = "Run the development server and print the demo logins once it listens."

    def on_bind(self, server_port):
        super().on_bind(server_port)
        host = f"{self.protocol}://{self.addr}:{server_port}"
        self.stdout.write(
            self.style.SUCCESS(f"Demo data is loaded. Sign in at {host}/accounts/login/ with:")
        )
        for line in login_lines(demo_logins()):
            self.stdout.write(line)
