"""The collector pause: off inside, back on after (also on error), nested pauses leave it off."""

import gc

import pytest

from exporter.gcpause import collector_paused, without_collector


def test_collector_paused_block_restores_enabled_even_on_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_without_collector_nested_keeps_outer_pause():
    inner = without_collector(gc.isenabled)
    with collector_paused():
        assert inner() is False
        assert not gc.isenabled()  # the inner pause did not switch it back on
    assert gc.isenabled()
