"""Conformance: every recorded real-service exchange in tests/data/gen2-recordings, replayed against the
Gen2 emulator (see gen2_replay.py for how requests are mapped and answers compared).

The recordings are the real service: when they disagree with the emulator, the emulator is wrong. The
entries that still disagree are listed in EXPECTED_MISMATCHES with the reason. The list is exact: a test
fails when an entry mismatches that is not listed, and also when a listed entry starts to match (then the
entry must come off the list). docs/gen2-conformance.md carries the same list for readers.
"""
import glob
import json
import os
import urllib.parse

import pytest

from gen2_replay import replay_all

HERE = os.path.dirname(os.path.abspath(__file__))
RECORDINGS_DIR = os.environ.get("LAKESHIFT_GEN2_RECORDINGS",
                                os.path.join(HERE, "..", "data", "gen2-recordings"))


def _name(file):
    folder, base = os.path.split(os.path.relpath(file, RECORDINGS_DIR))
    return f"{folder}/{base.removeprefix('recording_').removesuffix('.json')}"


RECORDING_FILES = {_name(f): f for f in sorted(glob.glob(os.path.join(RECORDINGS_DIR, "*", "*.json")))}

# The recorder removed x-ms-rename-source from rename requests; the sources come back from the test's
# variables: recording -> {entry index: (filesystem variable, path variable)}.
RENAME_SOURCES = {
    "datalakepathclient_nodejs_only/move": {4: ("filesystem", "file")},
    "datalakepathclient_nodejs_only/move_cross_file_system": {5: ("filesystem", "file")},
    "datalakepathclient_nodejs_only/move_should_encode_source": {
        4: ("filesystem", "file"),
        6: ("filesystem", " a+'%20%2F%2B%27%%25%2520.txt"),
    },
    "datalakepathclient_nodejs_only/move_with_destination_path_encoded": {5: ("filesystem", "file")},
}

SOFT_DELETE = "datalakefilesystemclient_with_soft_delete/undelete_file_and_directory"
NO_SOFT_DELETE = ("soft delete: the recorded account had blob soft delete on, so the service kept the path and "
                  "answered x-ms-delete-type-permanent: false with an x-ms-deletion-id; the emulator has no soft "
                  "delete and deletes for good (x-ms-delete-type-permanent: true)")
NO_UNDELETE = "undelete (PUT comp=undelete with x-ms-undelete-source) is not implemented: 400 UnsupportedQueryParameter"

# (recording, entry index) -> why the emulator's answer differs from the service's.
EXPECTED_MISMATCHES = {
    (SOFT_DELETE, 2): NO_SOFT_DELETE,
    (SOFT_DELETE, 3): NO_UNDELETE,
    (SOFT_DELETE, 4): "follows from entries 2-3: the file was deleted for good and not restored, so HEAD is 404",
    (SOFT_DELETE, 5): "follows from entries 2-3: the file is gone, so deleting it again is 404 PathNotFound",
    (SOFT_DELETE, 7): NO_SOFT_DELETE,
    (SOFT_DELETE, 8): NO_UNDELETE,
    (SOFT_DELETE, 9): "follows from entries 7-8: the directory was deleted for good and not restored, so HEAD is 404",
    (SOFT_DELETE, 10): "follows from entries 7-8: the directory is gone, so deleting it again is 404 PathNotFound",
    ("datalakepathclient_nodejs_only/quick_query_should_work", 7):
        "query (POST comp=query: SQL over CSV with avro/binary output) is not implemented: 400 "
        "UnsupportedQueryParameter",
    ("datalakeserviceclient/setproperties_and_getproperties", 0):
        "account state from before the recording: the recorded account already had a CORS rule; a new emulator "
        "account starts without one (the later reads, after the test sets the properties, match)",
}


@pytest.fixture(scope="module")
def replayed(gen2):
    recordings = {}
    for name, file in RECORDING_FILES.items():
        with open(file, encoding="utf-8") as f:
            recordings[name] = json.load(f)
    url = urllib.parse.urlsplit(gen2.url)
    return replay_all(recordings, url.hostname, url.port, gen2.account, gen2.key, RENAME_SOURCES)


def test_the_recordings_are_there():
    assert len(RECORDING_FILES) >= 55, f"recordings missing from {RECORDINGS_DIR}"


def test_the_lists_name_real_entries():
    for (name, index), reason in EXPECTED_MISMATCHES.items():
        assert name in RECORDING_FILES, f"EXPECTED_MISMATCHES names an unknown recording {name}"
        with open(RECORDING_FILES[name], encoding="utf-8") as f:
            assert index < len(json.load(f)["Entries"]), f"{name} has no entry {index}"
        assert reason.strip(), f"{name} entry {index} needs a reason"
    for name in RENAME_SOURCES:
        assert name in RECORDING_FILES, f"RENAME_SOURCES names an unknown recording {name}"


@pytest.mark.parametrize("name", sorted(RECORDING_FILES))
def test_recording_matches_the_service(replayed, name):
    mismatches = replayed[name]
    expected = {index for (rec, index) in EXPECTED_MISMATCHES if rec == name}
    unexpected = {i: d for i, d in mismatches.items() if i not in expected}
    now_matching = sorted(expected - set(mismatches))
    lines = []
    for index in sorted(unexpected):
        lines.append(f"entry {index} differs from the service:")
        lines += [f"    {d}" for d in unexpected[index]]
    for index in now_matching:
        lines.append(f"entry {index} now matches: take it off EXPECTED_MISMATCHES "
                     f"({EXPECTED_MISMATCHES[(name, index)]})")
    assert not lines, f"{name}:\n" + "\n".join(lines)
