#!/usr/bin/env bash
# The C library is called from one file: Sources/WeightFormat/SystemCalls.swift (issue #18).
#
# Fails, naming file and line, when Swift code under Sources/ or Tests/ outside that file
#   1. names a platform module (`import Glibc`, `Glibc.`, `Darwin.`, `Musl.`, `canImport(Darwin)`,
#      ...) or reaches the C library through Foundation (`Foundation.exit(`): Foundation
#      re-exports Glibc on Linux and Darwin on macOS, so such code builds on one and not the other;
#   2. calls a POSIX function by name (`mkfifo(`, `kill(`, `errno`, ...), which Foundation's
#      re-export makes compile without any import;
#   3. (when a debug build exists: `swift build --build-tests` first) has an object file that
#      references a POSIX I/O, process or signal function: catches what the names of step 2 miss
#      (`open`, `read`, `stat`, `exit` are also names of gic's own methods).
# Math (`exp`, `sqrt`, ...) and memory (`memcpy`) functions are not platform calls here.
# The C targets (CCleanup, CKernels) are plain POSIX C and are not checked by this script.
set -euo pipefail
cd "$(dirname "$0")/.."

platform_file=Sources/WeightFormat/SystemCalls.swift
failed=0

# Swift files with their `//` comments removed (a comment may name Darwin), as file:line:text.
code_lines() {
  find Sources Tests -name '*.swift' -not -path "$platform_file" -print0 | sort -z \
    | xargs -0 grep -nH '' | sed -E 's#^([^:]*:[0-9]+:)(([^"/]|"[^"]*"|/[^/])*)//.*$#\1\2#'
}

modules='Glibc|Darwin|Musl|Bionic|WASILibc|ucrt|WinSDK'
if hits=$(code_lines | grep -E "(^[^:]*:[0-9]+:.*\b($modules)\b)|Foundation\.[a-z_][A-Za-z0-9_]*\("); then
  echo "error: platform modules named outside $platform_file (use SystemCalls):" >&2
  echo "$hits" >&2
  failed=1
fi

calls='fstat|lstat|pread|pwrite|unlink|fsync|mkstemp|mkdtemp|mkfifo|symlink|link|realpath|strerror|isatty|getpid|getppid|getuid|geteuid|chmod|fchmod|truncate|ftruncate|usleep|nanosleep|sysconf|getenv|setenv|unsetenv|sigaction|sigprocmask|pthread_sigmask|kill|mmap|munmap|madvise|dup|dup2|pipe|fork|waitpid|fcntl|ioctl|lseek|fdopen|fileno|posix_spawn|getrusage|clock_gettime|gettimeofday|_exit'
if hits=$(code_lines | grep -E "^[^:]*:[0-9]+:(.*[^.A-Za-z0-9_]|)($calls)\(|\berrno\b" \
  | grep -vE "func ($calls)\("); then
  echo "error: C library calls outside $platform_file (add a wrapper there):" >&2
  echo "$hits" >&2
  failed=1
fi

objects=.build/debug
symbols='open|openat|close|read|write|pread|pwrite|lseek|stat|fstat|lstat|stat64|fstat64|lstat64|unlink|rename|fsync|mkstemp|mkdtemp|mkfifo|symlink|link|realpath|strerror|isatty|getpid|getuid|geteuid|chmod|fchmod|truncate|ftruncate|usleep|nanosleep|sleep|sysconf|getenv|setenv|signal|sigaction|kill|raise|mmap|munmap|dup|dup2|pipe|fork|waitpid|fcntl|exit|_exit|__errno_location|__error'
if [ -d "$objects" ] && command -v nm >/dev/null; then
  checked=0
  for dir in Sources/*/ Tests/*/; do
    module=$(basename "$dir" | tr - _)
    case "$module" in C* | Fixtures | CKernelsHarness) continue ;; esac
    for object in "$objects/$module.build"/*.swift.o; do
      [ -e "$object" ] || continue
      source=$(basename "$object" .o)
      # Objects of deleted files linger in the build folder: only current sources count.
      path=$(find "$dir" -name "$source" -print -quit)
      [ -n "$path" ] || continue
      [ "$path" = "$platform_file" ] && continue
      checked=$((checked + 1))
      if used=$(nm -u "$object" 2>/dev/null | awk '{print $NF}' | grep -xE "_?($symbols)"); then
        echo "error: $path (built as $object) calls the C library: $(echo $used)" >&2
        failed=1
      fi
    done
  done
  echo "platform calls: $checked object files of the last debug build checked" >&2
else
  echo "platform calls: no debug build to check (source scan only)" >&2
fi

if [ "$failed" = 0 ]; then echo "platform calls: only in $platform_file" >&2; fi
exit "$failed"
