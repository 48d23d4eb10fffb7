"""AI-assistance detection (intake.ai_detection): trailers, identities, branch, labels, declaration."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.ai_detection import DEFAULT_VOCABULARY, detect_ai, is_ai_email, is_ai_reviewer, trailers


def message(*trailer_lines: str, subject: str = "Fix login redirect", body: str = "Explain why.") -> str:
    return f"{subject}\n\n{body}\n\n" + "\n".join(trailer_lines) + "\n"


# --- e-mail addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "noreply@anthropic.com",
        "NoReply@Anthropic.com",
        "  noreply@anthropic.com  ",
        "123+Copilot@users.noreply.github.com",
        "198982749+Copilot@users.noreply.github.com",
        "copilot@users.noreply.github.com",
        "copilot@github.com",
        "cursoragent@cursor.com",
        "codex@openai.com",
        "aider@aider.chat",
        "158243242+devin-ai-integration[bot]@users.noreply.github.com",
        "198982749+copilot-swe-agent[bot]@users.noreply.github.com",
        "209825114+claude[bot]@users.noreply.github.com",
        "176961590+gemini-code-assist[bot]@users.noreply.github.com",
    ],
)
def test_email_of_an_ai_tool_is_ai(email):
    assert is_ai_email(email) is True


@pytest.mark.parametrize(
    "email",
    [
        "",
        "   ",
        "claude@example.com",
        "claude.shannon@bell-labs.com",
        "12345+claude@users.noreply.github.com",
        "12345+cursor@users.noreply.github.com",
        "ada@example.com",
        "someone@notanthropic.com",
        "someone@anthropic.com.evil.example",
        "49699333+dependabot[bot]@users.noreply.github.com",
        "29139614+renovate[bot]@users.noreply.github.com",
        "41898282+github-actions[bot]@users.noreply.github.com",
        "66853113+pre-commit-ci[bot]@users.noreply.github.com",
        "snyk-bot@snyk.io",
        "Claude",
        "rfindley@anthropic.com",  # a person who works at Anthropic (seen in golang/tools)
        "someone@openai.com",
    ],
)
def test_email_of_a_person_or_non_ai_bot_is_not_ai(email):
    assert is_ai_email(email) is False


# --- trailers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trailer", "confidence"),
    [
        ("Co-authored-by: Claude <noreply@anthropic.com>", 0.95),
        ("Co-Authored-By: Claude <noreply@anthropic.com>", 0.95),
        ("co-authored-by: Claude <noreply@anthropic.com>", 0.95),
        ("Co-authored-by: Copilot <123+Copilot@users.noreply.github.com>", 0.95),
        ("Co-authored-by: Cursor Agent <cursoragent@cursor.com>", 0.95),
        ("Assisted-by: Claude <noreply@anthropic.com>", 0.95),
        ("Generated-by: Cursor <cursoragent@cursor.com>", 0.95),
        ("Made-with: Copilot <123+Copilot@users.noreply.github.com>", 0.95),
        ("Co-authored-by: noreply@anthropic.com", 0.95),
        ("Generated-by: Claude Code (https://claude.com/claude-code)", 0.95),
        ("Made-with: Cursor https://cursor.com", 0.95),
    ],
)
def test_trailer_naming_an_ai_tool_marks_the_change_ai_assisted(trailer, confidence):
    detection = detect_ai([message(trailer)])

    assert detection.assisted is True
    assert detection.confidence == confidence
    key, _, value = trailer.partition(": ")
    assert detection.evidence == (f"trailer {key.lower().title()}: {value}",)


@pytest.mark.parametrize(
    "trailer",
    [
        "Co-authored-by: Claude Shannon <claude@example.com>",
        "Co-authored-by: Claude <claude.dupont@example.fr>",
        "Co-authored-by: Ada Lovelace <ada@example.com>",
        "Co-authored-by: Claude",
        "Co-authored-by: dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>",
        "Co-authored-by: renovate[bot] <29139614+renovate[bot]@users.noreply.github.com>",
        "Generated-by: dependabot",
        "Assisted-by: Renovate Bot",
        "Made-with: pre-commit-ci",
        "Signed-off-by: Claude <noreply@anthropic.com>",
        "Reviewed-by: Copilot <123+Copilot@users.noreply.github.com>",
    ],
)
def test_trailer_of_a_person_or_non_ai_bot_or_other_key_is_not_ai(trailer):
    detection = detect_ai([message(trailer)])

    assert detection.assisted is False
    assert detection.confidence == 0.0
    assert detection.evidence == ()


def test_human_named_claude_with_a_normal_email_is_not_ai_anywhere():
    detection = detect_ai(
        [message("Co-authored-by: Claude Monet <claude@example.com>", subject="Claude's fix")],
        ["claude@example.com"],
        branch="claude-monet/fix",
    )

    assert detection.assisted is False
    assert detection.evidence == ()


@pytest.mark.parametrize(
    "text",
    [
        # Only a subject line: the subject is never a trailer.
        "Co-authored-by: Claude <noreply@anthropic.com>",
        "",
        "\n\n\n",
    ],
)
def test_the_subject_is_never_a_trailer(text):
    assert trailers(text) == []
    assert detect_ai([text]).assisted is False


@pytest.mark.parametrize(
    "text",
    [
        # A squash merge keeps the branch commits' trailers in a middle paragraph.
        "Fix (#12)\n\n* first\n\nCo-authored-by: Claude <noreply@anthropic.com>\n\n* second\n\nSigned-off-by: A <a@b.c>",
        "Fix login\nCo-authored-by: Claude <noreply@anthropic.com>",
        "Fix\n\nAssisted-by: Claude:claude-3-opus [git] [sparse]\n\nA closing remark.",
    ],
)
def test_trailers_count_anywhere_after_the_subject(text):
    assert detect_ai([text]).assisted is True


def test_trailers_of_the_last_paragraph_are_lower_cased_keys_with_stripped_values():
    text = (
        "Subject\n\nBody line.\n\n"
        "Signed-off-by:  Ada <ada@example.com>  \n"
        "Co-Authored-By: Claude <noreply@anthropic.com>\n"
    )

    assert trailers(text) == [
        ("signed-off-by", "Ada <ada@example.com>"),
        ("co-authored-by", "Claude <noreply@anthropic.com>"),
    ]


def test_trailers_are_read_from_crlf_messages():
    text = "Subject\r\n\r\nCo-authored-by: Claude <noreply@anthropic.com>\r\n"

    assert detect_ai([text]).assisted is True


def test_any_commit_of_the_change_can_carry_the_trailer():
    detection = detect_ai(["First commit", message("Co-authored-by: Claude <noreply@anthropic.com>"), "Third"])

    assert detection.assisted is True


def test_the_same_evidence_is_listed_once_in_the_order_seen():
    trailer = "Co-authored-by: Claude <noreply@anthropic.com>"
    detection = detect_ai(
        [message(trailer), message(trailer), message("Made-with: Cursor")],
        ["noreply@anthropic.com", "noreply@anthropic.com"],
    )

    assert detection.evidence == (
        f"trailer Co-Authored-By: {trailer.partition(': ')[2]}",
        "trailer Made-With names a tool: Cursor",
        "AI identity as author or committer: noreply@anthropic.com",
    )
    assert detection.confidence == 0.95


@pytest.mark.parametrize(
    "trailer",
    [
        "Assisted-by: Claude Code",
        "Assisted-by: GPT-4o:2024-08-06",
        "Assisted-by: claude-sonnet-4:claude-sonnet-4-20250514",
        "Generated-by: Claude",
        "Generated-by: GitHub Copilot",
        "Made-with: Cursor",
        "Assisted-by: Gemini 2.5 Pro",
        "Assisted-by: OpenCode:Kimi-K2.5",
    ],
)
def test_tool_trailer_naming_a_known_tool_counts_without_an_address(trailer):
    detection = detect_ai([message(trailer)])

    assert detection.assisted is True
    assert detection.confidence == 0.9


@pytest.mark.parametrize("trailer", ["Assisted-by: Claude Shannon", "Assisted-by: Ada Lovelace", "Generated-by: make"])
def test_tool_trailer_naming_a_person_or_unknown_tool_is_shown_but_not_counted(trailer):
    detection = detect_ai([message(trailer)])

    assert detection.assisted is False
    assert detection.confidence == 0.3
    assert "not counted" in detection.evidence[0]


@pytest.mark.parametrize(
    "text",
    [
        "Fix\n\n\U0001f916 Generated with [Claude Code](https://claude.com/claude-code)",
        "Fix\n\nCo-authored-by: grok <grok@x.ai>",
        "Fix\n\nCo-authored-by: Cursor Agent <cursoragent@users.noreply.github.com>",
        "Fix\n\nCo-authored-by: Cursor Agent <199161495+cursoragent@users.noreply.github.com>",
    ],
)
def test_real_conventions_seen_in_public_histories(text):
    assert detect_ai([text]).assisted is True


def test_an_agent_account_opening_the_change_is_agent_opened():
    detection = detect_ai(["Fix"], opener="copilot-swe-agent[bot]")

    assert detection.agent_opened is True
    assert detection.assisted is True
    assert detect_ai(["Fix"], opener="ada").agent_opened is False


def test_the_vocabulary_is_data_an_admin_extends():
    vocabulary = DEFAULT_VOCABULARY.extended(domains=["example-ai.dev"], tool_names=["acmebot"])

    assert detect_ai(["Fix\n\nCo-authored-by: A <bot@example-ai.dev>"], vocabulary=vocabulary).assisted is True
    assert detect_ai(["Fix\n\nAssisted-by: acmebot"], vocabulary=vocabulary).assisted is True
    assert detect_ai(["Fix\n\nAssisted-by: acmebot"]).assisted is False


@pytest.mark.parametrize("login", ["coderabbitai[bot]", "copilot-pull-request-reviewer[bot]", "Gemini-Code-Assist[bot]"])
def test_ai_review_bots_are_known(login):
    assert is_ai_reviewer(login) is True
    assert is_ai_reviewer("ada") is False
