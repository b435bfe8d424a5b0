#!/usr/bin/env bash
# Cross-architecture check (issue #18, docs/cross-platform.md): builds gic for another CPU
# architecture inside a Debian root file system run under user-mode emulation (qemu-user through
# binfmt_misc), and compares what it produces with this machine's native build.
#
#   bash scripts/cross-check.sh arm64
#
# Steps, each printed with its time:
#   1. host tools: debootstrap, qemu-user-static, binfmt-support (installed through apt when
#      missing); binfmt_misc mounted and the qemu-aarch64 handler enabled;
#   2. the root: Debian trixie arm64 (debootstrap --variant=minbase, then swiftlang 6.0.x, g++ for
#      the C++ headers swift-crypto needs,
#      libarchive-dev, zlib1g-dev, libpng-dev, git), cached in $GIC_CROSS_CACHE between runs
#      (default ~/.cache/gic-cross; delete rootfs-arm64 to rebuild it);
#   3. the Swift package dependencies, without network access: the bare git repositories that this
#      machine's git reads github.com from (/opt/swift-packages, through url.insteadOf) are copied
#      into the root and served the same way there. swift-asn1 1.7.4 declares
#      swift-tools-version 6.1, which Swift 6.0 refuses; its copy gets one commit that declares 6.0
#      (nothing else in the manifest needs 6.1) and the version tag is moved onto it;
#   4. the current checkout (tracked and untracked, not ignored, files) copied into the root and
#      built there (debug, with the tests; the build folder is cached between runs); with
#      GIC_CROSS_REF=<commit> (for example HEAD), that commit's tree instead, on both sides (the
#      native side builds an extracted copy in $GIC_CROSS_CACHE/native-src), so edits made while
#      the run goes on reach neither build;
#   5. the checks, each compared byte for byte with the native build's output:
#      - `gic-ref verify` of every published conformance set (conformance/ and each
#        conformance/<profile>/; GIC_CROSS_SETS=<folders> for only those) on arm64, with the
#        automatic (NEON) and the portable (GIC_KERNELS=scalar) kernels;
#      - every shipped export (models/*.npz and models/*/*.npz that convert to a codec profile)
#        converted (--no-provenance) on both architectures: the example export with the default calibration set, the trained ones with one small
#        calibration picture, since a debug build under emulation calibrates ~450x slower than
#        native release (GIC_CROSS_CALIBRATION=default: the default set for all;
#        GIC_CROSS_CONVERT=<paths>: only those exports);
#      - the quick-start picture encoded with every shipped and conformance .gicw and every
#        converted model, and each stream decoded, on both architectures (streams and PNG files
#        compared);
#        GIC_CROSS_MODELS=<words> encodes only with the containers whose path contains one;
#      - the C kernel harness (Tests/CKernelsHarness) built in the root with its compiler:
#        portable vs NEON, natively on arm64 (under emulation);
#      - the Swift test suites named in GIC_CROSS_TESTS (default: the checkasm-style kernel
#        suites ConvolutionKernelsTests, GDNKernelTests, RequantizationKernelsTests, which loop
#        over every kernel path the build has, NEON and portable on arm64), built after the
#        checks above; GIC_CROSS_TESTS=all runs the whole suite (hours under emulation),
#        GIC_CROSS_TESTS=none none (a quick re-check of a new profile).
# Prints a summary and exits non-zero on any difference or failure. A script, not a CI step:
# the first run takes about an hour on this 2-core machine (docs/cross-platform.md has the times).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

arch=${1:-}
case "$arch" in
  arm64 | aarch64) arch=arm64 qemu=aarch64 ;;
  *)
    echo "usage: scripts/cross-check.sh arm64" >&2
    exit 2
    ;;
esac

cache=${GIC_CROSS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gic-cross}
root="$cache/rootfs-$arch"
suite=${GIC_CROSS_SUITE:-trixie}
mirror=${GIC_CROSS_MIRROR:-http://deb.debian.org/debian}
tests=${GIC_CROSS_TESTS:-kernels}
ref=${GIC_CROSS_REF:-}
commit=""
if [ -n "$ref" ]; then
  commit=$(git rev-parse --verify "$ref^{commit}") || {
    echo "error: GIC_CROSS_REF=$ref is not a commit" >&2
    exit 2
  }
fi
picture=${GIC_IMAGE:-data/images/test-768x512.png}
mkdir -p "$cache"

t0=$(date +%s)
step() { echo "== [$(($(date +%s) - t0)) s] $*" >&2; }
failures=()
fail() {
  echo "MISMATCH: $*" >&2
  failures+=("$*")
}

# --- 1. host tools -------------------------------------------------------------------------
step "host tools"
need=()
command -v debootstrap > /dev/null || need+=(debootstrap)
[ -x /usr/bin/qemu-$qemu-static ] || need+=(qemu-user-static)
command -v update-binfmts > /dev/null || need+=(binfmt-support)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need[@]}" > /dev/null
fi
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-$qemu ]; then
  update-binfmts --enable qemu-$qemu
fi
grep -q '^flags: .*F' /proc/sys/fs/binfmt_misc/qemu-$qemu || {
  echo "error: the qemu-$qemu binfmt handler lacks the F flag; binaries in the root would not find it" >&2
  exit 1
}

# Mounts /proc and /dev in the root for the duration of a command, and always unmounts them.
mounted=0
mount_root() {
  if [ $mounted = 0 ]; then
    mount -t proc proc "$root/proc"
    mount --bind /dev "$root/dev"
    mounted=1
  fi
}
umount_root() {
  if [ $mounted = 1 ]; then
    umount "$root/dev" || true
    umount "$root/proc" || true
    mounted=0
  fi
}
trap umount_root EXIT
in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "$@"; }

# --- 2. the root ---------------------------------------------------------------------------
if [ ! -e "$root/.gic-ready" ]; then
  if [ ! -e "$root/.gic-debootstrapped" ]; then
    step "debootstrap $suite $arch into $root (minutes)"
    rm -rf "$root"
    debootstrap --arch="$arch" --variant=minbase "$suite" "$root" "$mirror" > "$cache/debootstrap-$arch.log" 2>&1 || {
      tail -20 "$cache/debootstrap-$arch.log" >&2
      exit 1
    }
    touch "$root/.gic-debootstrapped"
  fi
  step "installing Swift and the system libraries in the root (minutes)"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount_root
  in_root apt-get update -qq
  in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    swiftlang g++ libarchive-dev zlib1g-dev libpng-dev pkg-config git ca-certificates \
    > "$cache/apt-$arch.log" 2>&1 || {
    tail -20 "$cache/apt-$arch.log" >&2
    exit 1
  }
  umount_root
  touch "$root/.gic-ready"
fi
mount_root
swift_version=$(in_root swift --version 2>&1 | head -1)
step "root ready: $swift_version"

# --- 3. the dependencies, offline ----------------------------------------------------------
step "serving the Swift package dependencies from local copies"
deps="$root/deps"
native_resolved=Package.resolved
[ -e "$native_resolved" ] || swift package resolve > /dev/null
python3 - "$native_resolved" > "$cache/pins.txt" << 'EOF'
import json, sys
for pin in json.load(open(sys.argv[1]))["pins"]:
    url = pin["location"].removesuffix(".git")
    owner_name = url.split("github.com/")[1]
    print(owner_name, pin["state"]["version"])
EOF
# Kept between runs while the pins are the same: fresh copies would make SwiftPM check out and
# rebuild every dependency again (about 20 minutes under emulation).
if ! cmp -s "$cache/pins.txt" "$deps/.pins"; then
rm -rf "$deps"
mkdir -p "$deps"
while read -r owner_name version; do
  src="/opt/swift-packages/$owner_name.git"
  dst="$deps/$owner_name.git"
  [ -d "$src" ] || {
    echo "error: no local copy of $owner_name at $src" >&2
    exit 1
  }
  mkdir -p "$(dirname "$dst")"
  git clone -q --bare "$src" "$dst"
  tools=$(git -C "$dst" show "$version:Package.swift" | head -1)
  case "$tools" in
    *swift-tools-version:6.1* | *swift-tools-version:6.2* | *swift-tools-version:6.3*)
      work=$(mktemp -d)
      git clone -q "$dst" "$work/p"
      git -C "$work/p" checkout -q "$version"
      sed -i '1s/swift-tools-version:6\.[1-3]/swift-tools-version:6.0/' "$work/p/Package.swift"
      git -C "$work/p" -c user.name=gic -c user.email=gic@localhost commit -q -am \
        "cross-check: declare swift-tools-version 6.0 for the Swift 6.0 toolchain"
      git -C "$work/p" tag -f "$version" > /dev/null
      git -C "$work/p" push -q -f "$dst" "refs/tags/$version"
      rm -rf "$work"
      echo "   $owner_name $version: manifest served as swift-tools-version 6.0 (was: $tools)" >&2
      ;;
  esac
done < "$cache/pins.txt"
cp "$cache/pins.txt" "$deps/.pins"
fi
cat > "$root/root/.gitconfig" << 'EOF'
[url "/deps/"]
	insteadOf = https://github.com/
[safe]
	directory = *
EOF

# --- 4. the checkout, built in the root ----------------------------------------------------
# Replaces folder $2 with the new tree in $1, but a file whose bytes did not change keeps its old
# modification time: the cached builds then recompile only what changed (a fresh copy would
# make the emulated build recompile every gic module, about 25 minutes).
replace_tree() {
  local new=$1 old=$2
  if [ -d "$old" ]; then
    (cd "$new" && find . -type f -print0) | while IFS= read -r -d '' f; do
      if cmp -s "$new/$f" "$old/$f"; then touch -r "$old/$f" "$new/$f"; fi
    done
  fi
  rm -rf "$old"
  mv "$new" "$old"
}
mkdir -p "$root/src" "$root/build"
rm -rf "$root/src/gic.new"
mkdir -p "$root/src/gic.new"
native_src="$repo"
if [ -n "$ref" ]; then
  # A committed tree, the same on both sides: edits made while the run goes on cannot reach
  # either build. The native side builds an extracted copy in its own folders.
  step "copying commit $commit into the root and into $cache/native-src"
  native_src="$cache/native-src"
  rm -rf "$native_src.new"
  mkdir -p "$native_src.new"
  git archive "$commit" | tar -xf - -C "$native_src.new"
  tar -C "$native_src.new" -cf - . | tar -xf - -C "$root/src/gic.new"
  replace_tree "$native_src.new" "$native_src"
else
  step "copying the checkout (tracked and untracked files) into the root"
  git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$root/src/gic.new"
fi
# The native Package.resolved pins commits of this machine's copies; the root resolves anew.
rm -f "$root/src/gic.new/Package.resolved"
replace_tree "$root/src/gic.new" "$root/src/gic"

# The tools first, the tests after the codec checks: a test file that the root's compiler cannot
# build must not cost the other results.
step "building gic-ref and gic-convert in the root (debug; tens of minutes under emulation)"
for product in gic-ref gic-convert; do
  in_root sh -c "cd /src/gic && swift build --product $product --scratch-path /build/gic 2>&1" >> "$cache/build-$arch.log" || {
    tail -40 "$cache/build-$arch.log" >&2
    exit 1
  }
done
abin=$(in_root sh -c 'cd /src/gic && swift build --scratch-path /build/gic --show-bin-path')
step "arm64 build done ($abin)"

step "building gic natively (debug)"
cd "$native_src"
native_build=()
[ -n "$ref" ] && native_build=(--scratch-path "$cache/native-build")
swift build "${native_build[@]}" --product gic-ref > /dev/null
swift build "${native_build[@]}" --product gic-convert > /dev/null
nbin=$(swift build "${native_build[@]}" --show-bin-path)

out="$cache/out"
rm -rf "$out" "$root/tmp/cross"
mkdir -p "$out/native" "$root/tmp/cross"
aout=/tmp/cross

# --- 5. the checks -------------------------------------------------------------------------
: > "$out/verify-$arch.txt"
: > "$out/convert-$arch.txt"
# Every published set: conformance/ and each conformance/<profile>/ with a manifest
# (GIC_CROSS_SETS=<folders> checks only those).
if [ -n "${GIC_CROSS_SETS:-}" ]; then
  read -r -a sets <<< "$GIC_CROSS_SETS"
else
  sets=(conformance conformance/*/)
fi
for set in "${sets[@]}"; do
  set=${set%/}
  [ -e "$set/manifest.json" ] || continue
  for kernels in automatic portable; do
    step "conformance vectors of $set on $arch ($kernels kernels)"
    env=()
    [ $kernels = portable ] && env=(GIC_KERNELS=scalar)
    if in_root env "${env[@]}" sh -c "cd /src/gic && $abin/gic-ref verify $set" > "$out/verify-one.txt" 2>&1; then
      echo "   $(tail -1 "$out/verify-one.txt")" >&2
      echo "$set ($kernels): $(tail -1 "$out/verify-one.txt")" >> "$out/verify-$arch.txt"
    else
      tail -20 "$out/verify-one.txt" >&2
      fail "gic-ref verify $set failed on $arch ($kernels kernels)"
    fi
  done
done

# A debug build converts about 65 times slower than a release one (calibration runs Swift float
# loops over the calibration pictures), and emulation multiplies that by about 7. So every
# models/*.npz is converted on both sides, but only the smallest export,
# models/example-bmshj2018-hyperprior.npz, with the default calibration set (two pictures, 397k
# pixels); the others calibrate on one 96x64 photograph (conformance/images/photo-96x64.png), the
# same on both sides: all of the converter's code runs, on 65 times fewer pixels.
# GIC_CROSS_CALIBRATION=default calibrates every export on the default set (about 15 minutes per
# trained export under emulation); GIC_CROSS_CONVERT=<paths> converts only those exports.
small_calibration=conformance/images/photo-96x64.png
if [ -n "${GIC_CROSS_CONVERT:-}" ]; then
  read -r -a exports <<< "$GIC_CROSS_CONVERT"
else
  # Every export under models/ that converts to a codec profile (models/context/ holds exports
  # of architectures that have none yet).
  exports=()
  for npz in models/*.npz models/*/*.npz; do
    [ -e "$npz" ] || continue
    "$nbin/gic-convert" inspect "$npz" --json 2> /dev/null | python3 -c '
import json, sys
c = json.load(sys.stdin).get("conversion") or {}
sys.exit(0 if c.get("profile") not in (None, "raw", "compressai-tables") else 1)' && exports+=("$npz")
  done
fi
models=()
conversions=0
for npz in "${exports[@]}"; do
  name=$(basename "$npz" .npz)
  calibration=()
  if [ "${GIC_CROSS_CALIBRATION:-small}" != default ] && [ "$name" != example-bmshj2018-hyperprior ]; then
    calibration=(--calibration "$small_calibration")
  fi
  step "converting $npz on both architectures${calibration[*]:+ (${calibration[*]})}"
  "$nbin/gic-convert" "$npz" -o "$out/native/$name.gicw" --no-provenance "${calibration[@]}" > /dev/null
  in_root sh -c "cd /src/gic && $abin/gic-convert $npz -o $aout/$name.gicw --no-provenance ${calibration[*]}" > /dev/null
  conversions=$((conversions + 1))
  if cmp -s "$out/native/$name.gicw" "$root$aout/$name.gicw"; then
    echo "   identical: $name.gicw ($(stat -c %s "$out/native/$name.gicw") bytes)" >&2
    echo "$npz${calibration[*]:+ (${calibration[*]})}: identical, $(stat -c %s "$out/native/$name.gicw") bytes" >> "$out/convert-$arch.txt"
  else
    fail "conversion of $npz differs between x86-64 and $arch"
  fi
  # Models converted with the default calibration are also encoded with (the shipped gic-v1 and
  # gic-v2 containers are, below); the others were checked as files above.
  if [ ${#calibration[@]} = 0 ] && [ "$name" != gic-v1 ] && [ "$name" != gic-v2 ]; then
    models+=("$out/native/$name.gicw")
  fi
done
for gicw in models/*.gicw models/*/*.gicw conformance/models/*.gicw conformance/*/models/*.gicw; do
  [ -e "$gicw" ] || continue
  # GIC_CROSS_MODELS=<words>: only the containers whose path contains one of them.
  if [ -n "${GIC_CROSS_MODELS:-}" ]; then
    keep=0
    for word in $GIC_CROSS_MODELS; do case "$gicw" in *"$word"*) keep=1 ;; esac; done
    [ $keep = 1 ] || continue
  fi
  # The same bytes under two names are checked once.
  for m in "${models[@]}"; do cmp -s "$m" "$gicw" && continue 2; done
  models+=("$gicw")
done

for model in "${models[@]}"; do
  name=$(basename "$model" .gicw)
  case "$model" in
    models/* | conformance/*) amodel="$model" ;;
    *) amodel="$aout/$name.gicw" ;;
  esac
  name=$(echo "$model" | tr '/' '_' | sed 's/\.gicw$//')
  args=()
  case "$(basename "$model")" in gic-v*) args=(--target-bpp 0.1 --steps 2 --seed 1) ;; esac
  step "encoding and decoding $picture with $name on both architectures"
  "$nbin/gic-ref" encode "$picture" -m "$model" -o "$out/native/$name.gic" "${args[@]}" > /dev/null
  "$nbin/gic-ref" decode "$out/native/$name.gic" -m "$model" -o "$out/native/$name.png" > /dev/null
  in_root sh -c "cd /src/gic && $abin/gic-ref encode $picture -m $amodel -o $aout/$name.gic ${args[*]} && $abin/gic-ref decode $aout/$name.gic -m $amodel -o $aout/$name.png" > /dev/null
  if cmp -s "$out/native/$name.gic" "$root$aout/$name.gic"; then
    echo "   identical stream: $name.gic ($(stat -c %s "$out/native/$name.gic") bytes)" >&2
  else
    fail "stream of $name differs between x86-64 and $arch"
  fi
  if cmp -s "$out/native/$name.png" "$root$aout/$name.png"; then
    echo "   identical decoded PNG: $name.png" >&2
  else
    fail "decoded picture of $name differs between x86-64 and $arch"
  fi
done

# The root has gcc (from g++) and the Swift toolchain's own clang; no separate clang package.
step "C kernel harness built with the root's gcc, run on $arch (portable vs NEON)"
if in_root sh -c 'cd /src/gic && gcc -O2 -std=gnu11 -ISources/CKernels/include Sources/CKernels/*.c Sources/CKernels/*/*.c Tests/CKernelsHarness/harness.c -o /tmp/cross/harness && /tmp/cross/harness && GIC_KERNELS=portable /tmp/cross/harness' > "$out/harness-$arch.txt" 2>&1; then
  echo "   $(tail -1 "$out/harness-$arch.txt")" >&2
else
  tail -20 "$out/harness-$arch.txt" >&2
  fail "the C kernel harness failed on $arch"
fi

case "$tests" in
  all | none) filter=() ;;
  kernels) filter=(--filter 'ConvolutionKernelsTests|GDNKernelTests|RequantizationKernelsTests') ;;
  *) filter=(--filter "$tests") ;;
esac
if [ "$tests" = none ]; then
  step "Swift tests on $arch: not run (GIC_CROSS_TESTS=none)"
  echo "not run (GIC_CROSS_TESTS=none)" > "$out/tests-$arch.txt"
elif ! step "building the Swift tests in the root" ||
  ! in_root sh -c 'cd /src/gic && swift build --build-tests --scratch-path /build/gic 2>&1' >> "$cache/build-$arch.log"; then
  tail -40 "$cache/build-$arch.log" >&2
  fail "the Swift tests did not build on $arch"
  echo "Swift tests did not build" > "$out/tests-$arch.txt"
elif step "Swift tests on $arch (${filter[*]:-all})" &&
  in_root sh -c "cd /src/gic && swift test --skip-build --scratch-path /build/gic ${filter[*]:+${filter[0]} '${filter[1]}'} 2>&1" > "$out/tests-$arch.txt"; then
  echo "   $(grep -E 'Test run with|Executed' "$out/tests-$arch.txt" | tail -2 | tr '\n' ' ')" >&2
else
  tail -30 "$out/tests-$arch.txt" >&2
  fail "Swift tests failed on $arch"
fi
umount_root

echo
echo "cross-check $arch summary ($(($(date +%s) - t0)) s, $swift_version):"
echo "  source: ${commit:-the working tree of $repo}"
echo "  conformance:"
sed 's/^/    /' "$out/verify-$arch.txt" 2> /dev/null
echo "  conversions compared: $conversions"
sed 's/^/    /' "$out/convert-$arch.txt" 2> /dev/null
echo "  encodes and decodes compared: ${#models[@]} models; logs and outputs in $out"
echo "  kernel harness: $(tail -1 "$out/harness-$arch.txt" 2> /dev/null)"
echo "  Swift tests: $( (grep -E 'Test run with|Executed' "$out/tests-$arch.txt" || tail -1 "$out/tests-$arch.txt") 2> /dev/null | tail -1)"
if [ ${#failures[@]} -gt 0 ]; then
  printf '  MISMATCH: %s\n' "${failures[@]}"
  exit 1
fi
echo "  no difference"
