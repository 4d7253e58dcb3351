import random
from datetime import date

import pytest

from bot.incidents.channel_names import MAX_LENGTH, channel_name, slugify
from bot.sandbox.rules import SlackError, check_channel_name

DAY = date(2026, 11, 23)


def test_name_is_prefix_date_and_slug() -> None:
    name = channel_name("inc", DAY, "Fraud model flags 40% of legitimate transactions")
    assert name == "inc-20261123-fraud-model-flags-40-of-legitimate-transactions"


def test_suffix_when_taken_is_a_letter() -> None:
    assert channel_name("inc", DAY, "Drift", 2) == "inc-20261123-drift-b"
    assert channel_name("inc", DAY, "Drift", 11) == "inc-20261123-drift-k"
    assert channel_name("inc", DAY, "Drift", 27) == "inc-20261123-drift-ba"
    names = {channel_name("inc", DAY, "Drift", attempt) for attempt in range(1, 200)}
    assert len(names) == 199  # every try a name of its own


def test_a_long_title_is_cut_between_words_and_no_suffix_reads_as_a_number() -> None:
    """A second alert's channel read "...-fell-below-0-2" for an alert about 0.8."""
    title = "FraudPrecisionLow: Precision of the fraud model fell below 0.8 over the last hour"
    first, second = (channel_name("inc", DAY, title, attempt) for attempt in (1, 2))
    assert (
        first == "inc-20261123-fraudprecisionlow-precision-of-the-fraud-model-fell-below-0-8-over"
    )
    assert (
        second == "inc-20261123-fraudprecisionlo-precision-of-the-fraud-model-fell-below-0-8-over-b"
    )
    assert channel_name("inc", DAY, "x" * 100).endswith("-" + "x" * 67)  # one word: cut


def test_a_taken_name_keeps_every_word_and_only_gains_a_suffix() -> None:
    """The second channel of "... fell below 0.8" read "...-fell-below-b": the suffix took
    the place of the number."""
    title = "Warning: precision of the card fraud model in Europe fell below 0.8"
    first = channel_name("inc", DAY, title)
    assert (
        first == "inc-20261123-warning-precision-of-the-card-fraud-model-in-europe-fell-below-0-8"
    )
    assert channel_name("inc", DAY, title, 2) == (
        "inc-20261123-warning-precisio-of-the-card-fraud-model-in-europe-fell-below-0-8-b"
    )
    rng = random.Random(11)
    words = ["fell", "below", "0", "8", "p99", "latency", "recommender", "x" * 30, "a", "v2"]
    for _ in range(300):
        title = " ".join(rng.choice(words) for _ in range(rng.randint(1, 25)))
        first = channel_name("ml-incidents", DAY, title)
        for attempt in (2, 26, 27, 50):
            taken = channel_name("ml-incidents", DAY, title, attempt)
            check_channel_name(taken)
            assert len(taken) <= MAX_LENGTH
            *kept, suffix = taken.split("-")  # the words, then the suffix
            assert suffix == {2: "b", 26: "z", 27: "ba", 50: "bx"}[attempt]
            assert len(kept) == len(first.split("-")), (first, taken)
            for was, now in zip(first.split("-"), kept, strict=True):
                assert now == was or (was.isalpha() and was.startswith(now) and len(now) >= 4)


def test_accents_fold_and_other_scripts_fall_back() -> None:
    assert slugify("Modèle de crédit refuse à tort") == "modele-de-credit-refuse-a-tort"
    assert channel_name("inc", DAY, "推荐系统点击率下降") == "inc-20261123-incident"
    assert channel_name("inc", DAY, "🔥🔥🔥") == "inc-20261123-incident"


def test_long_titles_are_cut_to_80_even_with_a_suffix() -> None:
    title = "the recommender's click-through rate fell " * 10
    for attempt in (1, 2, 49):
        name = channel_name("ml-incidents", DAY, title, attempt)
        assert len(name) <= MAX_LENGTH
        assert not name.rstrip("-0123456789").endswith("-")
        check_channel_name(name)


def test_no_title_makes_a_name_slack_refuses() -> None:
    rng = random.Random(7)
    alphabet = "abcXYZ 09-_.,!?@#<>&'\"éüß中文🔥\t\n" + "x" * 10
    for _ in range(2000):
        title = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        for attempt in (1, rng.randint(2, 50)):
            try:
                check_channel_name(channel_name("inc", DAY, title, attempt))
            except SlackError as exc:  # pragma: no cover - the assertion explains
                pytest.fail(f"{title!r} -> {exc.error}")
