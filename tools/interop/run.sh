#!/usr/bin/env bash
# revise <-> Hugging Face transformers interoperability suite.
# Sets up the Python side in a venv (once), then runs tools/interop/suite.py; arguments pass through
# (--only REGEX, --keep, --jobs N). Works from any directory and on a clean clone.
#   tools/interop/run.sh                      # everything (~5 min on 2 cores)
#   tools/interop/run.sh --only 'llama/rope'  # a subset
# The venv is ${REVISE_INTEROP_VENV:-<repo>/target/interop-venv}; the report goes to
# <repo>/target/interop/parity.md and parity.json.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VENV="${REVISE_INTEROP_VENV:-$REPO/target/interop-venv}"
REQS="$HERE/requirements.txt"

die() { echo "interop: $*" >&2; exit 1; }

command -v python3 >/dev/null || die "python3 is missing (Python 3.10 or newer; Debian: apt-get install python3 python3-venv)"
python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
  || die "python3 is $(python3 -V 2>&1); transformers 5 needs Python 3.10 or newer"
command -v java >/dev/null || die "java is missing (revise needs JDK 17 and Maven to build its jar)"

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "interop: creating the venv $VENV" >&2
  python3 -m venv "$VENV" \
    || die "python3 -m venv $VENV failed: the venv module (with ensurepip) is missing (Debian: apt-get install python3-venv)"
fi
PY="$VENV/bin/python"

# Prints the requirement lines the venv does not satisfy exactly (nothing when all are met).
unsatisfied() {
  "$PY" - "$REQS" <<'PYEOF'
import sys, re
from importlib import metadata
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    spec, _, marker = line.partition(";")
    name, _, want = spec.strip().partition("==")
    if marker.strip():
        try:
            from packaging.markers import Marker
        except ImportError:  # a fresh venv: pip vendors packaging
            from pip._vendor.packaging.markers import Marker
        try:
            if not Marker(marker).evaluate():
                continue
        except Exception:
            pass
    try:
        have = metadata.version(name).split("+")[0]  # torch's local tag (+cpu) does not matter
    except metadata.PackageNotFoundError:
        print(f"{name}=={want} (not installed)")
        continue
    if have != want:
        print(f"{name}=={want} (installed: {have})")
PYEOF
}

missing="$(unsatisfied 2>/dev/null || echo "(cannot check: packaging is not installed yet)")"
if [[ -n "$missing" ]]; then
  echo "interop: installing the Python side into $VENV:" >&2
  echo "$missing" | sed 's/^/  /' >&2
  if ! "$PY" -m pip install --retries 0 -q -r "$REQS" >&2; then
    missing="$(unsatisfied 2>/dev/null || true)"
    die "pip install -r $REQS failed; still missing:
$(echo "${missing:-(see the pip output above)}" | sed 's/^/  /')
Install them into $VENV (or point REVISE_INTEROP_VENV at a venv that has them) and run again."
  fi
fi

missing="$(unsatisfied 2>&1 || true)"
[[ -z "$missing" ]] || die "the venv $VENV does not match $REQS:
$(echo "$missing" | sed 's/^/  /')"
"$PY" -c 'import torch, transformers, safetensors, tokenizers, jinja2, numpy' \
  || die "the venv $VENV has the packages but importing them failed (see the error above)"

# DJL (inside revise) must never try the network.
export OPT_OUT_TRACKING=true
export DJL_OFFLINE=true
exec "$PY" "$HERE/suite.py" --out "$REPO/target/interop" "$@"
