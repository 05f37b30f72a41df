"""How fast the judge's model reads a prompt on this machine, by how many tokens one evaluation reads at once
and with or without flash attention: what batching a question's candidates into one evaluation would buy.

    python -m bench.judge_throughput [--tokens 300] [--repeat 3]

The judge reads each candidate as one evaluation of ~100 tokens after the cached head of its prompt (~300
tokens a judged question: bench/notes.md); llama.cpp's CPU kernels run faster per token on larger batches.
Printed: tokens per second for evaluations of 32 / 64 / 128 / 256 / 512 tokens (the same ``--tokens`` read in
as many evaluations as it takes, the KV cache cleared between repeats), flash attention off (the judge's
setting) and on; the threads are the judge's (``rag.models.bundled.llama_batch_threads``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from rag import Settings
from rag.models.bundled import QWEN_1_5B, bundled_model_path, llama_batch_threads, llama_class, llama_threads

SIZES = (32, 64, 128, 256, 512)


def tokens_per_second(llm, tokens: list[int], size: int, repeat: int) -> float:
    seconds = []
    for _ in range(repeat):
        llm.reset()
        start = time.perf_counter()
        for at in range(0, len(tokens), size):
            llm.eval(tokens[at: at + size])
        seconds.append(time.perf_counter() - start)
    return len(tokens) / statistics.median(seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.judge_throughput", description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=300, help="tokens read per measurement (default 300)")
    parser.add_argument("--repeat", type=int, default=3, help="measurements per cell; the median is printed")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    path = settings.judge_model_path or bundled_model_path(QWEN_1_5B, settings.cache_dir)
    text = ("The committee met in March to review the proposal for a joint laboratory, and its members said the "
            "funding would be decided after the summer. ") * 40
    print(f"{os.path.basename(path)}, {llama_batch_threads(settings)} threads, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}; tokens per second reading {args.tokens} tokens:")
    print(f"{'tokens per evaluation':<24}" + "".join(f"{s:>9}" for s in SIZES))
    for flash in (False, True):
        llm = llama_class()(model_path=str(path), n_ctx=2048, n_batch=512, n_threads=llama_threads(settings),
                            n_threads_batch=llama_batch_threads(settings), flash_attn=flash, verbose=False, seed=0)
        tokens = llm.tokenize(text.encode(), add_bos=False)[: args.tokens]
        llm.eval(tokens[:64])  # warm-up
        rates = [tokens_per_second(llm, tokens, size, args.repeat) for size in SIZES]
        print(f"{'flash attention ' + ('on' if flash else 'off'):<24}" + "".join(f"{r:>9.1f}" for r in rates))
        del llm
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
