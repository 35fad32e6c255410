"""python -m camera_sim: run | render | video (CONTRACT section 1)."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from broker.connection import BrokerUnavailable, broker_url
from broker.outbox import open_outbox
from broker.publisher import FLUSH_TIMEOUT_S, connect_publisher
from broker.state import state_dir_path
from camera_sim.errors import InputError
from camera_sim.outputs import EventOutputs, open_events_file
from camera_sim.pictures.store import PICTURES_FOLDER


class _OneLineParser(argparse.ArgumentParser):
    """Usage errors in one line on stderr with exit 2, like every other bad input."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m camera_sim", description="Goal-line camera emulator.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    def add_event_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--broker", default=None, help="AMQP URL (default: $AMQP_URL, else local guest)")
        command.add_argument("--no-publish", action="store_true", help="run without a broker")
        command.add_argument("--events-out", type=Path, help="also write every event to this JSON-lines file")
        command.add_argument("--state-dir", type=Path,
                             help="where the outbox of unconfirmed events lives (default: $GOALLINE_STATE_DIR, "
                                  "else ~/.local/state/goalline)")
        command.add_argument("--flush-timeout", type=_non_negative_float, default=FLUSH_TIMEOUT_S, metavar="S",
                             help="at the end, wait this long for the broker's last confirms "
                                  f"(default {FLUSH_TIMEOUT_S:g})")
        pictures = command.add_mutually_exclusive_group()
        pictures.add_argument("--pictures", type=Path, metavar="DIR",
                              help="save each goal / no_goal picture as DIR/<match_id>/<event id>.png "
                                   "(default: the state folder's pictures/)")
        pictures.add_argument("--no-pictures", action="store_true", help="save no decision pictures")

    run = sub.add_parser("run", help="play a scenario: physics, rendered frames, decisions, events")
    run.add_argument("scenario", type=Path)
    add_event_options(run)
    run.add_argument("--realtime", action="store_true", help="release frames at match pace")
    run.add_argument("--seed", type=_non_negative, help="override the scenario's random seed (0 or more)")

    render = sub.add_parser("render", help="write each camera's clip, calibration and truth.json")
    render.add_argument("scenario", type=Path)
    render.add_argument("--out", type=Path, required=True)

    video = sub.add_parser("video", help="judge a recorded clip, or one goal's synchronised clips (--rig)")
    video.add_argument("clip", type=Path, nargs="?", help="the clip (not with --rig)")
    video.add_argument("--calib", type=Path, help="calibration YAML (default: CLIP with .calib.yaml)")
    video.add_argument("--rig", type=Path, help="rig YAML: several cameras' clips and models, fused in 3D")
    video.add_argument("--match-id", help="match id for the events (default: the clip's name)")
    add_event_options(video)
    return parser


def _outputs(args: argparse.Namespace, match_id: str) -> EventOutputs:
    """Made only once the inputs are known good, so bad input never waits for a broker;
    the events file before the broker, so a bad path never costs a connection."""
    events_file = open_events_file(args.events_out) if args.events_out else None
    publisher = None
    if not args.no_publish:
        folder = state_dir_path(args.state_dir)
        outbox = None
        try:
            outbox = open_outbox(folder)
            publisher = connect_publisher(broker_url(args.broker), outbox, (match_id,), args.flush_timeout)
        except (OSError, sqlite3.Error, BrokerUnavailable) as error:
            for opened in (events_file, outbox):
                if opened is not None:
                    opened.close()
            if isinstance(error, BrokerUnavailable):
                raise
            raise InputError(folder, "", f"cannot keep the outbox there ({error})") from None
    return EventOutputs(events_file, publisher)


def _pictures_dir(args: argparse.Namespace) -> Path | None:
    """--pictures DIR, else the state folder's pictures/ (--state-dir, $GOALLINE_STATE_DIR, ...);
    None with --no-pictures."""
    if args.no_pictures:
        return None
    return args.pictures or state_dir_path(args.state_dir) / PICTURES_FOLDER


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("must be a number of seconds, 0 or more")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status of CONTRACT section 1 (0, 2 bad input, 3 broker)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "video" and (args.clip is None) == (args.rig is None):
        parser.error("video: give a CLIP or --rig RIG.yaml (one of them)")
    if args.command == "video" and args.rig is not None and args.calib is not None:
        parser.error("video: --calib is for one clip; a rig holds its cameras' calibrations")
    try:
        # Each command's module is imported when it is chosen: `video` then never loads the
        # physics, renderer and scenario schema (about 0.15 s of its start-up).
        if args.command in ("render", "run"):
            from camera_sim.commands import scenario
            if args.command == "render":
                return scenario.render(args.scenario, args.out)
            return scenario.run(args.scenario, lambda match_id: _outputs(args, match_id), realtime=args.realtime,
                                seed=args.seed, pictures_dir=_pictures_dir(args))
        if args.rig is not None:
            from camera_sim.commands import rig_video
            return rig_video.video_rig(args.rig, args.match_id, lambda match_id: _outputs(args, match_id),
                                       pictures_dir=_pictures_dir(args))
        from camera_sim.commands import video
        return video.video(args.clip, args.calib, args.match_id, lambda match_id: _outputs(args, match_id),
                           pictures_dir=_pictures_dir(args))
    except InputError as error:
        print(error.one_line(), file=sys.stderr)
        return error.exit_status
    except BrokerUnavailable as error:
        print(str(error), file=sys.stderr)
        return error.exit_status
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
