"""Parsed policies are cached per stored version, and a reused id (a flushed or restored database) is not confused."""

from __future__ import annotations

import copy

import pytest

from policy.document import DEFAULT_POLICY_DATA
from policy.services.policies import policy_of
from reviews.models import PolicyVersion

pytestmark = pytest.mark.django_db


def test_a_version_that_reuses_an_id_is_parsed_afresh():
    first = PolicyVersion.objects.create(number=1, data=copy.deepcopy(DEFAULT_POLICY_DATA), source="default")
    names = [rule.name for rule in policy_of(first).rules]
    pk = first.pk
    first.delete()
    data = copy.deepcopy(DEFAULT_POLICY_DATA)
    data["rules"].append({"name": "every-change", "when": {}, "require": {"sign_offs": 1}})
    again = PolicyVersion.objects.create(pk=pk, number=1, data=data, source="portal")

    assert [rule.name for rule in policy_of(again).rules] == [*names, "every-change"]
    assert policy_of(again) is policy_of(PolicyVersion.objects.get(pk=pk))  # still parsed once
