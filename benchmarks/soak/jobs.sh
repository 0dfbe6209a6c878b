# The soak's job mix, as freestyle jobs on the busybox image. Every job first prints one line
# `soak-exec run=<id> nonce=<random>`, made inside the container, so that a run executed twice
# shows two different nonces in its console. Sourced by benchmarks/soak.sh.

# job name, then the outcomes it may end with: the expected one, or `errored` with a reason
# "agent lost…" (an agent killed under it). Anything else breaks an invariant.
soak_jobs=(quick fail timeout abort sidecar big)
declare -A soak_outcomes=(
  [quick]="succeeded errored" [fail]="failed errored" [timeout]="timed_out errored"
  [abort]="aborted errored" [sidecar]="succeeded errored" [big]="succeeded errored"
)
# The order triggers cycle through: mostly quick runs, one of each other kind per ten.
soak_cycle=(quick fail quick timeout sidecar quick abort big quick fail)
# Lines the big console prints (about 3.4 MB).
soak_big_lines=40000

soak_job_body() { # kind image
  local marker='echo "soak-exec run=$CICD_RUN_ID nonce=$(cat /proc/sys/kernel/random/uuid)"'
  local script extra=''
  case $1 in
    quick) script='"echo quick run done"' ;;
    fail) script='"echo failing on purpose", "exit 3"' ;;
    timeout) script='"sleep 120"'; extra='"timeout": "3s",' ;;
    abort) script='"sleep 120"'; extra='"timeout": "5m",' ;;
    sidecar)
      script='"answer=$(nc db 5432)", "echo \"db said $answer\"", "test \"$answer\" = pong"'
      extra='"services": {"db": {"image": "'$2'", "command": ["sh", "-c", "while true; do echo pong | nc -l -p 5432; done"], "port": 5432}},'
      ;;
    big)
      script='"yes soak big console line: 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ | head -n '$soak_big_lines'", "echo big run done"'
      ;;
  esac
  marker=${marker//\"/\\\"}
  echo "{\"type\": \"freestyle\", \"image\": \"$2\", $extra \"script\": [\"$marker\", $script]}"
}
