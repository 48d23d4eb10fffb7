"""Add the co-author addresses of bots that write code or documentation with a model (frozen here)."""

from django.db import migrations

ADDRESSES = (
    "*codeflash-ai[bot]@users.noreply.github.com",
    "*hyperlint-ai[bot]@users.noreply.github.com",
    "*coderabbitai[bot]@users.noreply.github.com",
    "*sourcery-ai[bot]@users.noreply.github.com",
    "*ellipsis-dev[bot]@users.noreply.github.com",
    "*amazon-q-developer[bot]@users.noreply.github.com",
)


def seed(apps, schema_editor):
    Entry = apps.get_model("reviews", "AiVocabularyEntry")
    if not Entry.objects.exists():
        return  # an empty table means the built-in vocabulary, which already holds these
    for value in ADDRESSES:
        Entry.objects.get_or_create(kind="address", value=value, defaults={"note": "built in"})


def unseed(apps, schema_editor):
    Entry = apps.get_model("reviews", "AiVocabularyEntry")
    Entry.objects.filter(kind="address", value__in=ADDRESSES, note="built in").delete()


class Migration(migrations.Migration):
    dependencies = [("reviews", "0019_history_read_indexes")]

    operations = [migrations.RunPython(seed, unseed)]
