#!/usr/bin/env bash
# Set up what the container test (tests/deploy/test_container.py) needs on a Debian machine, as root:
#   1. docker.io and debootstrap (apt-get, if missing);
#   2. a Docker engine: when none answers, start `dockerd` in the background without iptables or a
#      bridge (containers then use --network host) and write its PID to $JOBRANK_DOCKERD_PIDFILE;
#   3. the base image jobrank-base:bookworm, built by debootstrap from the machine's Debian mirror with
#      the machine's extra CA certificates (registry images cannot be pulled here); kept between runs;
#   4. with --image TAG: the jobrank image itself, built on that base with the host's pip settings.
#
#   scripts/container-test-env.sh                  # steps 1-3
#   scripts/container-test-env.sh --image jobrank  # steps 1-4; then run it as README.md shows
#
# Environment: JOBRANK_DOCKERD_PIDFILE (default /run/jobrank-dockerd.pid), JOBRANK_DOCKER_LOG
# (default /var/log/jobrank-dockerd.log), JOBRANK_BASE_IMAGE (default jobrank-base:bookworm).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
DOCKER=/usr/bin/docker # the docker.io CLI: another `docker` earlier on PATH may lack BuildKit/buildx
BASE_IMAGE="${JOBRANK_BASE_IMAGE:-jobrank-base:bookworm}"
PIDFILE="${JOBRANK_DOCKERD_PIDFILE:-/run/jobrank-dockerd.pid}"
DOCKERD_LOG="${JOBRANK_DOCKER_LOG:-/var/log/jobrank-dockerd.log}"
IMAGE=""

say() { echo "container-test-env: $*" >&2; }
die() {
	say "error: $*"
	exit 1
}

while [ $# -gt 0 ]; do
	case "$1" in
	--image)
		IMAGE="${2:?--image needs a tag}"
		shift 2
		;;
	-h | --help)
		sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done

[ "$(id -u)" = 0 ] || die "run as root (it installs packages, starts dockerd and runs debootstrap)"

install_tools() {
	local missing=()
	[ -x "$DOCKER" ] || missing+=(docker.io)
	command -v debootstrap >/dev/null || missing+=(debootstrap)
	if [ ${#missing[@]} -gt 0 ]; then
		say "installing ${missing[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

start_engine() {
	if "$DOCKER" info >/dev/null 2>&1; then
		return
	fi
	say "starting dockerd (log: $DOCKERD_LOG)"
	# 9>&-: the engine must not inherit the set-up lock (it would hold it for its whole life).
	dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver=overlay2 >"$DOCKERD_LOG" 2>&1 9>&- &
	echo $! >"$PIDFILE"
	for _ in $(seq 60); do
		if "$DOCKER" info >/dev/null 2>&1; then
			return
		fi
		kill -0 "$(cat "$PIDFILE")" 2>/dev/null || die "dockerd exited: $(tail -5 "$DOCKERD_LOG")"
		sleep 1
	done
	die "dockerd did not answer in 60 s (log: $DOCKERD_LOG)"
}

debian_mirror() {
	# The first URIs of the first deb822 source for Debian (e.g. http://deb.debian.org/debian).
	local uri
	uri="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri="$(awk '$1 == "deb" && $0 !~ /security/ {print ($2 ~ /^\[/ ? $3 : $2); exit}' /etc/apt/sources.list)"
	fi
	echo "${uri:-http://deb.debian.org/debian}"
}

remove_rootfs() {
	# A failed debootstrap can leave proc/sys mounted inside: unmount first, and never cross into a mount.
	umount -R "$1/proc" "$1/sys" 2>/dev/null || true
	rm -rf --one-file-system "$1"
}

build_base() {
	if "$DOCKER" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
		say "$BASE_IMAGE exists (docker rmi it to rebuild)"
		return
	fi
	local rootfs mirror
	rootfs="$(mktemp -d /var/tmp/jobrank-rootfs.XXXXXX)"
	mirror="$(debian_mirror)"
	say "debootstrap bookworm from $mirror (about a minute)"
	debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$rootfs" "$mirror" >/dev/null ||
		{
			remove_rootfs "$rootfs"
			die "debootstrap failed"
		}
	if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
		cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
	fi
	chroot "$rootfs" update-ca-certificates >/dev/null 2>&1
	rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
	tar -C "$rootfs" -c . | "$DOCKER" import - "$BASE_IMAGE" >/dev/null
	remove_rootfs "$rootfs"
	say "built $BASE_IMAGE"
}

pip_setting() {
	# A pip setting of the host (environment first, then `pip config`), empty when unset.
	local env_name="$1" key="$2" value="${!1:-}"
	if [ -z "$value" ] && command -v python3 >/dev/null; then
		value="$(python3 -m pip config get "global.$key" 2>/dev/null || true)"
	fi
	echo "$value"
}

build_image() {
	# pip inside the build must see what the host's pip sees: its index (when it is a URL the build can
	# reach) and trust store (the base image holds the host's CA certificates, see build_base).
	local args=(--network host --build-arg "BASE=$BASE_IMAGE" -t "$IMAGE")
	local index cert
	index="$(pip_setting PIP_INDEX_URL index-url)"
	case "$index" in
	http://* | https://*) args+=(--build-arg "PIP_INDEX_URL=$index") ;;
	esac
	cert="$(pip_setting PIP_CERT cert)"
	if [ -n "$cert" ]; then
		args+=(--build-arg "PIP_CERT=/etc/ssl/certs/ca-certificates.crt")
	fi
	say "building $IMAGE"
	if DOCKER_BUILDKIT=1 "$DOCKER" build "${args[@]}" "$REPO" >&2; then
		return
	fi
	say "BuildKit build failed; retrying with the legacy builder"
	DOCKER_BUILDKIT=0 "$DOCKER" build "${args[@]}" "$REPO" >&2
}

# One set-up at a time on a machine (two test sessions would race to start dockerd and debootstrap).
LOCK=/run/jobrank-container-env.lock
exec 9>"$LOCK"
flock -w 900 9 || die "another set-up has held $LOCK for 15 min (fuser -v $LOCK shows who)"
install_tools
start_engine
build_base
if [ -n "$IMAGE" ]; then
	build_image
fi
