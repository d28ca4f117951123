/**
 * The capacity table of docs/hosted.md (block `scale/hosted`): what one replica did in the
 * latest `npm run bench:hosted`, carried to ten, a hundred and a thousand times that load.
 */
import { DEFAULT_PAGE_TTL_MS } from "../../src/pages/one-time-pages.js";
import { SPENT_PAGE_MEMORY_MS } from "../../src/setup-store/page-rows.js";
import { DEFAULT_MAX_CONNECTIONS } from "../../src/setup-store/postgres.js";
import { DEFAULT_SETUP_TTL_MS } from "../../src/setup-store/setup-store.js";
import { CALLS_PER_SETUP, hostedFigure } from "../bench/hosted-figures.js";
import type { FiguresFile } from "./figures.js";

/** PostgreSQL's default `max_connections`. */
const POSTGRES_MAX_CONNECTIONS = 100;
/** The most row versions one wizard call writes (one per step it moves through). */
const WRITES_PER_CALL = 3;
/** What the people-paced column assumes one person takes over a whole setup. */
const PERSON_SETUP_S = 5 * 60;
const SCALES = [1, 10, 100, 1000] as const;

function count(value: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: value < 10 ? 1 : 0 });
}

/** The block's Markdown: the measured row it starts from, then the table per load. */
export function renderHostedScale(file: FiguresFile | undefined): string {
  const calls = file && hostedFigure(file, "calls/s", 1, 50);
  const p99 = file && hostedFigure(file, "p99", 1, 50);
  const p99Light = file && hostedFigure(file, "p99", 1, 10);
  const callsPerS = calls?.value;
  if (!file || callsPerS === null || callsPerS === undefined) {
    return "No figures yet: run `npm run bench:hosted` to write `docs/figures/hosted.json`.";
  }
  const setupsPerS = callsPerS / CALLS_PER_SETUP;
  const setupHours = DEFAULT_SETUP_TTL_MS / 3_600_000;
  const rows = SCALES.map((scale) => {
    const connections = DEFAULT_MAX_CONNECTIONS * scale;
    return [
      scale === 1 ? "today (1×)" : `${scale}×`,
      count(50 * scale),
      count(scale),
      `${count(connections)}${connections >= POSTGRES_MAX_CONNECTIONS ? " (≥ default max)" : ""}`,
      count(callsPerS * scale),
      count(callsPerS * scale * WRITES_PER_CALL),
      count(setupsPerS * scale * (DEFAULT_SETUP_TTL_MS / 1000)),
      count(setupsPerS * scale * ((DEFAULT_PAGE_TTL_MS + SPENT_PAGE_MEMORY_MS) / 1000)),
    ];
  });
  const perPerson = (callsPerS * PERSON_SETUP_S) / CALLS_PER_SETUP;
  return [
    `From the row \`replicas: 1, concurrency: 50\` of [figures/hosted.json](figures/hosted.json): one replica answered ${count(callsPerS)} wizard calls per second with 50 setups driven back to back, so it finishes ${count(setupsPerS)} setups per second (${CALLS_PER_SETUP} calls each); p99 of one call was ${count(p99?.value ?? Number.NaN)} ms there, and ${count(p99Light?.value ?? Number.NaN)} ms at 10 setups at once. At a person's pace, a setup taking ${PERSON_SETUP_S / 60} minutes, the same replica serves about ${count(perPerson)} people at once.`,
    [
      `| load | setups at once | replicas (50 setups each) | PostgreSQL connections, at most | wizard calls/s | row writes/s, at most | \`wizards\` rows (${setupHours} h) | \`once_pages\` rows (one reveal per setup, kept a day past expiry) |`,
      "| --- | --: | --: | --: | --: | --: | --: | --: |",
      ...rows.map((row) => `| ${row.join(" | ")} |`),
    ].join("\n"),
    `Calls and rows are at the benchmark's back-to-back pace, the most a replica takes; people are slower, so real counts are lower. \`once_pages\` holds one more row per setup whose PAT is pasted. PostgreSQL's default \`max_connections\` is ${POSTGRES_MAX_CONNECTIONS}; each replica's pool opens at most ${DEFAULT_MAX_CONNECTIONS}.`,
  ].join("\n\n");
}
