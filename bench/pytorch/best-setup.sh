#!/usr/bin/env bash
# Runs a PyTorch script in its best CPU set-up on this machine (DEVELOPERS.md): Debian's
# python3-torch with the OpenMP OpenBLAS (libopenblas0-openmp) through LD_LIBRARY_PATH, tcmalloc
# preloaded (libtcmalloc-minimal4), and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for this
# command only (they are set on some machines for older OpenBLAS builds and slow a current one).
# Prints, on stderr, which BLAS kernel and threading layer threadpoolctl sees, so a run records it.
#   bench/pytorch/best-setup.sh bench/pytorch/zaremba_ptb.py --threads 2 …
set -euo pipefail
omp=/usr/lib/x86_64-linux-gnu/openblas-openmp
tcm=$(ls /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 2>/dev/null || true)
[ -d "$omp" ] || { echo "best-setup.sh: $omp missing: apt-get install libopenblas0-openmp" >&2; exit 2; }
[ -n "$tcm" ] || { echo "best-setup.sh: tcmalloc missing: apt-get install libtcmalloc-minimal4" >&2; exit 2; }
export LD_LIBRARY_PATH="$omp${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_PRELOAD="$tcm${LD_PRELOAD:+:$LD_PRELOAD}"
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
/usr/bin/python3 - <<'PY' >&2
import numpy, torch
try:
    from threadpoolctl import threadpool_info
    for p in threadpool_info():
        print(f"best-setup: {p.get('internal_api')} {p.get('version')} kernel {p.get('architecture')} threading {p.get('threading_layer')} ({p.get('filepath')})")
except ImportError:
    print('best-setup: threadpoolctl not installed (apt-get install python3-threadpoolctl)')
print(f"best-setup: torch {torch.__version__}, LD_PRELOAD tcmalloc, OPENBLAS_CORETYPE unset")
PY
exec /usr/bin/python3 "$@"
