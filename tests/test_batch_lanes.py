"""A lane's learning of its gateway's busy time, driven with explicit times (no clock, no threads)."""

from __future__ import annotations

import pytest

from vpnroute_widgets.batch.lanes import Lane

BUSY = 0.050  # the gateway takes a change again 50 ms after answering the last one


def drive(lane: Lane, changes: int, busy: float = BUSY) -> tuple[int, int]:
    """Run ``changes`` writes through a lane against a gateway busy for ``busy`` s; count writes and reads."""
    writes = reads = 0
    now, free_at = 0.0, 0.0
    done = 0
    while done < changes:
        now = max(now, lane.not_before)
        if lane.wants_probe(now):
            reads += 1
            lane.probed(now >= free_at, now, now)
            continue
        writes += 1
        if now < free_at:
            lane.refused(now, now)
            continue
        lane.changed(now, now)
        free_at = now + busy
        done += 1
    return writes, reads


def test_with_status_reads_no_write_is_ever_refused_and_the_pace_converges_to_the_busy_time():
    lane = Lane(can_probe=True)
    writes, reads = drive(lane, 100)
    assert writes == 100  # not one write spent on a busy gateway
    assert lane.hi is not None and BUSY - 1e-9 <= lane.hi <= BUSY * 1.02 + 0.001
    assert reads < 40  # the bracket is narrowed once, then writes go at hi without reading


def test_the_first_change_starts_reading_at_once_and_with_growing_steps():
    lane = Lane(can_probe=True)
    lane.changed(0.0, 1.0)
    assert lane.wants_probe(1.0) and lane.not_before == pytest.approx(1.001)
    steps = []
    now = 1.001
    for _ in range(4):
        lane.probed(False, now, now)
        steps.append(round(lane.not_before - now, 6))
        now = lane.not_before
    assert steps == [0.002, 0.004, 0.008, 0.016]
    lane.probed(True, now, now)
    assert lane.hi == pytest.approx(now - 1.0) and lane.not_before == now and not lane.wants_probe(now)


def test_a_bracket_too_wide_is_narrowed_by_one_read_at_its_middle():
    lane = Lane(can_probe=True, ref=0.0, lo=0.020, hi=0.060)
    lane.changed(0.060, 1.0)
    assert lane.bisecting and lane.not_before == pytest.approx(1.040)
    lane.probed(True, 1.040, 1.041)  # free already at the middle: write now
    assert lane.hi == pytest.approx(0.040) and lane.not_before == 1.041
    lane.changed(1.041, 2.0)
    assert lane.bisecting and lane.not_before == pytest.approx(2.030)
    lane.probed(False, 2.030, 2.031)  # still busy: write at hi as planned, no more reads
    assert lane.lo == pytest.approx(0.030) and lane.not_before == pytest.approx(2.040) and not lane.wants_probe(2.04)


def test_a_late_narrowing_read_is_dropped_and_the_lane_writes():
    lane = Lane(can_probe=True, ref=0.0, lo=0.020, hi=0.060)
    lane.changed(0.060, 1.0)
    assert not lane.wants_probe(1.2)  # the planned write time (1.06) has passed
    lane = Lane(can_probe=True, ref=0.0, lo=0.020, hi=0.060)
    lane.changed(0.060, 1.0)
    assert lane.skip_bisect(1.01) and lane.not_before == pytest.approx(1.060)


def test_a_refused_write_past_the_estimate_forgets_it_and_reads_until_free():
    lane = Lane(can_probe=True, ref=0.0, lo=0.040, hi=0.045)
    lane.refused(0.050, 0.051)  # the gateway got slower
    assert lane.hi is None and lane.lo == pytest.approx(0.050) and lane.wants_probe(0.06)
    assert lane.not_before == pytest.approx(0.053)


def test_a_faster_gateway_lowers_the_estimate():
    lane = Lane(can_probe=True, ref=0.0, lo=0.040, hi=0.045)
    lane.probing = True
    lane.probed(True, 0.010, 0.011)
    assert lane.hi == pytest.approx(0.010) and lane.lo == 0.0


def test_without_status_reads_the_write_itself_is_the_question_and_the_pace_still_converges():
    lane = Lane(can_probe=False)
    writes, reads = drive(lane, 60)
    assert reads == 0 and 60 < writes < 60 + 20  # refused writes are how it learns, a handful of them
    assert lane.hi is not None and BUSY - 1e-9 <= lane.hi <= BUSY * 1.02 + 0.001


def test_without_status_reads_a_refused_write_at_the_middle_sends_the_next_one_at_hi():
    lane = Lane(can_probe=False, ref=0.0, lo=0.020, hi=0.060)
    lane.changed(0.060, 1.0)
    assert lane.bisecting and lane.not_before == pytest.approx(1.040) and not lane.wants_probe(1.04)
    lane.refused(1.040, 1.041)
    assert lane.lo == pytest.approx(0.040) and lane.not_before == pytest.approx(1.060) and not lane.bisecting
