/**
 * The latest benchmark figures as data: each bench writes docs/figures/<bench>.json, and the
 * page docs/benchmarks.md shows each file in a block generated from it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { packageRoot } from "../../src/package-root.js";
import { blockNames, cell, formatFiles, replaceBlock } from "./generated-blocks.js";
import { renderHostedScale } from "./hosted-scale.js";
import { ingressFigures } from "./ingress-figures.js";

/** One measured figure, beside the baseline it is compared with in the same run. */
export const Figure = z.object({
  figure: z.string(),
  value: z.number().nullable(),
  unit: z.string(),
  baseline: z.object({ value: z.number().nullable(), label: z.string() }).optional(),
  ratio: z.number().nullable().optional(),
  /** What the figure must be, as a person reads it, e.g. "≤ 1.15" (of the ratio, or the value). */
  target: z.string().optional(),
  met: z.boolean().optional(),
});
export type Figure = z.infer<typeof Figure>;

/** What a bench writes: its figures, and what a reader needs to compare them with a rerun. */
export const FiguresFile = z.object({
  bench: z.string().regex(/^[a-z0-9-]+$/),
  title: z.string(),
  command: z.string(),
  machine: z.object({ cpus: z.number().int(), node: z.string() }),
  options: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  figures: z.array(Figure),
  notes: z.array(z.string()).default([]),
});
export type FiguresFile = z.infer<typeof FiguresFile>;

/** docs/figures/<bench>.json of this checkout. */
export function figuresPath(bench: string): string {
  return join(packageRoot(), "docs", "figures", `${bench}.json`);
}

/** The page whose blocks show the figures. */
export function benchmarksPagePath(): string {
  return join(packageRoot(), "docs", "benchmarks.md");
}

/** The machine a bench runs on, as the figures file records it. */
export function thisMachine(): FiguresFile["machine"] {
  return { cpus: availableParallelism(), node: process.version };
}

function number(value: number | null | undefined, unit = ""): string {
  if (value === null || value === undefined) return "";
  const text = value.toLocaleString("en-US", { maximumFractionDigits: 3 });
  return unit ? `${text} ${unit}` : text;
}

/** The Markdown a block shows for one figures file. */
export function renderFigures(file: FiguresFile): string {
  const rows = file.figures.map((row) =>
    [
      row.figure,
      number(row.value, row.unit),
      row.baseline ? `${number(row.baseline.value, row.unit)} (${row.baseline.label})` : "",
      number(row.ratio),
      row.target ?? "",
      row.met === undefined ? "" : row.met ? "yes" : "no",
    ]
      .map(cell)
      .join(" | "),
  );
  const options = Object.entries(file.options)
    .map(([name, value]) => `${name} ${value}`)
    .join(", ");
  return [
    `From \`${file.command}\`${options ? ` (${options})` : ""} on ${file.machine.cpus} cores, Node.js ${file.machine.node}; the data: [figures/${file.bench}.json](figures/${file.bench}.json).`,
    [
      "| figure | ours | baseline | ratio | target | met |",
      "| --- | --: | --: | --: | --- | --- |",
      ...rows.map((row) => `| ${row} |`),
    ].join("\n"),
    ...file.notes,
  ].join("\n\n");
}

/** Benches that write their figures in a shape of their own, and how to read it. */
const OWN_SHAPES: Record<string, (raw: unknown) => FiguresFile> = { ingress: ingressFigures };

/** The figures file of `bench`, checked; undefined when none has been written. */
export function readFigures(bench: string): FiguresFile | undefined {
  const path = figuresPath(bench);
  if (!existsSync(path)) return undefined;
  const raw: unknown = JSON.parse(readFileSync(path, "utf8"));
  return FiguresFile.parse(OWN_SHAPES[bench]?.(raw) ?? raw);
}

/** What block `figures/<bench>` shows: the file's figures, or how to produce them. */
export function figuresBlock(bench: string): string {
  const file = readFigures(bench);
  return file
    ? renderFigures(file)
    : `No figures yet: run the bench to write \`docs/figures/${bench}.json\`.`;
}

/** docs/benchmarks.md with every `figures/<bench>` block rendered from its file. */
export function renderBenchmarksPage(page: string): string {
  let next = page;
  for (const name of blockNames(page)) {
    if (name.startsWith("figures/")) next = replaceBlock(next, name, figuresBlock(name.slice(8)));
  }
  return next;
}

/** The page whose block `scale/hosted` reasons about capacity from the hosted figures. */
export function hostedPagePath(): string {
  return join(packageRoot(), "docs", "hosted.md");
}

/** The name of the capacity block in docs/hosted.md. */
export const HOSTED_SCALE_BLOCK = "scale/hosted";

/** What block `scale/hosted` shows, from docs/figures/hosted.json. */
export function hostedScaleBlock(): string {
  return renderHostedScale(readFigures("hosted"));
}

function refreshPage(path: string, render: (page: string) => string): void {
  if (!existsSync(path)) return;
  const page = readFileSync(path, "utf8");
  const next = render(page);
  if (next === page) return;
  writeFileSync(path, next);
  formatFiles(packageRoot(), [path]);
}

/** Rewrites every block shown from the figures files: docs/benchmarks.md's, docs/hosted.md's. */
export function refreshBenchmarksPage(): void {
  refreshPage(benchmarksPagePath(), renderBenchmarksPage);
  refreshPage(hostedPagePath(), (page) =>
    blockNames(page).includes(HOSTED_SCALE_BLOCK)
      ? replaceBlock(page, HOSTED_SCALE_BLOCK, hostedScaleBlock())
      : page,
  );
}

/**
 * Writes a bench's figures to docs/figures/<bench>.json and refreshes docs/benchmarks.md,
 * so the page always shows the latest run. Returns the file's path.
 */
export function writeFigures(file: FiguresFile): string {
  const checked = FiguresFile.parse(file);
  const path = figuresPath(checked.bench);
  mkdirSync(join(packageRoot(), "docs", "figures"), { recursive: true });
  writeFileSync(path, `${JSON.stringify(checked, null, 2)}\n`);
  formatFiles(packageRoot(), [path]);
  refreshBenchmarksPage();
  return path;
}
