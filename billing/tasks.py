from celery import shared_task

from billing import services


@shared_task(bind=True, max_retries=0)
def run_usage_import(self, *, usage_import_id: int) -> str:
    """Validate and load one usage import (CSV upload or Partner Center fetch)."""
    try:
        return services.usage_import_run(usage_import_id=usage_import_id).status
    except Exception as e:
        services.usage_import_fail(usage_import_id=usage_import_id,
                                   message=f"The import stopped unexpectedly ({type(e).__name__})"
                                           "; nothing was written.")
        raise
