#!/usr/bin/env bash
# bench/crypto: ChaCha20-Poly1305 against AES-256-GCM through Weave.Crypto's record layers, one
# thread, SECONDS per case (default 1.5); prints Gbit/s and ratios for bench/README.md.
# Usage: bench/crypto/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build CryptoBench.csproj -c Release -nologo -v q >/dev/null
exec dotnet bin/Release/net10.0/linux-x64/CryptoBench.dll "$@"
