from portal.models import AuditEvent


def _event(*, actor, reseller, action: str, obj=None, data: dict | None = None) -> AuditEvent:
    return AuditEvent(
        actor=actor if actor and actor.is_authenticated else None,
        reseller=reseller,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        data=data or {},
    )


def audit(*, actor, reseller, action: str, obj=None, data: dict | None = None) -> AuditEvent:
    """Append one audit event. `action` is dotted: "app.object.verb"."""
    event = _event(actor=actor, reseller=reseller, action=action, obj=obj, data=data)
    event.save()
    return event


def audit_each(*, actor, action: str, objects, data) -> None:
    """Append one event per object of `objects` (each with its `reseller`) in one insert;
    `data(obj)` gives each event's data."""
    AuditEvent.objects.bulk_create([
        _event(actor=actor, reseller=obj.reseller, action=action, obj=obj, data=data(obj))
        for obj in objects])
