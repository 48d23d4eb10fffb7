"""Carry the plain-text DRF tokens over as hashed scoped tokens (same keys keep working), then delete them."""

import hashlib

from django.db import migrations

# What an old token could do: everything but admin (it acted as its user, whose own permissions still apply).
CARRIED_SCOPES = ["ci", "incidents", "read", "review"]


def forwards(apps, schema_editor):
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("reviews", "ApiToken")
    for old in Token.objects.all():
        ApiToken.objects.create(
            user_id=old.user_id,
            name="token carried over",
            prefix=old.key[:10],
            key_hash=hashlib.sha256(old.key.encode()).hexdigest(),
            scopes=CARRIED_SCOPES,
        )
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reviews", "0013_api_tokens"), ("authtoken", "0004_alter_tokenproxy_options")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
