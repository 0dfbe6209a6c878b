#!/usr/bin/env bash
# config_files_test.sh CICD CONFIG_DIR: /etc/cicd/<role>.conf (packaging/config/) shows every
# option of `cicd <role> --help` as a commented "#option = value" line, and no option the role
# does not have (which would stop the role at start once uncommented).
set -euo pipefail
cicd=$1
dir=$2
failures=0
for role in master agent ui; do
  conf=$dir/$role.conf
  # Options a config file can hold: not --help, --config, nor the master's --migrate-only.
  options=$("$cicd" "$role" --help | sed -nE 's/^  --([a-z-]+).*/\1/p' |
    grep -vxE 'help|config|migrate-only' | sort -u)
  [ -n "$options" ] || { echo "FAIL: cicd $role --help lists no option" >&2; exit 1; }
  shown=$(sed -nE 's/^#([a-z-]+) = .*/\1/p' "$conf" | sort -u)
  missing=$(comm -23 <(echo "$options") <(echo "$shown"))
  unknown=$(comm -13 <(echo "$options") <(echo "$shown"))
  for option in $missing; do
    echo "FAIL: $conf does not show --$option of cicd $role" >&2
    failures=$((failures + 1))
  done
  for option in $unknown; do
    echo "FAIL: $conf shows $option, which cicd $role does not have" >&2
    failures=$((failures + 1))
  done
  if grep -nE '^[^#[:space:]]' "$conf"; then
    echo "FAIL: $conf sets an option above: the shipped file only shows them" >&2
    failures=$((failures + 1))
  fi
  echo "$role.conf: $(echo "$options" | wc -l) options shown"
done
[ "$failures" -eq 0 ]
