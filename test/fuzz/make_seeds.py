#!/usr/bin/env python3
"""Writes the seed inputs of test/fuzz/corpus/<target>/seed-*: small, real inputs taken from
the unit tests, the docs and test/data, and for the hooks a few GitHub payloads of
@octokit/webhooks-examples (test/hooks/node_modules, installed by scripts/setup). Token seeds
are signed with the keys of test/fuzz/keys/ (openssl). Inputs the fuzzer found (crash-*,
regression-*) are other files and are left alone. Run it again after changing a seed here."""
import base64, hashlib, hmac, io, json, os, re, struct, subprocess, sys, tarfile, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, "seed-" + name), "wb") as out:
        out.write(data)


def clear_seeds():
    for target in os.listdir(CORPUS) if os.path.isdir(CORPUS) else []:
        for name in os.listdir(os.path.join(CORPUS, target)):
            if name.startswith("seed-"):
                os.remove(os.path.join(CORPUS, target, name))


def raw_strings(path):
    text = open(os.path.join(ROOT, path), encoding="utf-8").read()
    return re.findall(r'R"\((.*?)\)"', text, re.S)


def job_definitions():
    found = [s for s in raw_strings("test/unit/model_job_test.cpp") if s.startswith("{")]
    return [s for s in found if is_json(s)]


def is_json(text):
    try:
        json.loads(text)
        return True
    except ValueError:
        return False


PARAMETERS = ('{"type":"freestyle","image":"debian:12","script":"make test","parameters":{'
              '"NAME":{"type":"string","default":"world"},'
              '"DEBUG":{"type":"bool","default":false},'
              '"COUNT":{"type":"integer","required":true},'
              '"ENV":{"type":"choice","choices":["dev","prod"],"default":"dev"}}}')


def yaml_blocks():
    text = open(os.path.join(ROOT, "docs/config.md"), encoding="utf-8").read()
    return re.findall(r"```yaml\n(.*?)```", text, re.S)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_with_key(key, data):
    with tempfile.NamedTemporaryFile() as tmp:
        tmp.write(data)
        tmp.flush()
        return subprocess.run(["openssl", "dgst", "-sha256", "-sign", key, tmp.name],
                              check=True, capture_output=True).stdout


def der_to_raw(der):
    # SEQUENCE { INTEGER r, INTEGER s } → r || s, 32 bytes each
    assert der[0] == 0x30
    at = 2 if der[1] < 0x80 else 3
    parts = []
    for _ in range(2):
        assert der[at] == 0x02
        size = der[at + 1]
        value = int.from_bytes(der[at + 2:at + 2 + size], "big")
        parts.append(value.to_bytes(32, "big"))
        at += 2 + size
    return b"".join(parts)


SECRET = b"the HS256 secret of the token fuzz target"
NOW = 1_800_000_000


def token(alg, payload, header=None):
    header = header or {"alg": alg, "typ": "JWT"}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(payload, separators=(",", ":")).encode()))
    data = signing_input.encode()
    if alg == "HS256":
        signature = hmac.new(SECRET, data, hashlib.sha256).digest()
    elif alg == "RS256":
        signature = sign_with_key(os.path.join(HERE, "keys/rs256.pem"), data)
    else:
        signature = der_to_raw(sign_with_key(os.path.join(HERE, "keys/es256.pem"), data))
    return signing_input + "." + b64url(signature)


def tar_of(entries):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, kind, content in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = content
                tar.addfile(info)
            else:
                info.size = len(content)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def frame(stream, payload):
    return struct.pack(">BxxxI", stream, len(payload)) + payload


def main():
    clear_seeds()
    definitions = job_definitions()
    for i, definition in enumerate(definitions[:24]):
        write("job_definition", f"unit-{i:02}", definition)
    write("job_definition", "parameters", PARAMETERS)

    triggers = ['{"branchName":"main"}',
                '{"commitSha":"da1560886d4f094c3e6c9ef40349f7d38b5d27d7",'
                '"parameters":{"COUNT":3,"ENV":"prod","DEBUG":true}}',
                '{"branchName":"feature/x","parameters":{"COUNT":-1,"NAME":""}}',
                '{"branchName":"main","parameters":null}',
                '{"branchName":"a..b","parameters":{"NOPE":1}}']
    for i, body in enumerate(triggers):
        write("run_trigger", f"{i:02}", PARAMETERS + "\0" + body)
    write("run_trigger", "git", definitions[1] + "\0" + triggers[0] if len(definitions) > 1
          else "\0" + triggers[0])

    classes = re.findall(r'parse_resource_class\("([^"]*)", R"\((.*?)\)"\)',
                         open(os.path.join(ROOT, "test/unit/model_resource_class_test.cpp")).read())
    for i, (name, body) in enumerate(classes[:12]):
        write("settings", f"class-{i:02}", name + "\0" + body)
    settings = ['{"umbrellaTimeout":"2h","consoleLimitMiB":100,"resultRetentionDays":30}',
                '{"umbrellaTimeout":"1d12h30m15s","resultRetentionDays":null}',
                '{"consoleLimitMiB":0,"umbrellaTimeout":"0s"}']
    for i, body in enumerate(settings):
        write("settings", f"settings-{i:02}", "default\0" + body)

    for i, block in enumerate(yaml_blocks()):
        write("repo_config", f"docs-{i:02}", "\n" + block)
    write("repo_config", "anchors",
          "\nx-env: &env {A: '1', B: two}\nimage: debian:12\nscript: [make, make test]\n"
          "env:\n  <<: *env\n  C: three\nservices:\n  db: {image: postgres:16, port: 5432}\n")
    write("repo_config", "jobs",
          "unit\njobs:\n  unit: {image: debian:12, script: make test, timeout: 20m}\n"
          "  lint: {image: {dockerfile: Dockerfile, context: ., target: lint}, script: lint}\n")
    write("repo_config", "results",
          "\nimage: debian:12\nscript: make\nresults:\n  junit: {path: build/junit.xml, "
          "type: junit}\n  out: {path: out, type: dir}\nsecrets: [TOKEN]\n"
          "resourceClass: large\nuser: '1000'\nworkdir: /src\n")

    claims = {"sub": "alice", "scope": "read", "iat": NOW, "exp": NOW + 3600}
    write("token", "hs256", token("HS256", claims))
    write("token", "hs256-admin-nbf",
          token("HS256", dict(claims, scope="trigger admin", nbf=NOW - 5)))
    write("token", "hs256-expired", token("HS256", dict(claims, exp=NOW - 3600)))
    write("token", "rs256", token("RS256", claims))
    write("token", "es256", token("ES256", dict(claims, scope="trigger")))
    write("token", "none", b64url(b'{"alg":"none"}') + "." + b64url(json.dumps(claims).encode())
          + ".")
    write("token", "hs256-crit", token("HS256", claims, {"alg": "HS256", "crit": ["x"]}))

    examples = os.path.join(ROOT, "test/hooks/node_modules/@octokit/webhooks-examples/"
                                  "api.github.com/index.json")
    if not os.path.exists(examples):
        sys.exit("make_seeds.py: run scripts/setup first (test/hooks/node_modules)")
    wanted = {"pull_request": 4, "push": 3, "ping": 1, "issues": 1}
    for event in json.load(open(examples)):
        for i, payload in enumerate(event["examples"][:wanted.get(event["name"], 0)]):
            body = json.dumps(payload, separators=(",", ":"))
            write("hooks", f"github-{event['name']}-{i}", event["name"] + "\n" + body)
    repository = "gitlab-org/gitlab-test"
    merge_request = {"object_kind": "merge_request", "user": {"username": "root"},
                     "project": {"id": 1, "path_with_namespace": repository},
                     "object_attributes": {"iid": 1, "target_branch": "master",
                                           "source_branch": "ms-viewport",
                                           "source_project_id": 1, "target_project_id": 1,
                                           "action": "open", "last_commit": {
                                               "id": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"}}}
    push = {"object_kind": "push", "ref": "refs/heads/master", "project_id": 15,
            "after": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", "user_username": "jsmith",
            "project": {"id": 15, "path_with_namespace": repository}}
    write("hooks", "gitlab-merge-request", "LMerge Request Hook\n" + json.dumps(merge_request))
    write("hooks", "gitlab-push", "LPush Hook\n" + json.dumps(push))

    write("stream_demuxer", "two-streams", b"\x07\x01" + frame(1, b"hello\n") +
          frame(2, b"oops\n") + frame(1, b"") + frame(1, b"bye\n"))
    write("stream_demuxer", "cut-short", b"\x00\x00" + frame(1, b"a" * 40)[:30])
    write("stream_demuxer", "system-error", b"\xff\xff" + frame(3, b"no such container") +
          frame(0, b"in"))

    def masker(secrets, text, seed=0x1234):
        data = bytes([len(secrets) - 1])
        for secret in secrets:
            data += bytes([len(secret)]) + secret
        return data + struct.pack("<H", seed) + text
    write("secret_masker", "one", masker([b"hunter22"], b"pw=hunter22 again hunter22\n"))
    write("secret_masker", "overlap", masker([b"abcdef", b"cdefghij"], b"-abcdefghij- abcd"))
    write("secret_masker", "multi-line",
          masker([b"first-line-value\r\nsecond-line-value\n", b"ab\n\nlong-enough"],
                 b"got: second-line-value\r\ngot: first-line-value\r\nab long-enough\n", 7))
    write("secret_masker", "longest-first",
          masker([b"abcd", b"abcdefgh", b"token-123"], b"[abcdefgh] [abcd] token-12 token-123"))

    junit = os.path.join(ROOT, "test/data/junit")
    reports = [(name, "file", open(os.path.join(junit, name), "rb").read())
               for name in sorted(os.listdir(junit)) if name.endswith(".xml")]
    write("result_tar", "one-file", tar_of([("coverage.txt", "file", b"lines: 93%\n")]))
    write("result_tar", "junit-report", tar_of(reports[:1]))
    write("result_tar", "junit-folder", tar_of([("reports", "dir", None)] +
                                                [("reports/" + n, k, c) for n, k, c in reports]))
    write("result_tar", "escapes", tar_of([("out", "dir", None), ("out/ok.txt", "file", b"ok"),
                                           ("out/link", "symlink", "/etc/passwd"),
                                           ("out/../up.txt", "file", b"up"),
                                           ("/abs.txt", "file", b"abs")]))


if __name__ == "__main__":
    main()
