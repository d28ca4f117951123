/**
 * docs/figures/ingress.json keeps each round's measurements in a shape of its own; this reads
 * it as the figures a block of docs/benchmarks.md shows.
 */
import { z } from "zod";
import type { Figure, FiguresFile } from "./figures.js";

const Spread = z.object({ median: z.number(), min: z.number(), max: z.number() });

const IngressFile = z.object({
  body_bytes: z.number(),
  duration_s: z.number(),
  warmup_s: z.number(),
  rounds: z.number(),
  machine: z.object({ cpus: z.number().int(), node: z.string() }),
  fdatasync_64k_ms: z.object({ p50: z.number(), p99: z.number() }),
  by_connections: z.array(
    z.object({
      connections: z.number().int(),
      targets: z.array(
        z.object({
          target: z.enum(["bare", "peer", "sandbox"]),
          requests_per_s: Spread,
          p50_ms: Spread,
          p99_ms: Spread,
          disk_bytes_per_delivery: Spread.nullable(),
        }),
      ),
      ratio_to_bare: Spread,
      ratio_to_peer: Spread,
    }),
  ),
});

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/** The figures of one connection count: the sandbox beside bare and the verify-only peer. */
function connectionFigures(
  row: z.infer<typeof IngressFile>["by_connections"][number],
  fsyncMs: number,
): Figure[] {
  const of = (target: "bare" | "peer" | "sandbox") => {
    const found = row.targets.find((entry) => entry.target === target);
    if (!found) throw new Error(`ingress.json has no ${target} at ${row.connections} connections`);
    return found;
  };
  const [bare, peer, sandbox] = [of("bare"), of("peer"), of("sandbox")];
  const at = `${row.connections} connections`;
  const figures: Figure[] = [
    {
      figure: `sandbox ingress, ${at}`,
      value: round(sandbox.requests_per_s.median, 0),
      unit: "requests/s",
      baseline: { value: round(bare.requests_per_s.median, 0), label: "bare node:http" },
      ratio: row.ratio_to_bare.median,
    },
    {
      figure: `sandbox ingress, ${at}`,
      value: round(sandbox.requests_per_s.median, 0),
      unit: "requests/s",
      baseline: { value: round(peer.requests_per_s.median, 0), label: "verify-only peer" },
      ratio: row.ratio_to_peer.median,
    },
    {
      figure: `p50, ${at}`,
      value: sandbox.p50_ms.median,
      unit: "ms",
      baseline: { value: bare.p50_ms.median, label: "bare node:http" },
    },
    {
      figure: `p99, ${at}`,
      value: sandbox.p99_ms.median,
      unit: "ms",
      baseline: { value: bare.p99_ms.median, label: "bare node:http" },
    },
    {
      // Each connection waits for at least one fsync per 202, so none can beat this.
      figure: `durable ceiling, ${at} (connections ÷ fdatasync p50)`,
      value: round((row.connections * 1000) / fsyncMs, 0),
      unit: "requests/s",
    },
  ];
  if (sandbox.disk_bytes_per_delivery) {
    figures.push({
      figure: `database bytes per stored delivery, ${at}`,
      value: round(sandbox.disk_bytes_per_delivery.median, 0),
      unit: "B",
    });
  }
  return figures;
}

/** The ingress bench's file as figures; throws when the file is not the bench's shape. */
export function ingressFigures(raw: unknown): FiguresFile {
  const file = IngressFile.parse(raw);
  const fsync = file.fdatasync_64k_ms;
  return {
    bench: "ingress",
    title: "Signed ingress",
    command: "npm run bench",
    machine: file.machine,
    options: {
      rounds: file.rounds,
      "seconds per round": file.duration_s,
      "body bytes": file.body_bytes,
    },
    figures: [
      { figure: "fdatasync of a 64 KiB append, p50", value: fsync.p50, unit: "ms" },
      { figure: "fdatasync of a 64 KiB append, p99", value: fsync.p99, unit: "ms" },
      ...file.by_connections.flatMap((row) => connectionFigures(row, fsync.p50)),
    ],
    notes: [
      `Medians over ${file.rounds} interleaved rounds of ${file.duration_s} s (after a ${file.warmup_s} s warm-up each); each ratio is the median of the rounds' ratios. The ranges and every round's measurements are in the JSON.`,
    ],
  };
}
