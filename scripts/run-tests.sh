#!/bin/sh
# run-tests.sh BUILDDIR...: run every meson test suite in each build
# directory (the normal build and the ASan+UBSan one), then print one
# summary line, "N passed, N failed, N skipped", counting TAP results.
set -u
status=0
for b in "$@"; do
	echo "=== meson test -C $b"
	meson test -C "$b" --print-errorlogs --num-processes 2 || status=1
done
python3 - "$@" <<'PY' || status=1
import json, re, sys
passed = failed = skipped = 0
for b in sys.argv[1:]:
    with open(f"{b}/meson-logs/testlog.json") as f:
        for line in f:
            t = json.loads(line)
            tap = [l for l in t.get("stdout", "").splitlines() if re.match(r"^(not )?ok \d+", l)]
            if not tap:
                ok = t["result"] == "OK"
                skip = t["result"] == "SKIP"
                passed += ok; skipped += skip; failed += not (ok or skip)
                continue
            for l in tap:
                if l.startswith("not ok"):
                    failed += 1
                elif "# SKIP" in l:
                    skipped += 1
                else:
                    passed += 1
            if t["result"] not in ("OK", "SKIP") and not any(l.startswith("not ok") for l in tap):
                failed += 1  # crashed or timed out after its last TAP line
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
exit $status
