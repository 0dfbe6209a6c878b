# The cicd agent burned into an image: Debian plus the cicd package, running `cicd agent` as
# the non-root user cicd. Build it with packaging/docker/build-agent-image, which makes the
# Debian base itself (debootstrap + docker import: no image registry is needed) and puts the
# context together: the .deb, and the machine's apt sources the package's dependencies come
# from. Run it (docs/operations.md, "The agent image"):
#
#   docker run -d --name cicd-agent --stop-timeout 3700 \
#     -v /var/run/docker.sock:/var/run/docker.sock --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -v /etc/cicd-agent/secrets.key:/etc/cicd/keys/secrets.key:ro \
#     -e CICD_DB=postgresql://… -e CICD_QUEUE=amqp://… -e CICD_RESULTS=s3://… \
#     cicd-agent:0.1.0
#
# (the masters' secrets key, readable by uid 990: install -o 990 -g 990 -m 0400 …)
# Every option of `cicd agent` comes from the environment (CICD_<OPTION>), a mounted
# /etc/cicd/agent.conf, or arguments after the image name. The Docker socket mounted into
# this container is root on the engine's machine; the job containers the agent starts never
# get it (no socket, no privileged mode, no host mounts: the agent's own rule).
ARG BASE=cicd-base/debian:bookworm
FROM ${BASE}

# The context's sources.list and apt.conf are the build machine's (build-agent-image writes
# them), so the dependencies come from the same mirror as everything else here.
COPY sources.list /etc/apt/sources.list
COPY apt.conf /etc/apt/apt.conf.d/99cicd-image
COPY cicd.deb /tmp/cicd.deb

# The cicd user gets a fixed uid and gid (990) before the package's postinst finds it: a
# numeric USER lets Kubernetes check runAsNonRoot, and the manifests name the same number.
# The keys postinst generates are removed: an agent must use the masters' secrets key (it
# refuses any other), and an image must never carry a key.
RUN set -eu; \
    addgroup --system --gid 990 cicd; \
    adduser --system --uid 990 --ingroup cicd --home /var/lib/cicd --no-create-home --quiet cicd; \
    apt-get update -q; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      /tmp/cicd.deb ca-certificates; \
    test "$(id -u cicd):$(id -g cicd)" = 990:990; \
    rm -f /tmp/cicd.deb /var/lib/cicd/jwt.key /var/lib/cicd/secrets.key; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log; \
    cicd --version

# The masters' secrets key is mounted here (a Kubernetes Secret, or -v …:ro); --data-dir
# stays /var/lib/cicd, the agent id and the per-run work dirs (disposable with the container).
ENV CICD_SECRETS_KEY=/etc/cicd/keys/secrets.key
USER 990:990
WORKDIR /var/lib/cicd
# SIGTERM drains: no new run, the runs in hand finish (up to --drain-timeout), exit 0. Give
# the container that long to stop: docker run --stop-timeout, or Kubernetes'
# terminationGracePeriodSeconds.
STOPSIGNAL SIGTERM
ENTRYPOINT ["cicd", "agent"]
