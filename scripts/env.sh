# Sourced by every burrow script: the project's toolchain first on PATH, Pulumi offline.
# Safe to source from any directory; sets BURROW_ROOT.
BURROW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BURROW_TOOLCHAIN="${BURROW_TOOLCHAIN:-$BURROW_ROOT/.toolchain}"
# Built binaries are also kept per version in a machine-wide cache, so another clone
# (CI's fresh checkout) links them instead of building again.
BURROW_CACHE="${BURROW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/burrow}"
export BURROW_ROOT BURROW_TOOLCHAIN BURROW_CACHE
export PATH="$BURROW_TOOLCHAIN/bin:$BURROW_ROOT/node_modules/.bin:$PATH"
export PULUMI_HOME="${PULUMI_HOME:-$BURROW_TOOLCHAIN/pulumi-home}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# The program runs compiled (scripts/build-program); types are checked by `npm run typecheck`,
# which `npm test` runs too (test/unit/typecheck.test.ts). Node keeps its compiled code of
# every module (ours, @pulumi/pulumi, grpc) on disk: the program and the dynamic-provider
# plugin start faster on every pulumi command.
export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$BURROW_CACHE/node-compile-cache}"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$BURROW_ROOT/.pulumi-state}"
# The default stack's passphrase is generated once (scripts/bootstrap) and kept out of git;
# set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE to use your own.
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE_FILE="$BURROW_ROOT/.pulumi-state/passphrase"
fi
export BURROW_DEFAULT_STACK="${BURROW_STACK:-dev}"

# pkgjson KEY: a value from package.json (where every version is pinned), read with python3
# or, on a machine without it, with any node (bootstrap runs before Node 24 is there).
pkgjson() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$BURROW_ROOT/package.json" "$1"
  else
    node -e 'let d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
for (const k of process.argv[2].split(".")) { d = d[k]; if (d === undefined) throw new Error("no " + process.argv[2]); }
console.log(d)' "$BURROW_ROOT/package.json" "$1"
  fi
}
