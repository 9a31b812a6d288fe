#!/usr/bin/env bash
# The package-size table of docs/installer-guide.md ("Figures"), from the built packages: the
# lines between "<!-- package-sizes -->" and "<!-- /package-sizes -->" are generated, never
# typed. Sizes: the .deb file in kB (1000 bytes), the installed size (dpkg's Installed-Size) in
# MiB.
#
#   scripts/package-sizes.sh [--write|--check] [--doc FILE] [PACKAGES_DIR]
#
#   (no option)  print the table
#   --write      put it into the doc
#   --check      exit 1 if a figure in the doc is more than 10 % off the packages' (a code
#                change moves sizes a little; a stale table is what this catches), 77 if a
#                package is missing (nothing to compare)
#   --doc FILE   default docs/installer-guide.md; PACKAGES_DIR default build/packages
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode=print
doc=$repo/docs/installer-guide.md
dir=$repo/build/packages
while (($#)); do
  case $1 in
    --write) mode=write; shift ;;
    --check) mode=check; shift ;;
    --doc) doc=${2:?--doc FILE}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "package-sizes: unknown option $1" >&2; exit 2 ;;
    *) dir=$1; shift ;;
  esac
done

rows=("gridsight-edge arm64" "gridsight-edge amd64" "gridsight-aggregator amd64 (with the tools)")
table() {
  echo "| | size of the \`.deb\` | installed size |"
  echo "|---|---|---|"
  local r pkg arch note deb
  for r in "${rows[@]}"; do
    read -r pkg arch note <<<"$r"
    deb=$(ls "$dir/${pkg}_"*"_$arch.deb" 2>/dev/null | head -1)
    if [[ -z $deb ]]; then
      echo "package-sizes: no ${pkg}_*_$arch.deb in $dir (scripts/package.sh)" >&2
      return 77
    fi
    awk -v label="\`$pkg\` $arch${note:+ $note}" -v bytes="$(stat -c %s "$deb")" \
      -v kib="$(dpkg-deb -f "$deb" Installed-Size)" \
      'BEGIN { printf "| %s | %d kB | %.1f MiB |\n", label, bytes / 1000 + 0.5, kib / 1024 }'
  done
}
# The generated block in the doc, markers excluded.
current() { sed -n '/^<!-- package-sizes -->$/,/^<!-- \/package-sizes -->$/p' "$doc" | sed '1d;$d'; }

rc=0
new=$(table) || rc=$?
((rc == 0)) || exit $rc
case $mode in
  print) printf '%s\n' "$new" ;;
  write)
    grep -qx '<!-- package-sizes -->' "$doc" || { echo "package-sizes: no <!-- package-sizes --> block in $doc" >&2; exit 1; }
    awk -v table="$new" '
      /^<!-- package-sizes -->$/ { print; print table; skip = 1; next }
      /^<!-- \/package-sizes -->$/ { skip = 0 }
      !skip { print }' "$doc" >"$doc.tmp"
    mv "$doc.tmp" "$doc"
    echo "package-sizes: $doc updated"
    ;;
  check)
    old=$(current)
    [[ -n $old ]] || { echo "package-sizes: no generated table in $doc" >&2; exit 1; }
    # Compare figure by figure: numbers in the same order in both tables.
    paste <(grep -oE '[0-9]+(\.[0-9]+)? (kB|MiB)' <<<"$old") <(grep -oE '[0-9]+(\.[0-9]+)? (kB|MiB)' <<<"$new") |
      awk -F'\t' -v doc="$doc" '
        { split($1, a, " "); split($2, b, " "); n++
          if (a[2] != b[2] || b[1] == 0 || (a[1] - b[1]) / b[1] > 0.10 || (b[1] - a[1]) / b[1] > 0.10) {
            printf "package-sizes: %s says %s, the packages measure %s: run scripts/package-sizes.sh --write\n", doc, $1, $2; bad = 1 } }
        END { if (n != 6) { print "package-sizes: want 6 figures, found " n; exit 1 } exit bad }'
    echo "package-sizes: the table in $doc matches the packages (within 10 %)"
    ;;
esac
