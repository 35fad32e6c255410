"""The consumers' record of handled events: read back whole, shared between instances."""

from __future__ import annotations

from consumers.dedupe import HandledIds


def test_a_half_written_last_id_is_ended_so_the_next_id_is_read_whole(tmp_path):
    """A consumer killed mid-write leaves 'abc' without its newline: the next id must not become 'abcdef'."""
    record = tmp_path / "queue.ids"
    record.write_bytes(b"first\nabc")
    handled = HandledIds(record)
    handled.add("def")
    handled.close()
    again = HandledIds(record)
    assert "def" in again and "first" in again and "abcdef" not in again


def test_an_id_another_instance_recorded_is_known_without_reopening(tmp_path):
    """Competing instances share one record: a redelivery to the other instance is recognised."""
    record = tmp_path / "queue.ids"
    mine, theirs = HandledIds(record), HandledIds(record)
    theirs.add("handled-over-there")
    assert "handled-over-there" in mine
