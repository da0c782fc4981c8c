#!/usr/bin/env bash
# Writes envctl's man pages (one per command, mdoc) with ArgumentParser's generate-manual tool.
#
#   bash scripts/generate-manual.sh SCRATCH ENVCTL_BINARY OUTDIR EPOCH
#
# This runs the same tool as the GenerateManual plugin of the resolved swift-argument-parser
# (`swift package generate-manual`), built from that checkout. The plugin itself first builds every product of
# the package in its own build (packageManager.build(.all)), i.e. a second full release build of envctl
# without release.sh's flags; running its tool on the release binary gives the same pages. The date is fixed
# (EPOCH) so the pages are reproducible.
set -euo pipefail
scratch=${1:?SCRATCH}; binary=${2:?ENVCTL_BINARY}; outdir=${3:?OUTDIR}; epoch=${4:?EPOCH}
parser="$scratch/checkouts/swift-argument-parser"
[ -f "$parser/Tools/generate-manual/GenerateManual.swift" ] || {
    echo "generate-manual.sh: $parser has no Tools/generate-manual (resolve the package first)" >&2
    exit 69
}
tools="$scratch/argument-parser-tools"
# An executable target of a root package is a product, so the checkout builds it as the root package.
swift build --package-path "$parser" --scratch-path "$tools" -c debug --product generate-manual >&2
"$(swift build --package-path "$parser" --scratch-path "$tools" -c debug --show-bin-path)/generate-manual" \
    "$binary" --multi-page --date "$(date -u -d "@$epoch" +%Y-%m-%d)" --output-directory "$outdir" >&2
