"""Locust users of the load test (run through bench/load.py): a reseller owner browsing the
dashboard, the customer list and a report, and now and then changing seats."""

import itertools
import os
import re
import uuid

from locust import HttpUser, between, events, task

EMAIL = os.environ.get("LOAD_EMAIL", "owner@northwind.example")
PASSWORD = os.environ.get("LOAD_PASSWORD", "demo-portal-2026")
REPORT_PATH = os.environ.get("LOAD_REPORT_PATH", "/subscriptions/")
SESSION = {}


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@events.test_start.add_listener
def sign_in_once(environment, **kwargs):
    """One sign-in shared by all users: allauth rightly rate-limits logins per IP."""
    import requests

    s = requests.Session()
    page = s.get(f"{environment.host}/accounts/login/")
    s.post(
        f"{environment.host}/accounts/login/",
        data={"login": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": _csrf(page.text)},
        headers={"Referer": f"{environment.host}/accounts/login/"},
    )
    SESSION.update(s.cookies.get_dict())
    if "sessionid" not in SESSION:
        raise RuntimeError("Sign-in for the load test failed.")


class ResellerOwner(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.client.cookies.update(SESSION)
        page = self.client.get("/subscriptions/?status=active", name="/subscriptions/").text
        self.subscription = re.search(r'href="/subscriptions/(\d+)/"', page).group(1)
        self.steps = itertools.cycle((+1, -1))
        self.quantity = None

    @task(3)
    def dashboard(self):
        self.client.get("/dashboard/")

    @task(3)
    def customers(self):
        self.client.get("/customers/?page=2", name="/customers/")

    @task(2)
    def report(self):
        self.client.get(REPORT_PATH, name="report")

    @task(1)
    def change_seats(self):
        url = f"/subscriptions/{self.subscription}/"
        page = self.client.get(url, name="/subscriptions/<id>/").text
        seats = int(re.search(r'data-testid="seats">(\d+)<', page).group(1))
        with self.client.post(
            f"{url}seats/",
            name="/subscriptions/<id>/seats/",
            data={
                "quantity": seats + next(self.steps),
                "idempotency_key": uuid.uuid4().hex,
                "csrfmiddlewaretoken": _csrf(page),
            },
            headers={"Referer": self.host + url, "X-CSRFToken": _csrf(page)},
            catch_response=True,
        ) as response:
            if response.status_code >= 400:
                response.failure(f"seat change answered {response.status_code}")
