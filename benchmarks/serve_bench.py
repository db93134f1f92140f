"""The dashboard's edit round trip, measured in the browser: from the input event to the KGI
shown on the page, against a bare ``fetch('/api/version')`` round trip in the same run.

Run from the repository root: ``python benchmarks/serve_bench.py [--tree FILE] [--edits N]
[--repeat R]``. It starts ``kpitree serve TREE --port 0 --no-open``, opens the page in headless
Chromium (Debian's ``chromium``, driven by Playwright) and, in the page, types a new value of
``--input`` into its field ``--edits`` times: each time ``performance.now()`` is read when the
``change`` event is dispatched and again when a MutationObserver sees the KGI element change.
The baseline is ``--edits`` sequential ``fetch('/api/version')`` calls from the same page. Each
of ``--repeat`` rounds prints median and p95 of both; the last line is the median over rounds
(goal: edit median < 100 ms for trees/saas_arr.yaml).
"""

from __future__ import annotations

import argparse
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

EDITS_JS = """
async ([name, values]) => {
  const field = document.getElementById("field-" + name);
  const kgi = document.getElementById("kgi-value");
  const times = [];
  for (const value of values) {
    const changed = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        observer.disconnect();
        resolve(performance.now());
      });
      observer.observe(kgi, { attributes: true, childList: true, characterData: true,
                              subtree: true });
    });
    field.value = String(value);
    const start = performance.now();
    field.dispatchEvent(new Event("change"));
    times.push((await changed) - start);
  }
  return times;
}
"""

FETCH_JS = """
async (count) => {
  const times = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const response = await fetch("/api/version", { cache: "no-store" });
    await response.json();
    times.push(performance.now() - start);
  }
  return times;
}
"""


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=ROOT / "trees" / "saas_arr.yaml")
    parser.add_argument("--input", default="sql_rate", help="the input edited (default sql_rate)")
    parser.add_argument("--start", type=float, default=0.10, help="its first value")
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    chromium = shutil.which("chromium")
    if chromium is None:
        print("serve_bench: no 'chromium' on PATH", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder) / args.tree.name
        shutil.copy(args.tree, tree)
        server = subprocess.Popen(
            [sys.executable, "-m", "kpitree", "serve", str(tree), "--port", "0", "--no-open"],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert server.stdout is not None
            found = re.search(r"http://\S+", server.stdout.readline())
            if not found:
                print("serve_bench: kpitree serve printed no URL", file=sys.stderr)
                return 2
            url = found.group(0)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium, args=["--no-sandbox"]
                )
                page = browser.new_page()
                page.goto(url)
                page.wait_for_selector("body[data-ready=true]")
                # Warm up both paths (first requests open connections, JIT the page code).
                page.evaluate(EDITS_JS, [args.input, [args.start * 1.01, args.start * 1.02]])
                page.evaluate(FETCH_JS, 5)
                edit_medians, fetch_medians = [], []
                print(f"{args.tree.name}: {args.edits} edits of {args.input}, times in ms")
                for round_ in range(args.repeat):
                    # Every value differs from the last, so every edit changes the KGI.
                    values = [
                        round(args.start * (1 + 0.002 * (i + 1 + round_ * args.edits)), 8)
                        for i in range(args.edits)
                    ]
                    edits = page.evaluate(EDITS_JS, [args.input, values])
                    fetches = page.evaluate(FETCH_JS, args.edits)
                    edit_medians.append(statistics.median(edits))
                    fetch_medians.append(statistics.median(fetches))
                    print(
                        f"round {round_ + 1}: edit median {statistics.median(edits):6.1f} "
                        f"p95 {p95(edits):6.1f} | fetch /api/version median "
                        f"{statistics.median(fetches):6.1f} p95 {p95(fetches):6.1f} | ratio "
                        f"{statistics.median(edits) / statistics.median(fetches):5.1f}x"
                    )
                browser.close()
            edit, fetch = statistics.median(edit_medians), statistics.median(fetch_medians)
            print(
                f"median over {args.repeat} rounds: edit round trip {edit:.1f} ms "
                f"(goal < 100 ms), bare fetch {fetch:.1f} ms, ratio {edit / fetch:.1f}x"
            )
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
