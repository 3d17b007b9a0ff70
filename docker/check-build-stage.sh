#!/usr/bin/env bash
# Runs the build stage of docker/Dockerfile without a container engine (none runs on the
# development machines): its RUN command, read from the Dockerfile itself, executes with the host's
# Java 17 and Maven in a copy of the build context (the repository's tracked files less what
# .dockerignore excludes), /out redirected to a temporary folder; then every COPY of the later
# stages is checked to name files that exist (from the build stage's output or from the context).
# What it cannot check: the base images themselves, USER/chown, and the containers at run time.
# Not in CI (a full Maven package of two modules, 1-3 minutes): run it after changing the
# Dockerfile, the modules' packaging or the default bundle.
#   bash docker/check-build-stage.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dockerfile="$root/docker/Dockerfile"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The build context: tracked files, less .dockerignore's patterns (the ones this file uses:
# folder names anywhere, and paths relative to the root).
mkdir -p "$work/src" "$work/out"
(cd "$root" && git ls-files -z) | (cd "$root" && xargs -0 tar cf - 2>/dev/null) | tar xf - -C "$work/src"
while IFS= read -r pattern; do
  [[ -z "$pattern" || "$pattern" == \#* ]] && continue
  case "$pattern" in
    '**/'*) find "$work/src" -depth -name "${pattern#\*\*/}" -exec rm -rf {} + ;;
    *) (cd "$work/src" && for p in $pattern; do rm -rf -- "$p"; done) ;;
  esac
done < "$root/.dockerignore"

# The build stage's RUN: from "RUN " after "AS build" up to the first line without a trailing
# backslash, continuation lines joined as the shell would, /out moved into the temporary folder.
run="$(awk '
  /^FROM .* AS build/ { inbuild = 1; next }
  /^FROM / { inbuild = 0 }
  inbuild && /^RUN / { collecting = 1; sub(/^RUN /, "") }
  collecting { line = $0; cont = sub(/\\$/, "", line); printf "%s ", line; if (!cont) { print ""; exit } }
' "$dockerfile")"
if [[ -z "$run" ]]; then
  echo "check-build-stage: no RUN in the build stage of $dockerfile" >&2
  exit 1
fi
run="${run//\/out/$work/out}"
echo "check-build-stage: running the build stage's RUN in a copy of the context ..." >&2
(cd "$work/src" && bash -euo pipefail -c "$run") > "$work/build.log" 2>&1 || {
  echo "check-build-stage: the build stage's RUN failed; its last lines:" >&2
  tail -40 "$work/build.log" >&2
  exit 1
}

# Every COPY of the later stages names something that exists.
failed=0
while IFS=$'\t' read -r from src; do
  if [[ "$from" == "build" ]]; then
    path="$work/out/${src#/out/}"
  else
    path="$work/src/$src"
  fi
  if compgen -G "$path" > /dev/null; then
    echo "check-build-stage: COPY $([[ "$from" == - ]] || echo "--from=$from ")$src: present"
  else
    echo "check-build-stage: COPY $([[ "$from" == - ]] || echo "--from=$from ")$src: MISSING" >&2
    failed=1
  fi
done < <(awk '
  /^FROM .* AS build/ { inbuild = 1; next }
  /^FROM / { inbuild = 0 }
  !inbuild && /^COPY / {
    from = "-"; n = 0
    for (i = 2; i <= NF; i++) {
      if ($i ~ /^--from=/) { from = substr($i, 8) }
      else if ($i !~ /^--/) { args[++n] = $i }
    }
    for (i = 1; i < n; i++) printf "%s\t%s\n", from, args[i]
  }
' "$dockerfile")
ls -l "$work/out" "$work/out/flink-lib" | sed 's/^/check-build-stage: /'
echo "check-build-stage: $(ls "$work/out/tools" | wc -l) jars for the tools image"
if ((failed)); then
  exit 1
fi
echo "check-build-stage: OK"
