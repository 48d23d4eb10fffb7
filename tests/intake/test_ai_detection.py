"""AI-assistance detection (intake.ai_detection): trailers, identities, branch, labels, declaration."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake.ai_detection import (
    DEFAULT_VOCABULARY,
    Vocabulary,
    detect_ai,
    is_agent_account,
    is_ai_email,
    is_ai_reviewer,
    trailers,
)


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
        "148906541+codeflash-ai[bot]@users.noreply.github.com",
        "154288675+hyperlint-ai[bot]@users.noreply.github.com",
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
        "Fix (#12)\n\n* first\n\nCo-authored-by: Claude <noreply@anthropic.com>\n\n* second\n\nSigned-off-by: A <a@b>",
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


@pytest.mark.parametrize(
    "login", ["coderabbitai[bot]", "copilot-pull-request-reviewer[bot]", "Gemini-Code-Assist[bot]"]
)
def test_ai_review_bots_are_known(login):
    assert is_ai_reviewer(login) is True
    assert is_ai_reviewer("ada") is False


def test_evidence_of_a_long_trailer_value_is_cut_to_120_characters():
    value = "Claude Code <noreply@anthropic.com> " + "x" * 300
    detection = detect_ai([message(f"Assisted-by: {value}")])

    assert detection.evidence == (f"trailer Assisted-By: {value[:120]}",)


# --- identities ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identity",
    ["noreply@anthropic.com", "123+Copilot@users.noreply.github.com", "cursoragent@cursor.com"],
)
def test_ai_tool_as_author_or_committer_marks_the_change_ai_assisted(identity):
    detection = detect_ai(["Fix"], ["ada@example.com", identity])

    assert detection.assisted is True
    assert detection.confidence == 0.95
    assert detection.evidence == (f"AI identity as author or committer: {identity}",)


@pytest.mark.parametrize(
    "identity",
    [
        "49699333+dependabot[bot]@users.noreply.github.com",
        "29139614+renovate[bot]@users.noreply.github.com",
        "claude@example.com",
    ],
)
def test_dependabot_renovate_and_people_as_author_are_not_ai(identity):
    assert detect_ai(["Bump lodash from 4.17.20 to 4.17.21"], [identity]).assisted is False


# --- branch, labels, declaration ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("branch", "prefix"),
    [
        ("copilot/fix-login", "copilot"),
        ("claude/add-retries", "claude"),
        ("Claude/add-retries", "claude"),
        ("cursor/x", "cursor"),
        ("codex/task-1", "codex"),
        ("devin/1234-fix", "devin"),
        ("aider/x", "aider"),
        ("jules/x", "jules"),
    ],
)
def test_branch_prefix_of_an_ai_agent_marks_the_change_ai_assisted(branch, prefix):
    detection = detect_ai(["Fix"], branch=branch)

    assert detection.assisted is True
    assert detection.confidence == 0.7
    assert detection.evidence == (f"branch prefix {prefix}/",)


@pytest.mark.parametrize(
    "branch",
    ["", "main", "copilot", "claude", "feature/claude", "fix/copilot-typo", "claude-monet/fix", "dependabot/npm/x"],
)
def test_other_branch_names_are_not_ai(branch):
    assert detect_ai(["Fix"], branch=branch).assisted is False


@pytest.mark.parametrize("label", ["ai-assisted", "AI-Assisted", "ai-generated", "copilot", "AI", "ai"])
def test_ai_label_marks_the_change_ai_assisted(label):
    detection = detect_ai(["Fix"], labels=["bug", label])

    assert detection.assisted is True
    assert detection.confidence == 0.9
    assert detection.evidence == (f"label {label}",)


@pytest.mark.parametrize("labels", [[], ["bug"], ["not-ai"], ["ai-review-needed"], ["dependencies"]])
def test_other_labels_are_not_ai(labels):
    assert detect_ai(["Fix"], labels=labels).assisted is False


def test_declaration_by_the_author_is_certain():
    detection = detect_ai(["Fix"], declared=True)

    assert detection.assisted is True
    assert detection.confidence == 1.0
    assert detection.evidence == ("declared by the author",)


@pytest.mark.parametrize("declared", [False, None])
def test_no_declaration_adds_no_evidence(declared):
    detection = detect_ai(["Fix"], declared=declared)

    assert detection.assisted is False
    assert detection.confidence == 0.0
    assert detection.evidence == ()


def test_declaration_wins_over_weaker_signals_and_keeps_all_evidence():
    detection = detect_ai([message("Made-with: Cursor")], branch="claude/x", labels=["ai"], declared=True)

    assert detection.confidence == 1.0
    assert detection.evidence == (
        "trailer Made-With names a tool: Cursor",
        "branch prefix claude/",
        "label ai",
        "declared by the author",
    )


def test_strongest_signal_sets_the_confidence():
    detection = detect_ai([message("Made-with: Cursor")], ["noreply@anthropic.com"], branch="claude/x")

    assert detection.confidence == 0.95


def test_nothing_at_all_is_not_ai():
    assert detect_ai([]) == detect_ai([], [], branch="", labels=[], declared=None)
    assert detect_ai([]).assisted is False
    assert detect_ai([]).confidence == 0.0


# --- untrusted input -----------------------------------------------------------------------------

trailer_like = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda key, value: f"{key}: {value}",
        st.sampled_from(["Co-authored-by", "Assisted-by", "Generated-by", "Made-with", "X"]),
        st.text(max_size=80),
    ),
)
commit_message = st.lists(trailer_like, max_size=6).map(lambda lines: "Subject\n\n" + "\n".join(lines))


@settings(max_examples=200)
@given(
    messages=st.lists(st.text() | commit_message, max_size=4),
    identities=st.lists(st.text(max_size=80), max_size=4),
    branch=st.text(max_size=60),
    labels=st.lists(st.text(max_size=30), max_size=4),
    declared=st.none() | st.booleans(),
)
def test_detect_ai_never_raises_and_confidence_stays_between_zero_and_one(
    messages, identities, branch, labels, declared
):
    detection = detect_ai(messages, identities, branch=branch, labels=labels, declared=declared)

    assert 0.0 <= detection.confidence <= 1.0
    assert detection.assisted is (detection.confidence >= 0.5)
    assert bool(detection.evidence) is (detection.confidence > 0)
    assert len(set(detection.evidence)) == len(detection.evidence)
    if declared:
        assert detection.confidence == 1.0


@settings(max_examples=100)
@given(text=st.text())
def test_trailers_never_raises_and_keys_are_lower_case(text):
    for key, value in trailers(text):
        assert key == key.lower()
        assert value == value.strip()


ACME = DEFAULT_VOCABULARY.extended(agent_accounts=["Acme-Agent[bot]"], ai_reviewers=["acme-review[bot]"])
ONLY_ACME = Vocabulary(agent_accounts=("acme-agent[bot]",), ai_reviewers=())


@pytest.mark.parametrize(
    ("login", "vocabulary", "agent", "reviewer"),
    [
        ("copilot-swe-agent[bot]", DEFAULT_VOCABULARY, True, False),
        ("198982749+Copilot-SWE-Agent[bot]@users.noreply.github.com", DEFAULT_VOCABULARY, True, False),
        ("devin-ai-integration[bot]", DEFAULT_VOCABULARY, True, False),
        ("cursor[bot]", DEFAULT_VOCABULARY, True, True),  # Cursor's bot both opens and reviews
        ("coderabbitai[bot]", DEFAULT_VOCABULARY, False, True),
        ("copilot-pull-request-reviewer[bot]", DEFAULT_VOCABULARY, False, True),
        ("ada-lovelace", DEFAULT_VOCABULARY, False, False),
        ("dependabot[bot]", DEFAULT_VOCABULARY, False, False),
        ("acme-agent[bot]", DEFAULT_VOCABULARY, False, False),
        ("acme-agent[bot]", ACME, True, False),  # an admin's entry, compared in lower case
        ("acme-review[bot]", ACME, False, True),
        ("copilot-swe-agent[bot]", ONLY_ACME, False, False),  # a retired default is no longer known
        ("", ACME, False, False),
    ],
)
def test_accounts_are_recognised_from_the_vocabulary_given(login, vocabulary, agent, reviewer):
    assert is_agent_account(login, vocabulary) is agent
    assert is_ai_reviewer(login, vocabulary) is reviewer
    assert detect_ai(["Fix"], opener=login, vocabulary=vocabulary).agent_opened is agent


def test_a_persons_ai_assisted_change_is_not_agent_opened():
    detection = detect_ai(["Fix\n\nCo-authored-by: Claude <noreply@anthropic.com>"], opener="ada-lovelace")

    assert (detection.assisted, detection.agent_opened) == (True, False)


# --- a sentence crediting a tool (real messages of public repositories) ---------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "This renaming was partially achieved using an LLM-based agent.\nBut then I got bored of waiting for it.",
        "the target node. Use a simpler algorithm.\n\nThanks to Gemini for one of the test cases.",
        "Most of the boilerplate was written with help from Claude Code, then reviewed by hand.",
        "I used ChatGPT to draft the regular expression and checked it against the corpus.",
        "The port to the new API was done with the help of GitHub Copilot.",
        "Tests generated using an AI assistant and trimmed.",
    ],
)
def test_a_sentence_crediting_a_tool_with_part_of_the_work_counts(body):
    result = detect_ai([message(subject="gopls/internal/cmd: rename conn to cli", body=body)])

    assert result.assisted, body
    assert any(e.startswith("message credits a tool") for e in result.evidence)


@pytest.mark.parametrize(
    "body",
    [
        "Attach instructions for setting up gopls mcp server for two common\n"
        "mcp client like Gemini CLI and Claude Code.",
        "The diagnostics tool returns the error for the given file. This helps LLM\n"
        "to self-correct the code change it made.",
        "Update 'go_outline' to just accept an array of package paths. This is how\nGemini wanted to use it.",
        "Note that the source cited in diagnostic messages (I had Gemini enter an edit loop because it couldn't "
        "find it).",
        "Rewrite findDeclInfo using Cursor: the inspector's cursor is faster.",
        "Attaching target function signature and expecting the LLM can understand the target function's signature.",
        "Identified by Gemini.",
        "Implemented using a cursor over the token stream; thanks to Devin for the review.",
        "Support models served by an OpenAI-compatible endpoint (ChatGPT, Gemini, Claude) in the plugin.",
    ],
)
def test_a_tool_that_is_only_the_subject_of_the_change_does_not_count(body):
    assert not detect_ai([message(subject="gopls/internal/mcp: add diagnostics tool", body=body)]).assisted, body
