#!/usr/bin/env bash
# Publishes the device check (samples/DeviceCheck) for the lent GPU machine: self-contained (that machine has no .NET),
# trimmed (TrimMode=partial: only assemblies marked trimmable, so TorchSharp's reflection keeps working), referencing
# TorchSharp only (libtorch comes from the GPU machine's PyTorch). The result goes to .device-app (git-ignored), which
# must stay under the 64 MiB that travels with the device tool's `carry`. Then prints the device-tool call to run it.
#
#   bash eng/device-check.sh               publish, check the size, print the command for the GPU machine
#   bash eng/device-check.sh --run-here    ... and run the published app on this machine's CPU, with the libtorch
#                                          that TorchSharp-cpu restored in the NuGet cache; extra arguments go to it
#                                          (e.g. bash eng/device-check.sh --run-here --shapes small)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

out=.device-app
limit_mib=64
run_here=false
if [ "${1:-}" = "--run-here" ]; then
    run_here=true
    shift
fi

rm -rf "$out"
# Self-contained, trimmed, linux-x64, without TorchSharp-cpu: set by PublishForDevice in samples/DeviceCheck/DeviceCheck.csproj.
dotnet publish samples/DeviceCheck -c Release -p:PublishForDevice=true -o "$out"

bytes=$(du -sb "$out" | cut -f1)
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "Published $out: $mib MiB ($bytes bytes, $(find "$out" -type f | wc -l) files)."
if [ "$bytes" -ge $(( limit_mib * 1048576 )) ]; then
    echo "device-check: $out is $mib MiB, over the $limit_mib MiB that the device tool carries." >&2
    exit 1
fi
if find "$out" -name 'libtorch*.so*' | grep -q .; then
    echo "device-check: $out contains a libtorch; the GPU machine's PyTorch must provide it (is TorchSharp-cpu referenced?)." >&2
    exit 1
fi

cat <<'EOF'

To run it on the lent GPU machine (PyTorch's CUDA libraries, no .NET), call the device tool's `run` with
  carry:     [".device-app"]
  timeout_s: 300
  command:   chmod +x .device-app/DeviceCheck && LD_LIBRARY_PATH=$(python3 -c 'import torch,os;print(os.path.join(os.path.dirname(torch.__file__),"lib"))') ./.device-app/DeviceCheck --device cuda --markdown $OUT/device-check.md
Exit code 0: every mask identical. The Markdown results come back under the reply's files_at (the console output is
cut to its last 12,000 characters). docs/device-check.md has the rest.
EOF

if [ "$run_here" = true ]; then
    packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}
    # find fails when the package was never restored; `|| true` lets the message below say so instead of set -e.
    libtorch=$(find "$packages/libtorch-cpu-linux-x64" -maxdepth 4 -type d -path '*/runtimes/linux-x64/native' 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$libtorch" ]; then
        echo "device-check: no libtorch-cpu-linux-x64 in $packages; restore the tests first (bash eng/test.sh, or dotnet restore tests/PruneSharp.Runtime.Tests)." >&2
        exit 1
    fi
    bash eng/setup.sh   # libtorch 2.10 needs libstdc++ from GCC 13+
    echo
    echo "Running $out/DeviceCheck on this machine's CPU with LD_LIBRARY_PATH=$libtorch"
    LD_LIBRARY_PATH="$libtorch${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "./$out/DeviceCheck" --device cpu "$@"
fi
