"""Seed the AI accounts and vocabulary with what detection knew when this was written (frozen here)."""

from django.db import migrations

DEFAULTS = {
    "domain": (
        "claude.ai",
        "claude.com",
        "chatgpt.com",
        "aider.chat",
    ),
    "address": (
        "noreply@anthropic.com",
        "claude@anthropic.com",
        "noreply@openai.com",
        "codex@openai.com",
        "cursoragent@cursor.com",
        "grok@x.ai",
        "noreply@codeium.com",
        "amp@ampcode.com",
        "copilot@users.noreply.github.com",
        "*+copilot@users.noreply.github.com",
        "copilot@github.com",
        "cursoragent@users.noreply.github.com",
        "*+cursoragent@users.noreply.github.com",
        "*devin-ai-integration[bot]@users.noreply.github.com",
        "*copilot-swe-agent[bot]@users.noreply.github.com",
        "*claude[bot]@users.noreply.github.com",
        "*cursor[bot]@users.noreply.github.com",
        "*codex[bot]@users.noreply.github.com",
        "*chatgpt-codex-connector[bot]@users.noreply.github.com",
        "*gemini-code-assist[bot]@users.noreply.github.com",
        "*google-labs-jules[bot]@users.noreply.github.com",
        "*openhands*@users.noreply.github.com",
        "*sweep-ai[bot]@users.noreply.github.com",
    ),
    "tool": (
        "claude",
        "claude code",
        "copilot",
        "github copilot",
        "cursor",
        "chatgpt",
        "gpt",
        "openai",
        "codex",
        "gemini",
        "devin",
        "aider",
        "windsurf",
        "jules",
        "grok",
        "amp",
        "qwen",
        "deepseek",
        "llama",
        "mistral",
        "openhands",
        "kiro",
    ),
    "trailer_key": (
        "assisted-by",
        "generated-by",
        "made-with",
        "ai-assisted-by",
        "co-developed-by",
    ),
    "agent_account": (
        "copilot-swe-agent[bot]",
        "devin-ai-integration[bot]",
        "claude[bot]",
        "cursor[bot]",
        "chatgpt-codex-connector[bot]",
        "google-labs-jules[bot]",
        "openhands-agent",
    ),
    "ai_reviewer": (
        "coderabbitai[bot]",
        "copilot-pull-request-reviewer[bot]",
        "copilot",
        "gemini-code-assist[bot]",
        "sourcery-ai[bot]",
        "cursor[bot]",
        "greptile-apps[bot]",
        "qodo-merge-pro[bot]",
        "ellipsis-dev[bot]",
        "chatgpt-codex-connector[bot]",
        "claude[bot]",
    ),
}


def seed(apps, schema_editor):
    Entry = apps.get_model("reviews", "AiVocabularyEntry")
    for kind, values in DEFAULTS.items():
        for value in values:
            Entry.objects.get_or_create(kind=kind, value=value, defaults={"note": "built in"})


def unseed(apps, schema_editor):
    Entry = apps.get_model("reviews", "AiVocabularyEntry")
    for kind, values in DEFAULTS.items():
        Entry.objects.filter(kind=kind, value__in=values, note="built in").delete()


class Migration(migrations.Migration):
    dependencies = [("reviews", "0017_ai_accounts_and_findings")]

    operations = [migrations.RunPython(seed, unseed)]
