"""Print how many operations the API's OpenAPI schema has (per method and in all):

python manage.py api_operations
"""

from collections import Counter

from django.core.management.base import BaseCommand
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


def operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [(m, path) for path, ops in schema["paths"].items() for m in ops if m in METHODS]


class Command(BaseCommand):
    help = "Count the operations of the API's OpenAPI schema."

    def handle(self, *args, **options):
        ops = operations()
        per_method = Counter(m.upper() for m, _ in ops)
        paths = len({p for _, p in ops})
        self.stdout.write(
            ", ".join(f"{m} {n}" for m, n in sorted(per_method.items())) + f" in {paths} paths"
        )
        self.stdout.write(f"{len(ops)} operations in the API schema")
