"""Print what the change page shows: policy decision, gates, risk, review time and AI evidence."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reviews.models import Change
from reviews.selectors import change_detail


class Command(BaseCommand):
    help = "Explain a change: the rules that matched and what is missing, gates, risk, review minutes, AI evidence."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("repository", help="Repository name, e.g. acme/shop")
        parser.add_argument("sha", help="Head SHA (at least 7 characters) or the change's external id")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, repository: str, sha: str, as_json: bool, **options) -> None:
        value = sha.strip().lower()
        matches = Change.objects.filter(repository__name=repository)
        if len(value) >= 7 and all(c in "0123456789abcdef" for c in value):
            matches = matches.filter(head_sha__startswith=value)
        else:
            matches = matches.filter(external_id=sha.strip())
        ids = list(matches.values_list("pk", flat=True)[:2])
        if not ids:
            raise CommandError(f"no change of {repository!r} matches {sha!r}")
        if len(ids) > 1:
            raise CommandError(f"{sha!r} matches several changes of {repository!r}: give more of the SHA")
        change = change_detail(ids[0])
        data = {
            "repository": change.repository.name,
            "change": change.external_id,
            "title": change.title,
            "head_sha": change.head_sha,
            "state": change.state,
            "review_state": change.review_state,
            "author": {
                "name": change.author.display_name if change.author else change.author_name,
                "level": change.author.level if change.author else None,
            },
            "policy": {
                "version": change.policy_version.number if change.policy_version else None,
                "matched_rules": change.policy_rules,
                "reasons": change.policy_reasons,
                "required_sign_offs": change.required_sign_offs,
                "requires_owner": change.requires_owner,
                "owner_paths": change.owner_paths,
                "requires_attestation": change.requires_attestation,
                "requires_gates": change.requires_gates,
                "missing": change.policy_missing,
            },
            "gates": [
                {
                    "name": g.name,
                    "status": g.status,
                    "message": g.message,
                    "source": g.source,
                    "overridden_by": g.override.senior.display_name if g.override else None,
                }
                for g in change.current_gates
            ],
            "risk": {
                "score": change.risk_score,
                "contributions": [{"weight": w, "reason": r} for w, r in change.risk_reasons],
            },
            "estimated_review_minutes": change.review_minutes,
            "ai": {
                "assisted": change.ai_assisted,
                "confidence": change.ai_confidence,
                "declared": change.ai_declared,
                "undeclared_but_detected": change.ai_undeclared,
                "evidence": change.ai_evidence,
            },
        }
        if as_json:
            self.stdout.write(json.dumps(data, indent=2))
            return
        self._text(data)

    def _text(self, d: dict) -> None:
        out = self.stdout.write
        out(f"{d['repository']} {d['change']}  {d['title']}")
        out(f"head {d['head_sha']}  state {d['state']}  review {d['review_state']}")
        author = d["author"]
        out(f"author {author['name']}" + (f" (L{author['level']})" if author["level"] else ""))
        p = d["policy"]
        out(f"\nPolicy v{p['version']}: rules matched {', '.join(p['matched_rules']) or 'none'}")
        for reason in p["reasons"]:
            out(f"  - {reason}")
        out("  still needed: " + ("; ".join(p["missing"]) or "nothing"))
        out("\nGates")
        for g in d["gates"] or [{"name": "-", "status": "none", "message": "no results yet", "overridden_by": None}]:
            note = f" (overridden by {g['overridden_by']})" if g["overridden_by"] else ""
            out(f"  {g['status']:<5} {g['name']:<15} {g['message']}{note}")
        r = d["risk"]
        out(f"\nRisk {r['score']:.2f}")
        for c in r["contributions"]:
            out(f"  {c['weight']:+.2f}  {c['reason']}")
        out(f"\nEstimated review time: {d['estimated_review_minutes']} min")
        ai = d["ai"]
        out(f"\nAI-assisted: {'yes' if ai['assisted'] else 'no'} (confidence {ai['confidence']:.2f})")
        if ai["declared"] is not None:
            out(f"  declared by the author: {'yes' if ai['declared'] else 'no'}")
        if ai["undeclared_but_detected"]:
            out("  detected but not declared")
        for e in ai["evidence"]:
            out(f"  - {e}")
