#!/usr/bin/env bash
# Runs PruneSharp's tests: machine setup first (eng/setup.sh), then every test project of the solution in Release,
# then one summary line computed from every project's test results: "N passed, N failed" (", N skipped" when any were).
# --layer generator|runtime|integration runs one test project (tests/PruneSharp.<Layer>.Tests) instead of the solution.
# Other arguments go to dotnet test (for example --filter DiagnosticTests). Without them, the runtime's CPU kernel
# tests also run twice more, as on a CPU without AVX-512 and on one without SIMD intrinsics (the fallback paths that
# this machine would otherwise never take); their results count in the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

target=PruneSharp.sln
projects=$(grep -c '\.Tests\.csproj"' PruneSharp.sln)
if [ "${1:-}" = "--layer" ]; then
    case "${2:-}" in
        generator) target=tests/PruneSharp.Generator.Tests ;;
        runtime) target=tests/PruneSharp.Runtime.Tests ;;
        integration) target=tests/PruneSharp.Integration.Tests ;;
        *) echo "test: --layer takes generator, runtime or integration (got '${2:-}')." >&2; exit 2 ;;
    esac
    projects=1
    shift 2
fi

bash eng/setup.sh

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
set +e
dotnet test "$target" -c Release --logger "trx" --results-directory "$results" "$@"
status=$?
if [ $# -eq 0 ] && [ "$target" != tests/PruneSharp.Generator.Tests ] && [ "$target" != tests/PruneSharp.Integration.Tests ]; then
    kernels='FullyQualifiedName~GroupKernel|FullyQualifiedName~Radix|FullyQualifiedName~Sampled|FullyQualifiedName~SampleBracket|FullyQualifiedName~StreamingStore|FullyQualifiedName~NOfM|FullyQualifiedName~TestVector|FullyQualifiedName~PropertyTests|FullyQualifiedName~Allocation|FullyQualifiedName~MaskPlan|FullyQualifiedName~Geometry'
    for isa in EnableAVX512F EnableHWIntrinsic; do
        echo "test: the CPU kernel tests again with DOTNET_$isa=0"
        env "DOTNET_$isa=0" dotnet test tests/PruneSharp.Runtime.Tests -c Release --no-build --filter "$kernels" \
            --logger "trx;LogFileName=kernels-without-$isa.trx" --results-directory "$results"
        [ $? -eq 0 ] || status=1
        projects=$(( projects + 1 ))
    done
fi
set -e

shopt -s nullglob
trx_files=("$results"/*.trx)
if [ ${#trx_files[@]} -eq 0 ]; then
    echo "test: no test results were written (dotnet test exited with $status); see the build output above." >&2
    exit $(( status == 0 ? 1 : status ))
fi
if [ ${#trx_files[@]} -ne "$projects" ]; then
    # A project that did not build or run writes none; the sum below would miss its tests.
    echo "test: ${#trx_files[@]} results files for $projects test projects (dotnet test exited with $status); see the output above." >&2
    exit $(( status == 0 ? 1 : status ))
fi

counter() { # sums one attribute of the <Counters> element over every results file
    local total=0 value
    for file in "${trx_files[@]}"; do
        value=$(grep -o "<Counters [^>]*" "$file" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]\+' || echo 0)
        total=$(( total + ${value:-0} ))
    done
    echo "$total"
}

passed=$(counter passed)
failed=$(( $(counter failed) + $(counter error) + $(counter timeout) + $(counter aborted) ))
skipped=$(counter notExecuted)
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
