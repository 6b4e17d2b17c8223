#!/usr/bin/env python3
"""gen-trades.py: write the sample trade messages in contrib/data/.

binance-trades.jsonl holds Binance spot combined-stream trade events
(wss://stream.binance.com:9443/stream?streams=<symbol>@trade), one message
per line.  kraken-trades.jsonl holds Kraken WebSocket v2 "trade" channel
updates (wss://ws.kraken.com/v2), one message per line, each with one or
more trades.  Prices follow a seeded random walk per symbol, sizes a
log-normal spread; trade ids and times increase monotonically.  The output
is deterministic: running it again gives the same bytes.

usage: contrib/data/gen-trades.py [OUTDIR]   (default: this directory)
"""
import math
import os
import random
import sys
from datetime import datetime, timezone

SEED = 20261122
START_MS = int(datetime(2026, 11, 20, 9, tzinfo=timezone.utc).timestamp()) * 1000
BINANCE_LINES = 4000
KRAKEN_LINES = 3000

# symbol, start price, price decimals, qty decimals, median qty, first id
BINANCE = [
    ("BTCUSDT", 98342.15, 2, 5, 0.004, 5412873310),
    ("ETHUSDT", 3612.48, 2, 4, 0.08, 2917734452),
    ("SOLUSDT", 238.71, 2, 3, 2.5, 1304418867),
    ("BNBUSDT", 651.30, 2, 3, 0.6, 1183560921),
    ("XRPUSDT", 2.4187, 4, 1, 900.0, 987220145),
]
KRAKEN = [
    ("BTC/USD", 98355.2, 1, 8, 0.012, 88311042),
    ("ETH/USD", 3613.27, 2, 8, 0.35, 41827716),
    ("SOL/USD", 238.64, 2, 8, 6.0, 20094438),
    ("XRP/USD", 2.41902, 5, 8, 1500.0, 9921377),
]


class Walk:
    """One symbol's price, size and id sequence."""

    def __init__(self, rng, spec):
        (self.symbol, self.price, self.pdec, self.qdec, self.qmed,
         self.next_id) = spec
        self.rng = rng

    def trade(self):
        tick = 10 ** -self.pdec
        self.price *= math.exp(self.rng.gauss(0, 0.00025))
        self.price = max(tick, round(self.price / tick) * tick)
        step = 10 ** -self.qdec
        qty = self.qmed * math.exp(self.rng.gauss(0, 1.1))
        qty = max(step, round(qty / step) * step)
        tid = self.next_id
        self.next_id += 1
        return tid, self.price, qty


def fmt(x, dec):
    return f"{x:.{dec}f}"


def iso(ms, us):
    t = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{(ms % 1000) * 1000 + us:06d}Z"


def binance(rng):
    walks = [Walk(rng, s) for s in BINANCE]
    weights = [40, 25, 15, 8, 12]
    ms = START_MS
    for _ in range(BINANCE_LINES):
        w = rng.choices(walks, weights)[0]
        ms += rng.randint(0, 120)
        tid, price, qty = w.trade()
        ev = ms + rng.randint(0, 3)
        maker = "true" if rng.random() < 0.5 else "false"
        yield ('{"stream":"%s@trade","data":{"e":"trade","E":%d,"s":"%s",'
               '"t":%d,"p":"%s","q":"%s","T":%d,"m":%s,"M":true}}' %
               (w.symbol.lower(), ev, w.symbol, tid, fmt(price, 8),
                fmt(qty, 8), ms, maker))


def kraken(rng):
    walks = [Walk(rng, s) for s in KRAKEN]
    weights = [45, 25, 18, 12]
    ms = START_MS
    for _ in range(KRAKEN_LINES):
        w = rng.choices(walks, weights)[0]
        ms += rng.randint(5, 200)
        side = "buy" if rng.random() < 0.5 else "sell"
        ntrades = 1 if rng.random() < 0.9 else 2
        uss = sorted(rng.randint(0, 999) for _ in range(ntrades))
        trades = []
        for us in uss:
            tid, price, qty = w.trade()
            trades.append(
                '{"symbol":"%s","side":"%s","price":%s,"qty":%s,'
                '"ord_type":"%s","trade_id":%d,"timestamp":"%s"}' %
                (w.symbol, side, fmt(price, w.pdec), fmt(qty, 8),
                 "market" if rng.random() < 0.7 else "limit", tid,
                 iso(ms, us)))
        yield ('{"channel":"trade","type":"update","data":[%s]}' %
               ",".join(trades))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    for name, gen in (("binance-trades.jsonl", binance),
                      ("kraken-trades.jsonl", kraken)):
        rng = random.Random(f"{SEED}-{name}")
        with open(os.path.join(out, name), "w", newline="\n") as f:
            for line in gen(rng):
                f.write(line + "\n")


if __name__ == "__main__":
    main()
