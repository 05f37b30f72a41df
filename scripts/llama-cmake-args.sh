#!/usr/bin/env bash
# Prints the CMake arguments llama-cpp-python is built with (set-up exports them as CMAKE_ARGS unless
# CMAKE_ARGS is set). Empty (llama.cpp's default, -march=native) except on a CPU that advertises AMX:
# -march=native then compiles llama.cpp's AMX matmul kernels in, and on the VMs this project is tested on
# they die at the first answer (SIGILL at `tilezero` on a worker thread, inside ggml_backend_amx_mul_mat;
# llama.cpp issues #28328/#28756 are that class). There the build names the CPU's instruction sets itself,
# AVX-512 included and AMX left out.
set -euo pipefail
flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | cut -d: -f2) "
has() { for f in "$@"; do [[ "$flags" == *" $f "* ]] || return 1; done; }
has amx_tile || exit 0
args=(-DGGML_NATIVE=OFF)
has avx && args+=(-DGGML_AVX=ON)
has avx2 && args+=(-DGGML_AVX2=ON)
has fma && args+=(-DGGML_FMA=ON)
has f16c && args+=(-DGGML_F16C=ON)
has bmi2 && args+=(-DGGML_BMI2=ON)
has avx_vnni && args+=(-DGGML_AVX_VNNI=ON)
has avx512f avx512cd avx512vl avx512dq avx512bw && args+=(-DGGML_AVX512=ON)
has avx512vbmi && args+=(-DGGML_AVX512_VBMI=ON)
has avx512_vnni && args+=(-DGGML_AVX512_VNNI=ON)
has avx512_bf16 && args+=(-DGGML_AVX512_BF16=ON)
echo "${args[*]}"
