from datetime import date

import pytest

from bot.incidents.errors import InvalidInput
from bot.incidents.severity import Severity
from bot.slack.listeners.commands.parsing import (
    ActionArgs,
    parse_action_args,
    parse_declare,
    parse_page,
)
from bot.slack.listeners.commands.subcommands import parse


def test_empty_text_means_help() -> None:
    assert parse("").name == "help"
    assert parse("   ").name == "help"


def test_subcommands_are_case_insensitive_and_keep_their_arguments() -> None:
    command = parse("DECLARE sev1 Fraud model <@U1|a>")
    assert command.name == "declare"
    assert command.args == "sev1 Fraud model <@U1|a>"


def test_unknown_subcommand_is_named_with_a_suggestion() -> None:
    with pytest.raises(InvalidInput, match=r"`delcare` is not an /incident command\..*`declare`"):
        parse("delcare sev1 x")


def test_declare_needs_a_known_severity_first() -> None:
    with pytest.raises(InvalidInput, match="`sev9` is not a severity"):
        parse_declare("sev9 Model down")
    with pytest.raises(InvalidInput, match="Start with the severity"):
        parse_declare("Model down")


def test_declare_title_rules() -> None:
    with pytest.raises(InvalidInput, match="needs a title"):
        parse_declare("sev1")
    with pytest.raises(InvalidInput, match="201 characters; keep it to 200"):
        parse_declare("sev1 " + "x" * 201)
    parsed = parse_declare("p1   Forecasts   40% &lt;off&gt;")
    assert parsed is not None
    assert parsed.severity is Severity.SEV2
    assert parsed.title == "Forecasts 40% <off>"


def test_bare_declare_opens_the_form() -> None:
    assert parse_declare("") is None


def test_role_arguments() -> None:
    from bot.incidents.roles import Role
    from bot.slack.listeners.commands.parsing import parse_role_args

    parsed = parse_role_args("ml-lead <@U0CARA003|cara>")
    assert (parsed.role, parsed.user) == (Role.ML_LEAD, "<@U0CARA003|cara>")
    with pytest.raises(InvalidInput, match="`wizard` is not a role") as refused:
        parse_role_args("wizard @cara")
    assert "(and `legal` where serious-incident reporting is on)" in str(refused.value)
    with pytest.raises(InvalidInput, match="Usage: `/incident role"):
        parse_role_args("ml-lead")


def test_severity_arguments() -> None:
    from bot.slack.listeners.commands.parsing import parse_severity_args

    assert parse_severity_args("P0") is Severity.SEV1
    with pytest.raises(InvalidInput, match="`sev9` is not a severity"):
        parse_severity_args("sev9")
    with pytest.raises(InvalidInput, match=r"Which severity\?"):
        parse_severity_args("")


def test_action_arguments_take_owner_and_date_from_the_end() -> None:
    today = date(2026, 11, 23)
    args = parse_action_args("Add a null-rate alert <@U0CARA003|cara> due 2026-12-4", today)
    assert args == ActionArgs("Add a null-rate alert", "<@U0CARA003|cara>", date(2026, 12, 4))
    swapped = parse_action_args("Retrain tomorrow @cara", today)
    assert swapped == ActionArgs("Retrain", "@cara", date(2026, 11, 24))
    assert (
        parse_action_args("Budget for 2027 &amp; beyond", today).text == "Budget for 2027 & beyond"
    )
    for bad, said in (
        ("", "Say what needs doing."),
        ("@cara today", "Say what needs doing."),
        ("Fix 2026-02-30", "`2026-02-30` is not a date"),
        ("Fix 2026-11-22", "The due date 2026-11-22 has passed"),
        ("x" * 501, "Keep an action item to 500 characters"),
    ):
        with pytest.raises(InvalidInput, match=said):
            parse_action_args(bad, today)


def test_timeline_pages() -> None:
    assert parse_page("") == 1 and parse_page(" 3 ") == 3
    for bad in ("0", "-1", "two", "1.5"):
        with pytest.raises(InvalidInput, match="is not a page number"):
            parse_page(bad)


def test_declare_private_wherever_the_flag_stands() -> None:
    for text in (
        "sev1 --private Model repeats customer records",
        "--private sev1 Model repeats customer records",
        "sev1 Model repeats customer records --private",
    ):
        args = parse_declare(text)
        assert args is not None and args.private, text
        assert args.title == "Model repeats customer records"  # the flag is not in the title
    public = parse_declare("sev2 Churn model drifted")
    assert public is not None and not public.private
    assert parse("private").name == "private"


def test_model_rollback_and_contain_arguments() -> None:
    from bot.slack.listeners.commands.parsing import (
        RollbackArgs,
        parse_contain_args,
        parse_model_args,
        parse_rollback_args,
    )

    assert parse_model_args("fraud-scorer") == "fraud-scorer"
    assert parse_rollback_args("") == RollbackArgs(None, None)
    assert parse_rollback_args("fraud-scorer v6") == RollbackArgs("fraud-scorer", 6)
    assert parse_rollback_args("7") == RollbackArgs(None, 7)
    assert parse_contain_args("Rules-Fallback") == "rules-fallback"
    assert parse_contain_args("") is None
    for bad, says in (
        (lambda: parse_model_args(""), "Name the model"),
        (lambda: parse_rollback_args("a b 3"), "Usage: `/incident rollback"),
        (lambda: parse_contain_args("a b"), "Usage: `/incident contain"),
    ):
        with pytest.raises(InvalidInput, match=says):
            bad()
