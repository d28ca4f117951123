/**
 * On-demand benchmark (not part of `npm test`): the latency of every filtered list (runs,
 * deliveries, webhooks) at 1k stored deliveries and again at 100k, in one SQLite file, and the
 * ratio between the two. A list that walks its index costs the same at both sizes.
 *
 *   npm run build && npm run bench:lists [-- --rows 100000 --calls 300 --json]
 *
 * Rows are written the way ingress writes them, spread over 20 busy subscriptions; the lists
 * read a quiet subscription with 5 runs (the case a full scan hurts most) and a busy one.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { seedDatabase } from "../../src/sandbox/demo-data.js";
import { type IngressRecord, runRecord } from "../../src/sandbox/ingress-rows.js";
import { executeRun } from "../../src/sandbox/runs.js";
import { newId, SecretBox } from "../../src/sandbox/secrets.js";
import { SandboxStore } from "../../src/sandbox/store.js";
import { thisMachine, writeFigures } from "../docs/figures.js";
import {
  fixed,
  makeTempDir,
  parseBenchArgs,
  percentile,
  removeTempDir,
  round3,
  runMain,
  table,
} from "./common.js";

const SMALL = 1000;
const TARGET_RATIO = 1.5;
const BUSY_SUBSCRIPTIONS = 20;
const QUIET_RUNS = 5;

const HELP = `Usage: node dist/test/bench/lists.bench.js [options]

List latency at 1k stored deliveries and at --rows (default 100000), and the ratio.

Options:
  --rows <n>     stored deliveries for the large measurement (default 100000)
  --calls <n>    calls per list and size; the median is reported (default 300)
  --json         print one JSON line instead of the table

The figures are also written to docs/figures/lists.json (and docs/benchmarks.md).
  -h, --help     show this help
`;

type Lists = Record<string, () => unknown>;

function fill(store: SandboxStore, records: () => IngressRecord, count: number) {
  for (let done = 0; done < count; done += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - done) }, records);
    const failures = store.writeIngressRecords(batch).filter((failure) => failure !== null);
    if (failures.length > 0) throw new Error(`writing rows failed: ${failures[0]}`);
  }
}

function medianMs(call: () => unknown, calls: number): number {
  for (let i = 0; i < 20; i += 1) call();
  const samples = new Float64Array(calls);
  for (let i = 0; i < calls; i += 1) {
    const started = performance.now();
    call();
    samples[i] = performance.now() - started;
  }
  return percentile(samples.sort(), 0.5);
}

async function main(argv: string[]): Promise<number> {
  const options = parseBenchArgs(argv, {
    rows: { fallback: 100_000, min: SMALL * 2, max: 2_000_000 },
    calls: { fallback: 300, min: 10, max: 100_000 },
  });
  if (!options) {
    process.stdout.write(HELP);
    return 0;
  }
  const dir = makeTempDir("arw-lists-");
  const store = new SandboxStore({
    path: join(dir, "sandbox.db"),
    box: new SecretBox(randomBytes(32)),
    ingressBase: () => "http://127.0.0.1:1",
  });
  try {
    const now = new Date().toISOString();
    seedDatabase(store, "demo", now);
    const projectId = (store.db.prepare("SELECT id FROM projects").get() as { id: string }).id;
    const workflow = store.listWorkflows(projectId, 10).items.find((w) => w.status === "saved");
    const key = store.listApiKeys(projectId, 10).items[0];
    if (!workflow || !key) throw new Error("the demo data has no saved workflow or PAT");
    const subscribe = (name: string) =>
      store.insertSubscription({
        id: newId(),
        project_id: projectId,
        workflow_id: workflow.id,
        name,
        automation_pat_id: key.id,
        signing_secret: `whsec_${randomBytes(24).toString("base64url")}`,
        signing_secret_hint: "…bench",
        extras: { use_run_setup_defaults: false, trigger_payload: {} },
        now,
      }).id;
    const busy = Array.from({ length: BUSY_SUBSCRIPTIONS }, (_, i) => subscribe(`busy ${i}`));
    const quiet = subscribe("quiet");
    const body = { order_id: "1001", note: "x".repeat(900) };
    const bodyText = JSON.stringify(body);
    let next = 0;
    const record = (subscriptionId: string): IngressRecord => {
      const run = executeRun(workflow, {
        id: newId(),
        subscription_id: subscriptionId,
        webhook_payload: body,
        extras: { use_run_setup_defaults: false, trigger_payload: {} },
        now,
      });
      return {
        run: runRecord(projectId, run, bodyText, null),
        delivery: {
          id: newId(),
          subscription_id: subscriptionId,
          received_at: now,
          status: 202,
          outcome: "accepted",
          reason: null,
          run_id: run.id,
          body_sha256: null,
          body_bytes: 926,
        },
      };
    };
    const busyRecord = () => record(busy[next++ % busy.length] as string);
    fill(store, () => record(quiet), QUIET_RUNS);

    const lists: Lists = {
      "runs of a quiet webhook": () => store.listRuns(projectId, { subscriptionId: quiet }, 50),
      "runs of a busy webhook": () =>
        store.listRuns(projectId, { subscriptionId: busy[0] as string }, 50),
      "runs of a workflow": () => store.listRuns(projectId, { workflowId: workflow.id }, 50),
      "runs of the project": () => store.listRuns(projectId, {}, 50),
      "deliveries of a quiet webhook": () => store.listDeliveries(quiet, 50),
      "deliveries of a busy webhook": () => store.listDeliveries(busy[0] as string, 50),
      "webhooks of a workflow": () =>
        store.listSubscriptions(projectId, { workflowId: workflow.id }, 50),
    };
    const measureAll = () =>
      Object.fromEntries(
        Object.entries(lists).map(([name, call]) => [name, medianMs(call, options.calls)]),
      );

    fill(store, busyRecord, SMALL - QUIET_RUNS);
    const small = measureAll();
    fill(store, busyRecord, options.rows - SMALL);
    store.db.pragma("wal_checkpoint(TRUNCATE)");
    const large = measureAll();

    const rows = Object.keys(lists).map((name) => {
      const a = small[name] ?? Number.NaN;
      const b = large[name] ?? Number.NaN;
      return { name, small: a, large: b, ratio: b / a };
    });
    const worst = Math.max(...rows.map((row) => row.ratio));
    const written = writeFigures({
      bench: "lists",
      title: "Lists",
      command: "npm run bench:lists",
      machine: thisMachine(),
      options: { rows: options.rows, calls: options.calls },
      figures: rows.map((row) => ({
        figure: row.name,
        value: round3(row.large),
        unit: "ms",
        baseline: { value: round3(row.small), label: `${SMALL.toLocaleString("en-US")} rows` },
        ratio: round3(row.ratio),
        target: `≤ ${TARGET_RATIO}`,
        met: row.ratio <= TARGET_RATIO,
      })),
      notes: [
        `Each figure is the median of ${options.calls} calls of one list (50 per page) at ${options.rows.toLocaleString("en-US")} stored deliveries, beside the same list at ${SMALL.toLocaleString("en-US")}; worst ratio ${fixed(worst, 2)}.`,
      ],
    });
    process.stderr.write(`figures written to ${written}\n`);
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({
          rows_small: SMALL,
          rows_large: options.rows,
          calls: options.calls,
          lists: rows.map((row) => ({
            list: row.name,
            small_ms: round3(row.small),
            large_ms: round3(row.large),
            ratio: round3(row.ratio),
          })),
          worst_ratio: round3(worst),
          target_ratio: TARGET_RATIO,
        })}\n`,
      );
    } else {
      process.stdout.write(
        `List latency (median of ${options.calls} calls, 50 per page) at ${SMALL} and ${options.rows} stored deliveries\n\n` +
          `${table([
            ["list", `${SMALL} rows ms`, `${options.rows} rows ms`, "ratio"],
            ...rows.map((row) => [
              row.name,
              fixed(row.small, 3),
              fixed(row.large, 3),
              fixed(row.ratio, 2),
            ]),
          ])}\n\nworst ratio: ${fixed(worst, 2)} (target ≤ ${TARGET_RATIO})\n`,
      );
    }
    return 0;
  } finally {
    store.close();
    removeTempDir();
  }
}

runMain("lists bench", main);
