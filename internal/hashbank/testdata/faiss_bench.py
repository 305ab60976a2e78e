#!/usr/bin/env python3
"""Time FAISS's IndexBinaryMultiHash (the index Meta's HMA uses for PDQ) on
the hashes `safeguard bank bench --dump FILE` writes, one thread.

    safeguard bank bench --size 1000000 --queries 2000 --dump /tmp/bank.bin
    /usr/bin/python3 faiss_bench.py /tmp/bank.bin [--nflip 0,1] [--queries 500]

Needs Debian's python3-faiss. HMA builds IndexBinaryMultiHash(256, 16, 16)
and leaves nflip at 0: with 16 substrings of 16 bits that finds only hashes
sharing a whole substring with the query, so at radius 31 it misses some
matches. nflip=1 searches each substring within 1 bit, which by pigeonhole
is exact at radius 31. Recall is measured against FAISS's flat index.
"""
import argparse
import json
import struct
import time

import faiss
import numpy as np


def load(path):
    with open(path, "rb") as f:
        if f.readline() != b"hashbench 1\n":
            raise SystemExit(f"{path}: not a hashbench dump")
        n, q, radius = struct.unpack("<3Q", f.read(24))
        bank = np.frombuffer(f.read(n * 32), dtype=np.uint8).reshape(n, 32)
        queries = np.frombuffer(f.read(q * 32), dtype=np.uint8).reshape(q, 32)
    return bank, queries, radius


def hits(lims, ids, i):
    return set(ids[lims[i]:lims[i + 1]].tolist())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("--nflip", default="0,1")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--flat-queries", type=int, default=20)
    args = ap.parse_args()
    faiss.omp_set_num_threads(1)
    bank, queries, radius = load(args.dump)
    queries = queries[: args.queries]
    flat = faiss.IndexBinaryFlat(256)
    flat.add(bank)
    nf = min(args.flat_queries, len(queries))
    t = time.perf_counter()
    flims, _, fids = flat.range_search(queries[:nf], radius + 1)  # FAISS: distance < radius
    flat_qps = nf / (time.perf_counter() - t)
    for nflip in [int(x) for x in args.nflip.split(",")]:
        index = faiss.IndexBinaryMultiHash(256, 16, 16)
        index.nflip = nflip
        t = time.perf_counter()
        index.add(bank)
        build = time.perf_counter() - t
        t = time.perf_counter()
        lims, _, ids = index.range_search(queries, radius + 1)
        qps = len(queries) / (time.perf_counter() - t)
        want = sum(len(hits(flims, fids, i)) for i in range(nf))
        got = sum(len(hits(flims, fids, i) & hits(lims, ids, i)) for i in range(nf))
        print(json.dumps({
            "faiss": "IndexBinaryMultiHash(256,16,16)", "nflip": nflip,
            "size": len(bank), "queries": len(queries), "threads": 1,
            "index_qps": qps, "flat_qps": flat_qps, "build_seconds": build,
            "recall": got / want if want else 1.0, "recall_queries": nf,
        }))


if __name__ == "__main__":
    main()
