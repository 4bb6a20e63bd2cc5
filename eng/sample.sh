#!/usr/bin/env bash
# Runs PruneSharp's main sample (samples/FashionMnist: pruning while training on Fashion-MNIST) after the machine
# setup (eng/setup.sh). Extra arguments go to the sample (--long for the longer run, --help for the rest).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

bash eng/setup.sh
dotnet run --project samples/FashionMnist -c Release -- "$@"
