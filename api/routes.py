"""The API's resources under /api/v1/."""

from rest_framework.routers import SimpleRouter

from api.resources.customers import CustomerViewSet

router = SimpleRouter(trailing_slash="/?")
router.register("customers", CustomerViewSet, basename="customer")
