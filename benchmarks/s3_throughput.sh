#!/usr/bin/env bash
# Measures the S3 result store against plain `curl --aws-sigv4` moving the same file to and from
# the same server (the test S3 server of scripts/lib/s3.sh: s3rver behind the verifying front,
# on loopback), and appends the figures to benchmarks/RESULTS.md:
#   - upload: the backend as the agent uses it (multipart above 16 MiB: each part hashed, then
#     sent), the backend with one PUT (--single), curl with one PUT after `sha256sum` (a signed
#     payload, like ours), and curl doing the same multipart upload (each part cut out with dd,
#     hashed and sent; its CompleteMultipartUpload timed on its own: s3rver copies the parts
#     into the object then, which S3 does not);
#   - download: the backend's read() to a sink that drops the bytes, against curl -o /dev/null;
#   - the backend's peak RSS while moving the file (it never holds the object in memory).
# MiB/s of the median of R rounds each; the ratio is ours over curl's doing the same.
#
#   benchmarks/s3_throughput.sh [MiB, default 256] [R, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-256}
rounds=${2:-5}

scripts/setup
source scripts/lib/build.sh
source scripts/lib/s3.sh
build_cicd cicd_s3_transfer >/dev/null
tool=${CICD_BUILD_DIR:-build}/test/cicd_s3_transfer
work=$(mktemp -d /tmp/cicd-bench-s3.XXXXXX)
cleanup() {
  stop_s3
  rm -rf "$work"
}
trap cleanup EXIT
start_s3

file=$work/file
head -c $((mib * 1024 * 1024)) /dev/urandom >"$file"
export AWS_ACCESS_KEY_ID=$CICD_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$CICD_TEST_S3_SECRET_KEY
url="s3://$CICD_TEST_S3_BUCKET/bench?endpoint=$CICD_TEST_S3_ENDPOINT"
object=$CICD_TEST_S3_ENDPOINT/$CICD_TEST_S3_BUCKET/bench-curl/object
# curl reads the credentials from a file: a secret never goes on a command line.
printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$work/curl.conf"
empty_sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
s3curl() { curl -sSf -K "$work/curl.conf" --aws-sigv4 aws:amz:us-east-1:s3 "$@"; }

now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
timed() { # file-to-append-seconds-to command…
  local out=$1 start
  shift
  start=$(now)
  "$@" >"$work/last"
  echo "$(now) - $start" | bc >>"$work/$out"
}
curl_put() {
  local sha
  sha=$(sha256sum "$file" | cut -c1-64)
  s3curl -H "x-amz-content-sha256: $sha" -T "$file" "$object" -o /dev/null
}
curl_get() { s3curl -H "x-amz-content-sha256: $empty_sha" "$object" -o /dev/null; }
curl_multipart() {
  local id n parts etag sha body start
  id=$(s3curl -X POST -H "x-amz-content-sha256: $empty_sha" "$object?uploads=" |
    sed -n 's/.*<UploadId>\(.*\)<\/UploadId>.*/\1/p')
  parts=$(((mib + 15) / 16))
  body="<CompleteMultipartUpload>"
  for n in $(seq "$parts"); do
    dd if="$file" of="$work/part" bs=16M skip=$((n - 1)) count=1 status=none
    sha=$(sha256sum "$work/part" | cut -c1-64)
    etag=$(s3curl -T "$work/part" -H "x-amz-content-sha256: $sha" -D - -o /dev/null \
      "$object?partNumber=$n&uploadId=$id" | sed -n 's/^etag: \(.*\)\r$/\1/p')
    body="$body<Part><PartNumber>$n</PartNumber><ETag>$etag</ETag></Part>"
  done
  printf '%s</CompleteMultipartUpload>' "$body" >"$work/complete.xml"
  sha=$(sha256sum "$work/complete.xml" | cut -c1-64)
  start=$(now)
  s3curl -X POST -H "Content-Type: application/xml" -H "x-amz-content-sha256: $sha" \
    --data-binary @"$work/complete.xml" "$object?uploadId=$id" -o /dev/null
  echo "$(now) - $start" | bc >>"$work/complete"
}

load_before=$(cut -d' ' -f1 /proc/loadavg)
rss=0
for _ in $(seq "$rounds"); do
  timed put "$tool" put "$url" "$file"
  r=$(cut -d' ' -f2 "$work/last"); [ "$r" -gt "$rss" ] && rss=$r
  timed get "$tool" get "$url"
  r=$(cut -d' ' -f2 "$work/last"); [ "$r" -gt "$rss" ] && rss=$r
  timed put_single "$tool" put "$url" "$file" --single
  timed curl_put curl_put
  timed curl_multipart curl_multipart
  timed curl_get curl_get
done

load_after=$(cut -d' ' -f1 /proc/loadavg)
rate() { echo "scale=1; $mib / $(median <"$work/$1")" | bc; }
put=$(rate put)
put_single=$(rate put_single)
get=$(rate get)
curl_put_rate=$(rate curl_put)
curl_multipart_rate=$(rate curl_multipart)
complete_s=$(printf '%.2f' "$(median <"$work/complete")")
curl_get_rate=$(rate curl_get)
ratio() { echo "scale=2; $1 / $2" | bc; }

report="## $(date -u +%Y-%m-%d) — S3 result store — $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), $(curl --version | head -1 | cut -d' ' -f1-2), node $(node --version)

Command: \`benchmarks/s3_throughput.sh $mib $rounds\` (a $mib MiB file of random bytes; the
test S3 server on loopback: s3rver behind the verifying front, both in one node process that
shares the $(nproc) cores with the client; MiB/s of the median of $rounds rounds; the rounds
interleave the five transfers, so that the ratios hold even when the machine is busy: load
average $load_before before, $load_after after).

| figure | value | against curl doing the same |
|---|---|---|
| upload through the backend (multipart, 16 MiB parts) | $put MiB/s | $(ratio "$put" "$curl_multipart_rate") |
| upload through the backend, one PUT | $put_single MiB/s | $(ratio "$put_single" "$curl_put_rate") |
| \`sha256sum\` + \`curl --aws-sigv4 -T\` (one PUT) | $curl_put_rate MiB/s | 1 |
| curl, the same multipart upload (parts cut with dd, then \`sha256sum\`) | $curl_multipart_rate MiB/s | 1 |
| of which s3rver's CompleteMultipartUpload (it copies the parts into the object) | ${complete_s}s | |
| download through the backend (read() to a sink that drops the bytes) | $get MiB/s | $(ratio "$get" "$curl_get_rate") |
| \`curl --aws-sigv4 -o /dev/null\` | $curl_get_rate MiB/s | 1 |
| the backend's peak RSS (VmHWM) moving the file | $((rss / 1024)) MiB | |
"
echo "$report"
printf '\n%s\n' "$report" >>benchmarks/RESULTS.md
