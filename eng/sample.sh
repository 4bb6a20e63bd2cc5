#!/usr/bin/env bash
# Runs PruneSharp's main sample (samples/QuickStart) after the machine setup (eng/setup.sh).
# Extra arguments go to the sample.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

bash eng/setup.sh
dotnet run --project samples/QuickStart -c Release -- "$@"
