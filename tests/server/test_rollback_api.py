"""`POST lambdas/NAME/rollback` with no version goes back to the version that served before, and says so."""

from __future__ import annotations

from tests.server.test_lambdas_api import deploy

RETURNS = "def f(event):\n    return {n}\n"


def test_rollback_returns_to_the_previously_current_version(api):
    for n in (1, 2):
        deploy(api, "hello", RETURNS.format(n=n))
    status, rolled = api.call("POST", "lambdas/hello/rollback", {"version": 1})
    assert status == 200 and rolled["version"] == 1
    assert deploy(api, "hello", RETURNS.format(n=3))["version"] == 3
    status, rolled = api.call("POST", "lambdas/hello/rollback", {"version": None})
    assert status == 200 and rolled["version"] == 1 and api.call("POST", "run/hello", 0) == (200, 1)
    assert rolled["rollback"] == {"from": 3, "to": 1,
                                  "message": "hello now serves version 1 (the version current before version 3)"}
    status, rolled = api.call("POST", "lambdas/hello/rollback")  # an empty body: the same
    assert status == 200 and rolled["version"] == 3 and rolled["rollback"]["from"] == 1
