"""Whole-process cost of one n=4 1024x1024 generation, against serve-demo at zero latency.

Measured in the same run, interleaved round by round:
  (a) the curl + python one-liner from model-go's guide (decode base64, write files),
  (b) a script using the official `openai` SDK's images.generate that writes the files,
  (c) `imagegen-tui generate -n 4 --size 1024x1024` (validate, verify every image, embed
      metadata, atomic writes).
The demo server caches its renders, so after the warm-up every client receives the same bytes
at the same server cost and the difference is the client's own.

Run: python tests/bench/bench_generate.py [--rounds 15]   (openai from the `bench` extra)
Targets: (c) <= 2x (a), and (c) <= 0.5x (b).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPT = "a lighthouse on a cliff at dusk, volumetric light"
KEY = "fake-bench-0123456789"

ONE_LINER = (
    'curl -s "$BASE/images/generations" -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" '
    "-d '{\"model\": \"gpt-image-2\", \"prompt\": \"" + PROMPT + "\", \"n\": 4, \"size\": \"1024x1024\"}' "
    '| "$PY" -c \'import sys,json,base64; d=json.load(sys.stdin); '
    '[open(f"image_{i}.png","wb").write(base64.b64decode(x["b64_json"])) for i,x in enumerate(d["data"])]\''
)

SDK_SCRIPT = f"""
import base64, os
from openai import OpenAI
client = OpenAI(base_url=os.environ["BASE"], api_key=os.environ["KEY"])
result = client.images.generate(model="gpt-image-2", prompt={PROMPT!r}, n=4, size="1024x1024")
for i, item in enumerate(result.data):
    with open(f"image_{{i}}.png", "wb") as f:
        f.write(base64.b64decode(item.b64_json))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="imagegen-bench-"))
    server = subprocess.Popen([sys.executable, "-m", "imagegen_tui", "serve-demo", "--port", "0", "--key", KEY, "--quiet"], stdout=subprocess.PIPE, text=True)
    try:
        base = server.stdout.readline().rsplit(" ", 1)[-1].strip()
        env = {**os.environ, "BASE": base, "KEY": KEY, "PY": sys.executable, "XDG_CONFIG_HOME": str(work / "cfg"), "XDG_DATA_HOME": str(work / "data"), "XDG_CACHE_HOME": str(work / "cache"), "NO_PROXY": "127.0.0.1"}
        config = work / "cfg" / "imagegen-tui" / "config.toml"
        config.parent.mkdir(parents=True)
        config.write_text(f'profile = "bench"\n[profiles.bench]\nbase_url = "{base}"\napi_key_env = "KEY"\n')
        script = work / "sdk_script.py"
        script.write_text(SDK_SCRIPT)
        contenders: dict[str, list[str]] = {
            "curl + python one-liner": ["bash", "-c", ONE_LINER],
            "imagegen-tui generate": [str(Path(sys.executable).parent / "imagegen-tui"), "generate", PROMPT, "-n", "4", "--size", "1024x1024", "--output", "."],
        }
        try:
            import openai  # noqa: F401

            contenders["openai SDK script"] = [sys.executable, str(script)]
        except ImportError:
            print("openai is not installed (pip install -e '.[bench]'): the SDK script is left out")
        times: dict[str, list[float]] = {name: [] for name in contenders}
        for round_ in range(args.rounds + 1):  # round 0 warms caches and is not counted
            for name, command in contenders.items():
                out = work / f"run-{round_}-{len(times[name])}-{name.split()[0]}"
                out.mkdir()
                started = time.perf_counter()
                done = subprocess.run(command, cwd=out, env=env, capture_output=True)
                elapsed = time.perf_counter() - started
                if done.returncode != 0 or len(list(out.rglob("*.png"))) != 4:
                    raise SystemExit(f"{name} failed: {done.stderr.decode()[-500:]}")
                if round_:
                    times[name].append(elapsed)
        medians = {name: statistics.median(values) for name, values in times.items()}
        ours = medians["imagegen-tui generate"]
        print(f"n=4 1024x1024 PNG against serve-demo, {args.rounds} rounds, median wall time per process:")
        for name, median in medians.items():
            print(f"  {name:26s} {median * 1000:7.0f} ms   (min {min(times[name]) * 1000:.0f}, max {max(times[name]) * 1000:.0f})")
        one_liner = medians["curl + python one-liner"]
        print(f"  imagegen-tui / one-liner:  {ours / one_liner:.2f}x   (target <= 2.0); {1000 * (ours - one_liner):.0f} ms more per call")
        if "openai SDK script" in medians:
            print(f"  imagegen-tui / SDK script: {ours / medians['openai SDK script']:.2f}x   (target <= 0.5)")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
