"""Every API operation carries an example in the schema: writes of their body, reads of their answer."""

from __future__ import annotations


def test_every_operation_has_an_example(client, make_engineer):
    client.force_login(make_engineer(6).user)
    schema = client.get("/api/v1/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}).json()
    operations = [(path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()]
    assert len(operations) >= 20
    for path, method, op in operations:
        request = [c for c in op.get("requestBody", {}).get("content", {}).values() if c.get("examples")]
        answers = [
            c for code, r in op["responses"].items() if code.startswith("2") for c in r.get("content", {}).values()
        ]
        assert request or any(c.get("examples") for c in answers), f"{method.upper()} {path} has no example"
