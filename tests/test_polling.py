"""poll_until and Deadline on a fake clock: every wait is instant and exact."""
from __future__ import annotations

import pytest

from traderadmin.errors import ToolkitError
from traderadmin.polling import Deadline, PollTimeout, poll_until


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def t() -> FakeTime:
    return FakeTime()


def test_returns_the_first_truthy_value_without_sleeping_when_it_holds_at_once(t):
    assert poll_until(lambda: "ready", 5, clock=t.clock, sleep=t.sleep) == "ready"
    assert t.sleeps == []


def test_polls_every_interval_until_the_check_holds(t):
    answers = iter([None, 0, [], {"pod": "a"}])
    assert poll_until(lambda: next(answers), 10, interval=0.5, clock=t.clock, sleep=t.sleep) == {"pod": "a"}
    assert t.sleeps == [0.5, 0.5, 0.5]


def test_the_timeout_names_what_was_awaited_and_the_last_value(t):
    with pytest.raises(PollTimeout) as err:
        poll_until(lambda: [], 2, interval=0.5, describe="every pod Running", clock=t.clock, sleep=t.sleep)
    assert str(err.value) == "every pod Running: not reached within 2 s (last seen: [])"
    assert (err.value.what, err.value.timeout, err.value.last) == ("every pod Running", 2, [])
    # Checked at 0, 0.5, 1.0, 1.5, 2.0 and once more after crossing the deadline.
    assert len(t.sleeps) == 5 and t.now == 102.5


def test_poll_timeout_is_a_toolkit_error_and_a_timeout_error(t):
    with pytest.raises(PollTimeout) as err:
        poll_until(lambda: False, 0, clock=t.clock, sleep=t.sleep)
    assert isinstance(err.value, ToolkitError) and not isinstance(err.value, OSError)


def test_tolerated_errors_mean_not_yet_and_show_as_the_last_value(t):
    def check():
        raise ConnectionRefusedError("not listening")

    with pytest.raises(PollTimeout) as err:
        poll_until(check, 1, interval=0.5, tolerate=(OSError,), clock=t.clock, sleep=t.sleep)
    assert isinstance(err.value.last, ConnectionRefusedError)
    assert "not listening" in str(err.value)


def test_other_errors_propagate_at_once(t):
    def check():
        raise KeyError("bug")

    with pytest.raises(KeyError):
        poll_until(check, 5, tolerate=(OSError,), clock=t.clock, sleep=t.sleep)
    assert t.sleeps == []


def test_give_up_stops_the_wait_early_with_its_own_error(t):
    class Exited(ToolkitError):
        pass

    rounds = iter([False, True])

    def give_up(last: object) -> None:
        if next(rounds):
            raise Exited(f"the process exited (last seen: {last!r})")

    with pytest.raises(Exited, match="last seen: None"):
        poll_until(lambda: None, 60, interval=1, give_up=give_up, clock=t.clock, sleep=t.sleep)
    assert t.sleeps == [1]


def test_timeout_error_keeps_a_callers_own_error_and_message(t):
    class ClusterError(ToolkitError):
        pass

    with pytest.raises(ClusterError, match=r"^node Ready not reached within 3s\. last: None$"):
        poll_until(lambda: None, 3, interval=1, clock=t.clock, sleep=t.sleep,
                   timeout_error=lambda last: ClusterError(f"node Ready not reached within 3s. last: {last}"))


def test_deadline_counts_down_and_expires_only_after_its_end(t):
    d = Deadline(2, clock=t.clock)
    assert (d.remaining(), d.expired(), d.elapsed()) == (2, False, 0)
    t.now += 2
    assert (d.remaining(), d.expired()) == (0, False)
    t.now += 0.5
    assert (d.remaining(), d.expired(), d.elapsed()) == (0, True, 2.5)


def test_deadline_can_start_at_an_earlier_moment(t):
    d = Deadline(10, start=t.now - 4, clock=t.clock)
    assert d.remaining() == 6 and d.elapsed() == 4


def test_a_shared_deadline_bounds_several_waits_together(t):
    budget = Deadline(3, clock=t.clock)
    answers = iter([False, False, "first"])
    assert poll_until(lambda: next(answers), budget, interval=1, sleep=t.sleep) == "first"
    with pytest.raises(PollTimeout, match="second: not reached within 3 s"):
        poll_until(lambda: None, budget, interval=1, describe="second", sleep=t.sleep)
    assert t.now == 104  # 2 s in the first wait, 2 more until the shared 3 s were past
