"""`generate` then `history …` as separate processes, against the embedded demo provider."""

import json
import sqlite3
from pathlib import Path

from conftest import run_cli, write_config


def generate(*args):
    out = run_cli("generate", *args, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def history(*args):
    out = run_cli("history", *args)
    assert out.returncode == 0, out.stderr
    return out


def test_generate_is_recorded_and_listed(dirs):
    first = generate("a lighthouse at dusk", "-n", "2", "--size", "1536x1024")
    generate("a second prompt")
    failed = run_cli("generate", "a broken call #fail:500")
    assert failed.returncode == 1
    listed = json.loads(history("list", "--json").stdout)
    assert listed["total"] == 3
    assert [g["status"] for g in listed["generations"]] == ["failed", "done", "done"]
    broken, _, lighthouse = listed["generations"]
    assert broken["prompt"] == "a broken call #fail:500" and broken["error_kind"] == "server"
    assert lighthouse["id"] == first["id"] and lighthouse["uid"] == first["uid"]
    assert [i["path"] for i in lighthouse["images"]] == first["paths"]
    assert lighthouse["params"]["size"] == "1536x1024" and lighthouse["total_tokens"] == first["usage"]["total_tokens"]
    assert (dirs.data / "imagegen-tui" / "history.sqlite3").exists()
    assert json.loads(history("list", "--status", "failed", "--json").stdout)["total"] == 1
    assert "a lighthouse at dusk" in history("search", "lightho").stdout
    assert "a lighthouse at dusk" in history("search", "dusk", "lighth").stdout  # unquoted words, any order
    assert "no generations match" in history("search", "zebra").stdout


def test_rerun_makes_a_linked_generation_with_the_same_parameters(dirs):
    first = generate("a red fox", "-n", "2", "--quality", "high", "--format", "webp")
    out = run_cli("history", "rerun", str(first["id"]), "--n", "1", "--json")
    assert out.returncode == 0, out.stderr
    again = json.loads(out.stdout)
    assert again["id"] != first["id"] and len(again["paths"]) == 1 and again["paths"][0].endswith(".webp")
    shown = json.loads(history("show", str(again["id"]), "--json").stdout)
    assert shown["parent_id"] == first["id"] and shown["params"]["quality"] == "high" and shown["n"] == 1
    assert "re-run of #" in history("show", str(again["id"])).stdout


def test_show_delete_export_stats_and_missing(dirs, tmp_path):
    first = generate("a blue whale", "-n", "2")
    gid = str(first["id"])
    text = history("show", gid).stdout
    assert "prompt:     a blue whale" in text and "cost unknown" in text
    exported = history("export", gid, "--to", str(tmp_path / "export")).stdout.split()
    assert len(exported) == 2 and all(Path(p).read_bytes() == Path(q).read_bytes() for p, q in zip(exported, first["paths"]))
    Path(first["paths"][0]).unlink()
    assert "MISSING" in history("show", gid).stdout
    assert "1 file(s) missing" in history("missing").stdout
    write_config(dirs, '[prices."gpt-image-2"]\ninput_text = 5\noutput_image = 40\n')
    [stats] = json.loads(history("stats", "--json").stdout)["rows"]
    assert stats["generations"] == 1 and stats["images"] == 2 and stats["cost"] > 0
    deleted = history("delete", gid, "--files").stdout
    assert "already gone" in deleted and "removed" in deleted
    assert not Path(first["paths"][1]).exists()
    assert json.loads(history("list", "--json").stdout)["total"] == 0
    assert run_cli("history", "show", gid).returncode == 2


def test_import_folder_and_favourites(dirs):
    first = generate("a green frog")
    db = dirs.data / "imagegen-tui" / "history.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM generations")
    assert "added 1 generation(s) with 1 image(s)" in history("import", str(dirs.output)).stdout
    listed = json.loads(history("list", "--json").stdout)["generations"]
    assert listed[0]["uid"] == first["uid"]
    history("favourite", str(listed[0]["id"]))
    assert json.loads(history("list", "--favourites", "--json").stdout)["total"] == 1


def test_bad_since_is_a_usage_error():
    out = run_cli("history", "list", "--since", "last tuesday")
    assert out.returncode == 2 and "--since" in out.stderr


def test_history_tree_and_show_tell_the_lineage(dirs):
    from dataclasses import replace

    from imagegen_tui.sources import Source
    from imagegen_tui.store import FinishedGeneration, HistoryStore

    root = generate("a fox at dawn")
    other = generate("a green hat")
    rerun = json.loads(run_cli("history", "rerun", str(root["id"]), "--json").stdout)
    with HistoryStore.open_default() as store:  # an edit of both, as `edit --from` records it
        base = store.get(root["id"])
        made_from = (Source("image", "fox.png", "a" * 64, base.id, base.uid, 1), Source("image", "hat.png", "b" * 64, other["id"], other["uid"], 1),
                     Source("mask", "mask.png", "c" * 64))
        store.add_finished([FinishedGeneration(uid="edit1", created_at=base.created_at + 60, profile="demo", provider="demo",
                                               request=replace(base.request(), prompt="the fox wears the hat"), kind="edit", sources=made_from)])
        edit_id = next(g.id for g in store.page() if g.uid == "edit1")
    tree = history("tree", str(edit_id)).stdout.splitlines()
    assert tree == [
        f"#{root['id']}  done        a fox at dawn",
        f"├─ #{rerun['id']}  done        re-run  a fox at dawn",
        f"└─ #{edit_id}  done        edit + #{other['id']}  the fox wears the hat  ◀",
        f"#{other['id']}  done        a green hat",
        f"└─ #{edit_id} (above)  ◀",
    ]
    as_json = json.loads(history("tree", str(rerun["id"]), "--json").stdout)
    assert as_json["roots"] == [root["id"], other["id"]]
    parents = {g["id"]: g["parents"] for g in as_json["generations"]}
    assert parents[edit_id] == [{"id": root["id"], "how": "edit"}, {"id": other["id"], "how": "edit"}]
    assert parents[rerun["id"]] == [{"id": root["id"], "how": "re-run"}]
    shown = history("show", str(edit_id)).stdout
    assert f"from:       #{root['id']} image 1  (sha256 aaaaaaaaaaaa…)" in shown
    assert "mask:       mask.png  (sha256 cccccccccccc…)" in shown
    assert f"lineage:    #{edit_id} ← #{root['id']}   (history tree {edit_id})" in shown
    shown_json = json.loads(history("show", str(edit_id), "--json").stdout)
    assert shown_json["chain"] == [edit_id, root["id"]] and shown_json["kind"] == "edit"
    assert [s["name"] for s in shown_json["sources"]] == ["fox.png", "hat.png", "mask.png"]


def test_compare_prints_what_differs_and_the_prompts_word_by_word(dirs):
    low = generate("a red fox in snow", "--quality", "low")["id"]
    high = generate("a blue fox in snow, at night", "--quality", "high", "--size", "1536x1024")["id"]
    pair = generate("a red fox in fog", "-n", "2")["id"]
    lines = history("compare", str(low), str(high), f"{pair}:2").stdout.splitlines()
    assert lines[0].split() == [f"#{low}", f"#{high}", f"#{pair}:2"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:] if line[:1].isalpha()}
    assert rows["quality"] == ["low", "high", "default"] and rows["size"] == ["default", "1536x1024", "default"]
    assert "model" not in rows and rows["cost"][1] == "tokens"  # the same model: not a row; no price: tokens
    assert any(line.startswith("same: model gpt-image-2") for line in lines)
    assert f"  #{high}    a [-red-] {{+blue+}} fox in snow{{+, at night+}}" in lines
    assert f"  #{pair}:2  a red fox in [-snow-] {{+fog+}}" in lines

    data = json.loads(history("compare", str(low), str(pair), "--json").stdout)  # 1 + 2 images: all three
    assert data["ok"] and [(i["id"], i["image"]) for i in data["items"]] == [(low, 1), (pair, 1), (pair, 2)]
    assert data["differ"]["quality"] == ["low", "default", "default"] and data["differ"]["n"] == ["1", "2", "2"]
    assert data["prompt_diffs"][0] == [{"op": "same", "text": "a red fox in"}, {"op": "removed", "text": " snow"}, {"op": "added", "text": " fog"}]
    assert data["same"]["model"] == "gpt-image-2"


def test_compare_shows_the_format_of_the_files_not_the_one_asked(dirs):
    """Both asked for PNG; the provider answered the first with JPEG bytes (as Gemini ignores
    output_format): the files differ, and that is what the format row says."""
    ignored = generate("a red fox #bytes:jpeg", "--format", "png")["id"]
    kept = generate("a red fox", "--format", "png")["id"]
    data = json.loads(history("compare", str(ignored), str(kept), "--json").stdout)
    assert data["differ"]["format"] == ["jpeg", "png"]
    rows = {line.split()[0]: line.split()[1:] for line in history("compare", str(ignored), str(kept)).stdout.splitlines() if line[:1].isalpha()}
    assert rows["format"] == ["jpeg", "png"]


def test_compare_refuses_unknown_ids_bad_picks_and_a_single_image(dirs):
    gid = str(generate("a fox")["id"])
    for args, says in [
        ((gid, "99"), "no generation #99 in the history"),
        ((gid, f"{gid}:x"), f"'{gid}:x' is not an image of the history"),
        ((gid, f"{gid}:3"), f"#{gid} has no image 3; it has 1"),
        ((gid,), "is one image: name two or more"),
    ]:
        out = run_cli("history", "compare", *args)
        assert out.returncode == 2 and says in out.stderr and "Traceback" not in out.stderr, out.stderr
    refused = run_cli("history", "compare", gid, "99", "--json")
    assert refused.returncode == 2 and json.loads(refused.stdout)["ok"] is False
