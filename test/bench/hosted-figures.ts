/**
 * The hosted bench's rows as a figures file, and back: docs/benchmarks.md shows the figures,
 * docs/hosted.md reasons about capacity from the same ones.
 */
import type { Figure, FiguresFile } from "../docs/figures.js";

/** Wizard tool calls in one setup, from start to finish; the floor makes as many. */
export const CALLS_PER_SETUP = 7;

/** One measured combination of replicas and setups at once, ours beside the floor. */
export interface HostedRow {
  replicas: number;
  concurrency: number;
  calls_per_s: number | null;
  p50_ms: number | null;
  p99_ms: number | null;
  floor_calls_per_s: number | null;
  floor_p99_ms: number | null;
}

type Measure = "calls/s" | "p50" | "p99";

/** The name of one figure of the hosted bench, e.g. "calls/s, 1 replica, 50 setups at once". */
export function hostedFigureName(measure: Measure, replicas: number, concurrency: number): string {
  return `${measure}, ${replicas} ${replicas === 1 ? "replica" : "replicas"}, ${concurrency} setups at once`;
}

const ratioOf = (a: number | null, b: number | null) =>
  a !== null && b ? Math.round((a / b) * 1000) / 1000 : null;

function rowFigures(row: HostedRow): Figure[] {
  // The target applies where the bench is sized: 50 setups at once on one replica.
  const targeted = row.replicas === 1 && row.concurrency === 50;
  const callsRatio = ratioOf(row.calls_per_s, row.floor_calls_per_s);
  const p99Ratio = ratioOf(row.p99_ms, row.floor_p99_ms);
  return [
    {
      figure: hostedFigureName("calls/s", row.replicas, row.concurrency),
      value: row.calls_per_s,
      unit: "calls/s",
      baseline: { value: row.floor_calls_per_s, label: "floor" },
      ratio: callsRatio,
      ...(targeted ? { target: "≥ 0.5", met: callsRatio !== null && callsRatio >= 0.5 } : {}),
    },
    {
      figure: hostedFigureName("p50", row.replicas, row.concurrency),
      value: row.p50_ms,
      unit: "ms",
    },
    {
      figure: hostedFigureName("p99", row.replicas, row.concurrency),
      value: row.p99_ms,
      unit: "ms",
      baseline: { value: row.floor_p99_ms, label: "floor" },
      ratio: p99Ratio,
      ...(targeted ? { target: "≤ 3", met: p99Ratio !== null && p99Ratio <= 3 } : {}),
    },
  ];
}

/** What `npm run bench:hosted` writes to docs/figures/hosted.json. */
export function hostedFiguresFile(
  rows: readonly HostedRow[],
  rounds: number,
  machine: FiguresFile["machine"],
): FiguresFile {
  return {
    bench: "hosted",
    title: "Hosted mode on PostgreSQL under concurrent guided setups",
    command: "npm run bench:hosted",
    machine,
    options: { rounds },
    figures: rows.flatMap(rowFigures),
    notes: [
      `Each setup is ${CALLS_PER_SETUP} wizard calls from start to done; the floor's clients make as many calls, each one PostgreSQL read, one write and one GET to the sandbox. Ratios are ours ÷ floor. Every process of both sides shares one machine, so read the ratios, not the absolute figures.`,
    ],
  };
}

/** The value of one figure of a hosted figures file; undefined when the run has none. */
export function hostedFigure(
  file: FiguresFile,
  measure: Measure,
  replicas: number,
  concurrency: number,
): Figure | undefined {
  const name = hostedFigureName(measure, replicas, concurrency);
  return file.figures.find((figure) => figure.figure === name);
}
