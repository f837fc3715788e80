#!/usr/bin/env bash
# The repository's Markdown documents stand on their own: every relative link names a file of the
# repository (and, with #anchor, a heading of that file), and no link leaves it for another file
# system; the README stays short enough to read first (at most 200 lines, none over 160 characters).
# Usage: check_docs.sh [REPO_DIR]. Exit 1 with one line per problem.
set -euo pipefail
repo=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$repo"
status=0
problem() { echo "$*"; status=1; }

# GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens.
anchors() {
  sed -n 's/^#\{1,6\} \(.*\)$/\1/p' "$1" | tr 'A-Z' 'a-z' | sed 's/[^a-z0-9 _-]//g; s/ /-/g'
}

if git rev-parse --git-dir >/dev/null 2>&1; then
  mapfile -t docs < <(git ls-files -co --exclude-standard '*.md' | grep -v '^build')
else
  mapfile -t docs < <(find . -name '*.md' -not -path './build*' | sed 's|^\./||')
fi
for doc in "${docs[@]}"; do
  [ -f "$doc" ] || continue
  dir=$(dirname "$doc")
  # Inline links [text](target), outside code spans is close enough: code in these files has none.
  while IFS= read -r target; do
    case $target in
      http://* | https://* | mailto:*) continue ;;  # the web is not a file of another tree
    esac
    path=${target%%#*}
    anchor=
    [[ $target == *'#'* ]] && anchor=${target#*#}
    if [ -z "$path" ]; then
      file=$doc
    else
      file=$(realpath -m "$dir/$path")
      case $file in
        "$PWD"/*) file=${file#"$PWD"/} ;;
        *) problem "$doc: link to $target leaves the repository"; continue ;;
      esac
      [ -e "$file" ] || { problem "$doc: link to $target: no such file"; continue; }
    fi
    if [ -n "$anchor" ] && [ -f "$file" ]; then
      anchors "$file" | grep -qxF -- "$anchor" || problem "$doc: link to $target: no heading #$anchor in $file"
    fi
  done < <(grep -o '\](\([^) ]*\))' "$doc" | sed 's/^](\(.*\))$/\1/')
  # No document points outside the repository by name either.
  grep -nE '\.\./shared|DESIGN\.md|STYLE\.md' "$doc" | sed "s|^|$doc: refers outside the repository: |" | grep . && status=1
done

lines=$(wc -l <README.md)
[ "$lines" -le 200 ] || problem "README.md: $lines lines (at most 200: the rest belongs in docs/, tests/, bench/)"
awk 'length > 160 { printf "README.md:%d: %d characters (at most 160)\n", FNR, length; bad = 1 } END { exit bad }' README.md || status=1

[ $status -eq 0 ] && echo "docs: ${#docs[@]} documents, every link resolves inside the repository; README $lines lines"
exit $status
