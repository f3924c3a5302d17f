from portal.models import AuditEvent


def audit(*, actor, reseller, action: str, obj=None, data: dict | None = None) -> AuditEvent:
    """Append one audit event. `action` is dotted: "app.object.verb"."""
    return AuditEvent.objects.create(
        actor=actor if actor and actor.is_authenticated else None,
        reseller=reseller,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        data=data or {},
    )
