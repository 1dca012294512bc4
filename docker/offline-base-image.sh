#!/usr/bin/env bash
# Build a Java 17 runtime base image WITHOUT any container registry.
#
#   JRE_IMAGE=$(docker/offline-base-image.sh | tail -1)     # reuse if up to date
#   docker/offline-base-image.sh --force                    # always rebuild
#
# The image is assembled from what is on this host and imported with `docker import`:
#   /opt/java/openjdk  a jlink'ed runtime from the local JDK 17 (no javac/jshell/...)
#   glibc & friends    the shared libraries the JVM and Netty's native QUIC library
#                      need (found with ldd), plus the dynamic loader
#   busybox (static)   /usr/bin/busybox and its applet links (sh, wget, nslookup, ...),
#                      so healthchecks can run `wget`/`busybox wget` and people can debug
#   /etc               passwd/group with root and app (uid/gid 10001), nsswitch.conf
#                      (hosts: files dns -> Docker's embedded DNS resolves service
#                      names), hosts, ld.so.cache; NO CA trust store: the services use
#                      their own CA from /certs
#   /tmp (1777)        Netty extracts its native library there before loading it
#
# Environment:
#   JRE_IMAGE_TAG  tag to build     (default connection-swap/jre:17-local)
#   JDK_HOME       JDK to jlink from (default: the system Java 17 JDK)
#
# Progress goes to stderr; the ONLY line on stdout is the image tag (printed last).
# Reuse: an existing image is kept when its fingerprint label (this script, the JDK
# build, busybox, glibc) matches; --force rebuilds regardless.
set -euo pipefail

TAG=${JRE_IMAGE_TAG:-connection-swap/jre:17-local}
JDK=${JDK_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
JAVA_DIR=/opt/java/openjdk          # same place as the eclipse-temurin images
APP_UID=10001
APP_GID=10001
NETTY_VERSION=${NETTY_VERSION:-4.2.18.Final}   # the pom's netty.version
FORCE=0

log() { echo "offline-base-image: $*" >&2; }
die() { echo "offline-base-image: ERROR: $*" >&2; exit 1; }

for arg in "$@"; do
  case $arg in
    --force|-f) FORCE=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 0 ;;
    *) die "unknown argument: $arg (try --help)" ;;
  esac
done

# ---------------------------------------------------------------------------
# Preconditions
# ---------------------------------------------------------------------------
command -v docker >/dev/null 2>&1 || die "docker CLI not found (run .ci/install-docker.sh)"
docker info >/dev/null 2>&1 || die "docker engine not reachable (run .ci/install-docker.sh)"
[[ -x $JDK/bin/jlink && -d $JDK/jmods ]] ||
  die "$JDK is not a JDK with jlink and jmods (set JDK_HOME; Debian: apt-get install openjdk-17-jdk-headless)"
JAVA_VERSION=$("$JDK/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.runtime.version = //p')
[[ $JAVA_VERSION == 17* ]] || log "warning: $JDK is Java $JAVA_VERSION, not 17; tag $TAG may be misleading"

# busybox must be the static build: it runs without any library in the image.
BUSYBOX=/bin/busybox
if ! [[ -x $BUSYBOX ]] || ldd "$BUSYBOX" >/dev/null 2>&1; then
  log "installing busybox-static (statically linked busybox)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q busybox-static >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q busybox-static >/dev/null 2>&1; } ||
    die "cannot install busybox-static"
fi
! ldd "$BUSYBOX" >/dev/null 2>&1 || die "$BUSYBOX is dynamically linked; install busybox-static"

# ---------------------------------------------------------------------------
# Reuse an existing, identical image unless --force
# ---------------------------------------------------------------------------
FINGERPRINT=$(
  {
    cat "$0"
    echo "$JDK $JAVA_VERSION"; cat "$JDK/release" 2>/dev/null || true
    "$BUSYBOX" 2>&1 | head -1
    ldd --version 2>&1 | head -1
    uname -m
  } | sha256sum | cut -c1-16
)
LABEL_KEY=io.connectionswap.jre.fingerprint
if ((FORCE == 0)); then
  existing=$(docker image inspect --format "{{ index .Config.Labels \"$LABEL_KEY\" }}" "$TAG" 2>/dev/null || true)
  if [[ $existing == "$FINGERPRINT" ]]; then
    log "reusing $TAG (fingerprint $FINGERPRINT; pass --force to rebuild)"
    echo "$TAG"
    exit 0
  elif [[ -n $existing ]]; then
    log "$TAG exists but is outdated ($existing != $FINGERPRINT); rebuilding"
  fi
fi

WORK=$(mktemp -d /tmp/offline-jre.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/rootfs
mkdir -p "$ROOT"

# ---------------------------------------------------------------------------
# 1. Directory skeleton (merged-/usr layout, like Debian 12)
# ---------------------------------------------------------------------------
mkdir -p "$ROOT"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/local/bin,etc,opt/java,root,home/app,app,certs,proc,sys,dev,run,var/tmp,tmp}
ln -s usr/bin "$ROOT/bin"
ln -s usr/sbin "$ROOT/sbin"
ln -s usr/lib "$ROOT/lib"
ln -s usr/lib64 "$ROOT/lib64"
chmod 1777 "$ROOT/tmp" "$ROOT/var/tmp"
chmod 700 "$ROOT/root"
chown "$APP_UID:$APP_GID" "$ROOT/home/app"

# ---------------------------------------------------------------------------
# 2. Java runtime via jlink
# ---------------------------------------------------------------------------
# Every module of the JDK except development tools and GUI/JIT extras a server never
# uses. jlink resolves `requires` itself, so leaving out a module something else needs
# just pulls it back in. What Spring Boot 4 + Netty + our services rely on is all here:
# java.desktop (java.beans), java.management + jdk.management (Actuator metrics),
# java.naming + jdk.naming.dns, java.net.http, java.sql, jdk.crypto.ec and
# jdk.crypto.cryptoki (TLS), jdk.unsupported (sun.misc.Unsafe for Netty), jdk.net,
# jdk.zipfs, jdk.jfr, jdk.management.agent (JMX), jdk.jcmd (jcmd/jstack/jmap for
# diagnosis), jdk.jdwp.agent (remote debugging), jdk.localedata, jdk.charsets.
EXCLUDE='^(jdk\.compiler|jdk\.javadoc|jdk\.jshell|jdk\.jlink|jdk\.jpackage|jdk\.jdeps|jdk\.jartool|jdk\.editpad|jdk\.internal\.ed|jdk\.internal\.le|jdk\.internal\.opt|jdk\.hotspot\.agent|jdk\.jconsole|jdk\.jstatd|jdk\.jdi|jdk\.internal\.vm\.ci|jdk\.internal\.vm\.compiler|jdk\.internal\.vm\.compiler\.management|jdk\.accessibility|jdk\.unsupported\.desktop|jdk\.jsobject|jdk\.incubator\..*)$'
MODULES=$(for m in "$JDK"/jmods/*.jmod; do basename "$m" .jmod; done | grep -Ev "$EXCLUDE" | paste -sd, -)
log "jlink from $JDK (Java $JAVA_VERSION)"
"$JDK/bin/jlink" \
  --module-path "$JDK/jmods" \
  --add-modules "$MODULES" \
  --strip-debug --no-header-files --no-man-pages --compress=2 \
  --output "$ROOT$JAVA_DIR" >&2
# Debian's JDK keeps these as symlinks into /etc; jlink copies whatever the jmods
# carry. No trust store is needed (CA-free image), so drop dangling links if any.
find "$ROOT$JAVA_DIR" -xtype l -print -delete | sed 's/^/  removed dangling link: /' >&2 || true

# ---------------------------------------------------------------------------
# 3. Shared libraries (ldd), dynamic loader
# ---------------------------------------------------------------------------
# Copy a host file into the rootfs at the same path, plus every symlink hop to it
# (e.g. /lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2).
copy_host_path() {
  local p=$1 real
  [[ -e $ROOT$p ]] && return 0
  real=$(readlink -f "$p")
  if [[ ! -e $ROOT$real ]]; then
    mkdir -p "$(dirname "$ROOT$real")"
    cp -L --preserve=mode,timestamps "$real" "$ROOT$real"
  fi
  if [[ ! -e $ROOT$p ]]; then
    mkdir -p "$(dirname "$ROOT$p")"
    ln -sf "$real" "$ROOT$p"
  fi
}

# Libraries the dynamic objects given as arguments need, as absolute host paths.
needed_libs() {
  ldd "$@" 2>/dev/null | awk '
    /=> not found/ { print "MISSING " $1; next }
    /=> \// { print $3; next }
    /^[[:space:]]*\/[^ ]+ \(0x/ { print $1 }   # the loader line
  ' | sort -u
}

# JDK natives that only serve a desktop (X11 windows, JAWT, sound, splash screen) are left
# out of the dependency scan: they would drag in X11/ALSA/GTK libraries a headless
# server never loads. Headless AWT (fonts, image I/O) keeps its libraries.
mapfile -t ELF_FILES < <(
  find "$ROOT$JAVA_DIR" -type f \( -name '*.so' -o -path '*/bin/*' -o -name jspawnhelper \) \
    ! -name 'libawt_xawt.so' ! -name 'libjawt.so' ! -name 'libjsound.so' ! -name 'libsplashscreen.so' \
    -exec sh -c 'head -c4 "$1" | grep -q ELF' _ {} \; -print
)

# Netty's native QUIC library (BoringSSL is linked in statically): scan it too, when
# the jar is in the local Maven repository; the fixed list below covers it otherwise.
QUIC_JAR=$HOME/.m2/repository/io/netty/netty-codec-native-quic/$NETTY_VERSION/netty-codec-native-quic-$NETTY_VERSION-linux-$(uname -m | sed 's/aarch64/aarch_64/').jar
if [[ -f $QUIC_JAR ]]; then
  mkdir -p "$WORK/quic"
  (cd "$WORK/quic" && "$JDK/bin/jar" xf "$QUIC_JAR" META-INF/native)
  mapfile -t -O "${#ELF_FILES[@]}" ELF_FILES < <(find "$WORK/quic" -name '*.so')
fi

LIBC=$(ldd "$JDK/bin/java" | awk '$1 == "libc.so.6" { print $3 }')
LIBDIR=$(dirname "$(readlink -f "$LIBC")")
# Always present, whatever ldd found: glibc's pieces that native code loaded at run
# time (Netty's JNI libraries, NSS for DNS, pthread_cancel's unwinder) may ask for.
EXTRA_LIBS=()
for l in libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 libresolv.so.2 \
         libnss_files.so.2 libnss_dns.so.2 libutil.so.1 libanl.so.1 \
         libgcc_s.so.1 libstdc++.so.6 libz.so.1; do
  [[ -e $LIBDIR/$l ]] && EXTRA_LIBS+=("$LIBDIR/$l")
done

missing=0
while read -r lib; do
  case $lib in
    MISSING\ *)
      # libjvm.so & co. live in the runtime itself and are found at run time (the JVM
      # has loaded them already); ldd just cannot see that from the outside.
      [[ -n $(find "$ROOT$JAVA_DIR" -name "${lib#MISSING }" -print -quit) ]] && continue
      log "warning: a JDK native library needs ${lib#MISSING }, absent on this host"; missing=1 ;;
    *) copy_host_path "$lib" ;;
  esac
done < <(needed_libs "${ELF_FILES[@]}" "${EXTRA_LIBS[@]}"; printf '%s\n' "${EXTRA_LIBS[@]}")
((missing == 0)) || log "(only matters if that library is used; the JVM and Netty are covered)"

# ---------------------------------------------------------------------------
# 4. busybox, /etc
# ---------------------------------------------------------------------------
cp "$BUSYBOX" "$ROOT/usr/bin/busybox"
# One link per applet at its usual place (usr/bin/wget, bin/sh, sbin/ip, ...).
"$BUSYBOX" --list-full | while read -r applet; do
  [[ -e $ROOT/$applet || -L $ROOT/$applet ]] || ln -s /usr/bin/busybox "$ROOT/$applet"
done

cat >"$ROOT/etc/passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
app:x:$APP_UID:$APP_GID:connection-swap:/home/app:/bin/sh
EOF
cat >"$ROOT/etc/group" <<EOF
root:x:0:
nogroup:x:65534:
app:x:$APP_GID:
EOF
# glibc (2.34+) has the "files" and "dns" NSS services built in; this file tells it to
# use them: /etc/hosts first (Docker writes the container's own name there), then DNS
# (Docker's embedded resolver at 127.0.0.11 answers compose service names).
cat >"$ROOT/etc/nsswitch.conf" <<'EOF'
passwd:     files
group:      files
shadow:     files
hosts:      files dns
networks:   files
protocols:  files
services:   files
EOF
# Docker bind-mounts its own /etc/hosts, /etc/resolv.conf and /etc/hostname over
# these; they exist so the image also behaves when run some other way.
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
: >"$ROOT/etc/resolv.conf"
echo localhost >"$ROOT/etc/hostname"
for f in /etc/protocols /etc/services; do [[ -f $f ]] && cp "$f" "$ROOT$f"; done
cat >"$ROOT/etc/os-release" <<EOF
NAME="connection-swap offline JRE"
ID=connection-swap-jre
VERSION_ID="$JAVA_VERSION"
PRETTY_NAME="connection-swap offline JRE (Java $JAVA_VERSION, host glibc $(ldd --version | head -1 | awk '{print $NF}'))"
EOF
# glibc's C.UTF-8 locale (Debian ships it compiled, ~400 KB): with LANG=C.UTF-8 the
# JVM then uses UTF-8 for file.encoding/sun.jnu.encoding instead of ASCII.
if [[ -d /usr/lib/locale/C.utf8 ]]; then
  mkdir -p "$ROOT/usr/lib/locale"
  cp -a /usr/lib/locale/C.utf8 "$ROOT/usr/lib/locale/"
else
  log "warning: /usr/lib/locale/C.utf8 missing on the host; Java will default to ASCII"
fi
# A loader cache so libraries resolve quickly and from any standard directory.
printf '%s\n' "$LIBDIR" /usr/local/lib >"$ROOT/etc/ld.so.conf"
ldconfig -r "$ROOT" 2>/dev/null || log "warning: ldconfig -r failed; the loader falls back to its default paths"

# Class-data sharing archive for the JDK's own classes: faster JVM start, which the
# four services starting together on a small machine notice. The host runs the
# rootfs's java, which is fine: the same glibc was just copied into the image.
if "$ROOT$JAVA_DIR/bin/java" -Xshare:dump >/dev/null 2>&1; then
  log "CDS archive: $(du -h "$ROOT$JAVA_DIR/lib/server/classes.jsa" | cut -f1)"
else
  log "warning: java -Xshare:dump failed; continuing without a CDS archive"
fi

# ---------------------------------------------------------------------------
# 5. Import
# ---------------------------------------------------------------------------
OLD_ID=$(docker image inspect --format '{{.Id}}' "$TAG" 2>/dev/null || true)
log "importing rootfs ($(du -sh "$ROOT" | cut -f1)) as $TAG"
tar --numeric-owner -C "$ROOT" -c . | docker import \
  --change "ENV JAVA_HOME=$JAVA_DIR" \
  --change "ENV PATH=$JAVA_DIR/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  --change "ENV LANG=C.UTF-8" \
  --change "ENV JAVA_VERSION=$JAVA_VERSION" \
  --change "LABEL $LABEL_KEY=$FINGERPRINT" \
  --change "LABEL org.opencontainers.image.title=connection-swap-offline-jre" \
  --change "LABEL org.opencontainers.image.description=\"jlinked Java $JAVA_VERSION, host glibc, static busybox; built without a registry\"" \
  --change 'CMD ["java", "-version"]' \
  --message "docker/offline-base-image.sh (fingerprint $FINGERPRINT)" \
  - "$TAG" >&2

# Smoke test: the JVM must start inside the image (loader, libraries, CDS all fine).
docker run --rm "$TAG" java -Xshare:auto -version >/dev/null 2>&1 ||
  die "the imported image cannot run 'java -version'; see: docker run --rm $TAG java -version"
# The previous build is now untagged; drop it unless something (a service image built
# on it, a container) still uses it, in which case Docker refuses and we move on.
NEW_ID=$(docker image inspect --format '{{.Id}}' "$TAG")
if [[ -n $OLD_ID && $OLD_ID != "$NEW_ID" ]]; then
  docker rmi "$OLD_ID" >/dev/null 2>&1 || true
fi
log "built $TAG ($(docker image inspect --format '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}'))"
echo "$TAG"
