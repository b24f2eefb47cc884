# Building this workspace's binaries for Linux on x86_64 and arm64 against an old glibc, for
# scripts/build-lambdas and scripts/release (sourced, not run). The rules live here once:
#
#   - x86_64 is this host's architecture: the binaries are compiled as every other crate of the
#     workspace is (so the test suite's build serves them) and only the final link differs,
#     through `cargo rustc`: zig's C compiler links against the stubs of an older glibc.
#   - arm64 (aarch64) is cross-compiled by Debian's rustc (the `rustc-web` package, whose arm64
#     standard library `libstd-rust-web-dev:arm64` scripts/setup installs: rustup's targets cannot
#     be downloaded here) into target/cross, with zig as the C compiler (aws-lc, ring) and linker.
#   - A binary is checked after the build: its ELF machine, and the newest GLIBC_x.y symbol
#     version it needs, read with readelf (which reads any architecture's ELF files).
#
# Requires: root (the workspace), python (the project's venv with the ziglang wheel).

# The Lambda functions, in one place: package name = binary name = the directory under target/lambda.
lambda_functions=(studio-event-processor studio-stream-processor studio-reconciler studio-copier)
# The glibc every binary is linked against, and the newest it may need: 2.17, CentOS 7 / RHEL 7,
# the oldest runners Terraform users keep; the Lambda runtimes are newer (provided.al2 has 2.26,
# provided.al2023 2.34), so one zip runs on both. One floor for all: the provider and the Lambdas
# of an architecture build in one cargo invocation, their dependencies compiled once.
glibc_floor=2.17

cross_die() { printf '%s: %s\n' "${cross_caller:-cross}" "$*" >&2; exit 1; }

# The Rust triple, the zig target and the readelf machine name of an architecture, as
# "triple zig-arch readelf-machine"; both spellings (Terraform's and Lambda's) are accepted.
cross_arch() {
  case "$1" in
    amd64 | x86_64) echo "x86_64-unknown-linux-gnu x86_64 X86-64" ;;
    arm64 | aarch64) echo "aarch64-unknown-linux-gnu aarch64 AArch64" ;;
    *) cross_die "unknown architecture '$1' (x86_64/amd64 or arm64/aarch64)" ;;
  esac
}

# Writes a C compiler wrapper for zig into DIR and prints its path: ZIG_ARCH GLIBC DIR.
# cc-rs passes `--target=<rust triple>`, which zig does not parse: the wrapper drops it (zig has
# its own -target).
cross_cc() {
  local zig_arch=$1 glibc=$2 dir=$3
  [ -n "${python:-}" ] && "$python" -c 'import ziglang' 2> /dev/null \
    || cross_die "zig (the ziglang wheel) not found: run scripts/setup"
  local cc="$dir/cc-$zig_arch-glibc$glibc"
  cat > "$cc.new" << EOF
#!/bin/sh
for arg; do
  shift
  case "\$arg" in --target=*) ;; *) set -- "\$@" "\$arg" ;; esac
done
exec '$python' -m ziglang cc -target $zig_arch-linux-gnu.$glibc "\$@"
EOF
  printf '#!/bin/sh\nexec %q -m ziglang ar "$@"\n' "$python" > "$dir/ar.new"
  # Replaced only when different, so that an unchanged wrapper keeps its mtime.
  local file
  for file in "$cc" "$dir/ar"; do
    if cmp -s "$file.new" "$file"; then rm "$file.new"; else mv "$file.new" "$file"; fi
  done
  chmod +x "$cc" "$dir/ar"
  echo "$cc"
}

# Debian's rustc with an arm64 standard library, or a message saying how to get it.
cross_rustc_arm64() {
  local rustc=${STUDIO_CROSS_RUSTC:-/usr/bin/rustc}
  [ -x "$rustc" ] || cross_die "no $rustc for arm64 builds: run scripts/setup (it installs Debian's rustc-web and libstd-rust-web-dev:arm64)"
  local sysroot
  sysroot=$("$rustc" --print sysroot)
  [ -d "$sysroot/lib/rustlib/aarch64-unknown-linux-gnu/lib" ] \
    || cross_die "$rustc has no aarch64 standard library under $sysroot/lib/rustlib: run scripts/setup"
  echo "$rustc"
}

# Builds binaries (package name = binary name) for an architecture with a cargo profile and a
# glibc, and prints each binary's path, one a line: ARCH PROFILE GLIBC PACKAGE...
# PROFILE is `dev` or `release`.
cross_build() {
  local arch=$1 profile=$2 glibc=$3
  shift 3
  local triple zig_arch machine names
  names=$(cross_arch "$arch")
  read -r triple zig_arch machine <<< "$names"
  local dir flags=() out
  [ "$profile" = release ] && flags+=(--release)
  local profile_dir=debug
  [ "$profile" = release ] && profile_dir=release
  local target_dir
  target_dir=$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
    | "$python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
  # The wrappers live at a fixed path with fixed contents: cc-rs reruns a build script (aws-lc,
  # ring) and everything above it when the C compiler's path changes, so a fresh temporary path
  # would rebuild half the dependency tree on every run.
  dir="$target_dir/cross-tools"
  mkdir -p "$dir"
  local cc
  cc=$(cross_cc "$zig_arch" "$glibc" "$dir")
  if [ "$zig_arch" = x86_64 ]; then
    # Each binary is copied out the moment its link ends: target/debug/<binary> is shared with
    # every other build of the workspace (the end-to-end tests build host-linked Lambdas there
    # while they run), which would relink it against the host's glibc.
    out="$target_dir/cross-out/$triple/$profile_dir"
    mkdir -p "$out"
    for package in "$@"; do
      cargo rustc --quiet "${flags[@]}" --manifest-path "$root/Cargo.toml" --package "$package" --bin "$package" -- -C "linker=$cc" >&2
      cp "$target_dir/$profile_dir/$package" "$out/$package.new"
      mv "$out/$package.new" "$out/$package"
    done
  else
    local rustc packages=()
    rustc=$(cross_rustc_arm64)
    for package in "$@"; do packages+=(--package "$package"); done
    RUSTC="$rustc" CARGO_TARGET_DIR="$target_dir/cross" \
      CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER="$cc" \
      CC_aarch64_unknown_linux_gnu="$cc" AR_aarch64_unknown_linux_gnu="$dir/ar" \
      cargo build --quiet "${flags[@]}" --manifest-path "$root/Cargo.toml" --target "$triple" "${packages[@]}" >&2
    out="$target_dir/cross/$triple/$profile_dir"
  fi
  for package in "$@"; do
    cross_check "$out/$package" "$machine" "$glibc"
    echo "$out/$package"
  done
}

# The newest GLIBC_x.y symbol version a binary needs ("" when none).
cross_glibc_needed() {
  readelf --dyn-syms --wide "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' \
    | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1
}

# Checks a binary's ELF machine and that it needs no glibc newer than GLIBC: BINARY MACHINE GLIBC.
cross_check() {
  local binary=$1 machine=$2 glibc=$3 found needed
  [ -f "$binary" ] || cross_die "$binary was not built"
  found=$(readelf --file-header "$binary" | sed -n 's/^ *Machine: *//p')
  case "$found" in
    *"$machine"*) ;;
    *) cross_die "$binary is for '$found', not $machine" ;;
  esac
  needed=$(cross_glibc_needed "$binary")
  if [ -n "$needed" ] && [ "$(printf '%s\n%s\n' "$needed" "$glibc" | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1)" != "$glibc" ]; then
    cross_die "$binary needs GLIBC_$needed, newer than the floor GLIBC_$glibc"
  fi
  printf '%s: %s: %s, needs glibc %s at most\n' "${cross_caller:-cross}" "$(basename "$binary")" "$machine" "${needed:-(none)}" >&2
}

# Writes a zip holding one executable file under NAME, with fixed timestamps, so that the same
# binary always gives the same zip (and the same checksum): BINARY ZIP NAME.
cross_zip() {
  "$python" - "$1" "$2" "$3" << 'PY'
import sys, zipfile
binary, out, name = sys.argv[1:4]
info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
info.external_attr = 0o100755 << 16  # a regular executable file
info.compress_type = zipfile.ZIP_DEFLATED
with open(binary, "rb") as src, zipfile.ZipFile(out, "w") as z:
    z.writestr(info, src.read())
PY
}
