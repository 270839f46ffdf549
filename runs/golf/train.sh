#!/usr/bin/env bash
# The bundled Golf networks' recipe (issue 25): N2 first, then N1 through the frozen N2.
# Rerun to resume: each stage continues from its checkpoint (OUT with .ckpt) and a finished
# stage is skipped. Budget: 55 + 50 CPU minutes (issue: at most two hours for both).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${DATA:-../shared/data/train400}
if [ ! -f runs/golf/golf_n2.pt ]; then
  proxdeblur train golf --stage n2 --data "$data" --out runs/golf/golf_n2.pt --max-minutes 55
fi
if [ ! -f runs/golf/golf_n1.pt ]; then
  proxdeblur train golf --stage n1 --n2 runs/golf/golf_n2.pt --data "$data" \
    --out runs/golf/golf_n1.pt --max-minutes 50
fi
