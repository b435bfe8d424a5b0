#!/usr/bin/env bash
# What travels to a lent GPU machine, and how to make it fit.
#
# The device tool (see the developers' guide) copies the working tree to the machine: every
# tracked file, every untracked file git does not ignore, and the ignored paths a call names in
# `carry` -- at most 64 MiB in all. This repository's tracked files alone are about 140 MB
# (models, conformance vectors, test fixtures), so a plain call is refused before any machine
# starts, and scripts/train_gicv2_device.sh (which needs python/, scripts/, models/gic-v2.pt
# and the 46.5 MB out/gicv2-bundle.npz) cannot run as it is.
#
#   bash scripts/device_slim.sh status [CARRY...]   # bytes that would travel; exit 1 if > 64 MiB
#   bash scripts/device_slim.sh on                  # untrack everything but the training's needs
#   bash scripts/device_slim.sh off                 # put the index and .git/info/exclude back
#
# `on` removes every tracked path except $KEEP from the index (`git rm --cached`: the files stay
# on disk, nothing is committed) and ignores them in .git/info/exclude, so that they neither
# travel as tracked nor as untracked files; `off` restores the index from HEAD and the exclude
# file. Between the two, DO NOT COMMIT (the index then deletes most of the repository); `on`
# refuses to start with staged changes, and `off` is safe to run twice. A training session:
#   bash scripts/device_slim.sh on
#   run(command="bash scripts/train_gicv2_device.sh", carry=["out/gicv2-bundle.npz"], timeout_s=600)
#   bash scripts/device_slim.sh off; cp <files_at>/gic-v2.pt models/
# Whether the device tool reads the index this way has not been tried (no machine has been
# lent since this was written); `status` shows what git itself reports.
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT=$((64 * 1024 * 1024))
KEEP=(python scripts models/gic-v2.pt .gitignore)
BEGIN="# >>> scripts/device_slim.sh"
END="# <<< scripts/device_slim.sh"
EXCLUDE=.git/info/exclude

travelling() {
  # tracked files present on disk, untracked files git does not ignore, then the carried paths
  { git ls-files -z --cached --others --exclude-standard; for c in "$@"; do
      find "$c" -type f -print0 2>/dev/null; done; } |
    sort -zu | xargs -0 -r stat -c '%s %n' 2>/dev/null || true
}

case "${1:-status}" in
  status)
    shift || true
    total=$(travelling "$@" | awk '{s += $1} END {print s + 0}')
    echo "would travel: $total bytes ($(( total / 1024 / 1024 )) MiB; limit 64 MiB)"
    echo "largest:"
    { travelling "$@" | sort -rn | head -8 | awk '{printf "  %10d  %s\n", $1, $2}'; } || true
    [ "$total" -le "$LIMIT" ]
    ;;
  on)
    if grep -qF "$BEGIN" "$EXCLUDE" 2>/dev/null; then
      echo "already slim (run 'off' first)" >&2
      exit 1
    fi
    if ! git diff --cached --quiet; then
      echo "refusing: the index has staged changes (commit or unstage them first)" >&2
      exit 1
    fi
    mapfile -t drop < <(git ls-files | awk -F/ '{print $1}' | sort -u | while read -r top; do
      keep=0
      for k in "${KEEP[@]}"; do [ "$top" = "${k%%/*}" ] && keep=1; done
      [ $keep = 0 ] && echo "$top"
    done)
    # models/ is kept only for gic-v2.pt
    mapfile -t models < <(git ls-files models | grep -vx 'models/gic-v2.pt')
    git rm -r -q --cached -- "${drop[@]}" "${models[@]}"
    {
      echo "$BEGIN"
      for p in "${drop[@]}"; do echo "/$p"; done
      for p in "${models[@]}"; do echo "/$p"; done
      echo "$END"
    } >> "$EXCLUDE"
    echo "slim: ${#drop[@]} top-level paths and ${#models[@]} model files untracked for now; DO NOT COMMIT until 'off'"
    "$0" status out/gicv2-bundle.npz || true
    ;;
  off)
    git reset -q
    if [ -f "$EXCLUDE" ]; then
      awk -v b="$BEGIN" -v e="$END" '$0 == b {skip = 1} !skip {print} $0 == e {skip = 0}' \
        "$EXCLUDE" > "$EXCLUDE.tmp" && mv "$EXCLUDE.tmp" "$EXCLUDE"
    fi
    echo "restored the index and $EXCLUDE"
    ;;
  *)
    echo "usage: $0 status [CARRY...] | on | off" >&2
    exit 2
    ;;
esac
