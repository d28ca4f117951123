/**
 * On-demand benchmark (not part of `npm test`): signed ingress of the local AgentRuntime
 * sandbox against two baselines, in interleaved rounds at 10 and 64 connections:
 * - bare: `node:http` that reads the body and answers 202 (`bare-server.ts`);
 * - verify-only peer: the same plus the sandbox's signature check, no storage (`verify-peer.ts`).
 *
 *   npm run build && npm run bench [-- --duration 5 --rounds 3 --connections 64 --json]
 *
 * Each server runs in its own child process, one at a time, so the load generator in this
 * process never shares an event loop with the server it measures; the order of the three
 * rotates each round. Medians and ranges are over rounds; the ratios are medians of each
 * round's ratio. All traffic stays on 127.0.0.1; the sandbox's database is a file on disk.
 * The figures are written as JSON to docs/figures/ingress.json (and printed with --json), and
 * docs/benchmarks.md's block is rewritten from it.
 * Exit code 0 whatever the ratios; 1 when a request fails or an answer is not 202.
 */
import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { signBody } from "../../src/signing/signature.js";
import { refreshBenchmarksPage, thisMachine } from "../docs/figures.js";
import {
  cpuProfileFlags,
  fixed,
  killChildrenOnExit,
  loopbackUrl,
  makeTempDir,
  parseBenchArgs,
  percentile,
  removeTempDir,
  round3,
  runMain,
  sandboxArgs,
  sandboxInfo,
  startChild,
  stopAllChildren,
  stopChild,
  stringField,
  table,
} from "./common.js";

// autocannon ships no types; only the parts used here are declared.
interface AutocannonOptions {
  url: string;
  method: "POST";
  headers: Record<string, string>;
  body: Buffer;
  connections: number;
  duration: number;
  bailout: number;
}

interface AutocannonResult {
  requests: { mean: number; total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
}

interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(
    event: "response",
    listener: (client: unknown, statusCode: number, bytes: number, ms: number) => void,
  ): this;
  stop(): void;
}

type Autocannon = (options: AutocannonOptions) => AutocannonInstance;

const BODY_BYTES = 1024;
const WARMUP_SECONDS = 2;
const EXPECTED_STATUS = 202;
const SHOPIFY_WORKFLOW = "Fulfil Shopify order";
const CONNECTIONS = [10, 64] as const;
/** Where the figures go, from this file's place under dist/test/bench. */
const FIGURES = new URL("../../../docs/figures/ingress.json", import.meta.url);

type Target = "bare" | "peer" | "sandbox";
const TARGET_NAMES: Record<Target, string> = {
  bare: "bare node:http",
  peer: "verify-only peer",
  sandbox: "sandbox ingress",
};

interface BenchOptions {
  duration: number;
  rounds: number;
  connections: number;
  json: boolean;
  profile: string | undefined;
}

interface Measurement {
  target: Target;
  connections: number;
  round: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  /** Answers other than 202, by status code. */
  unexpected: Record<string, number>;
  /** Why the run is not usable, when it is not. */
  failure?: string;
  /** Sandbox only: database bytes in use per stored delivery, after the run. */
  diskBytesPerDelivery?: number;
}

const HELP = `Usage: node dist/test/bench/ingress.bench.js [options]

Signed ingress of the sandbox vs a bare node:http server and a verify-only peer, in
interleaved rounds at 10 and 64 connections (127.0.0.1 only).

Options:
  --duration <s>       measured seconds per target and round, after a ${WARMUP_SECONDS} s warm-up (default 5)
  --rounds <n>         interleaved rounds per connection count (default 3)
  --connections <n>    one connection count instead of 10 and 64
  --json               print the figures as one JSON line instead of the tables
  --profile <dir>      write a V8 CPU profile of each server into <dir> (node --cpu-prof)
  -h, --help           show this help
`;

let profileDir: string | undefined;

function loadAutocannon(): Autocannon {
  const loaded: unknown = createRequire(import.meta.url)("autocannon");
  if (typeof loaded !== "function") throw new Error("autocannon did not load as a function");
  return loaded as Autocannon;
}

function parseOptions(argv: string[]): BenchOptions | undefined {
  return parseBenchArgs(argv, {
    duration: { fallback: 5, min: 1, max: 600 },
    rounds: { fallback: 3, min: 1, max: 50 },
    connections: { fallback: 0, min: 0, max: 1000 },
  });
}

/** A Shopify-like order carrying every field the demo workflow reads, padded to exactly 1 KiB. */
function orderBody(): Buffer {
  const order = {
    order_id: "1001",
    source: "shopify",
    topic: "orders/create",
    sku: "TSHIRT-BLK-M",
    quantity: 2,
    currency: "EUR",
    total_price: "59.80",
    financial_status: "paid",
    created_at: "2024-05-14T09:21:33+02:00",
    customer: {
      id: 7301204811,
      email: "ada.lovelace@example.com",
      first_name: "Ada",
      last_name: "Lovelace",
      accepts_marketing: false,
    },
    shipping_address: {
      name: "Ada Lovelace",
      address1: "Friedrichstrasse 68",
      city: "Berlin",
      zip: "10117",
      country_code: "DE",
      phone: "+49 30 1234567",
    },
    line_items: [
      { id: 1, sku: "TSHIRT-BLK-M", title: "T-shirt black M", quantity: 2, price: "24.90" },
      { id: 2, sku: "SHIP-STD", title: "Standard shipping", quantity: 1, price: "10.00" },
    ],
    tags: ["web", "first-order"],
    note: "",
  };
  const unpadded = Buffer.byteLength(JSON.stringify(order));
  const filler = "Please leave the parcel with the neighbour at number 12 if nobody answers. ";
  order.note = filler.repeat(Math.ceil(BODY_BYTES / filler.length)).slice(0, BODY_BYTES - unpadded);
  const bytes = Buffer.from(JSON.stringify(order), "utf8");
  if (bytes.length !== BODY_BYTES) {
    throw new Error(`benchmark body is ${bytes.length} bytes, expected ${BODY_BYTES}`);
  }
  return bytes;
}

/** One request outside the measurement, so a misconfigured target fails with its answer shown. */
async function preflight(url: string, headers: Record<string, string>, body: Buffer) {
  const response = await fetch(url, { method: "POST", headers, body });
  const text = await response.text();
  if (response.status !== EXPECTED_STATUS) {
    throw new Error(`pre-flight ${url} answered ${response.status}: ${text.slice(0, 500)}`);
  }
}

/** Runs the warm-up and then the measured load against one URL. */
async function measure(
  autocannon: Autocannon,
  target: Measurement["target"],
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  options: BenchOptions,
  connections: number,
  round: number,
): Promise<Measurement> {
  const run = async (seconds: number) => {
    const latencies: number[] = [];
    const unexpected: Record<string, number> = {};
    const instance = autocannon({
      url,
      method: "POST",
      headers,
      body,
      connections,
      duration: seconds,
      bailout: 1,
    });
    instance.on("response", (_client, statusCode, _bytes, ms) => {
      if (statusCode === EXPECTED_STATUS) {
        latencies.push(ms);
        return;
      }
      unexpected[statusCode] = (unexpected[statusCode] ?? 0) + 1;
      instance.stop();
    });
    const result = await instance;
    return { result, latencies, unexpected };
  };

  const warmup = await run(WARMUP_SECONDS);
  const warmupFailure = failureOf(warmup.result, warmup.unexpected);
  const main = warmupFailure ? warmup : await run(options.duration);
  const sorted = Float64Array.from(main.latencies).sort();
  const failure = warmupFailure
    ? `during warm-up: ${warmupFailure}`
    : failureOf(main.result, main.unexpected);
  return {
    target,
    connections,
    round,
    requestsPerSecond: main.result.requests.mean,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    requests: main.result.requests.total,
    errors: main.result.errors,
    non2xx: main.result.non2xx,
    unexpected: main.unexpected,
    ...(failure ? { failure } : {}),
  };
}

function failureOf(result: AutocannonResult, unexpected: Record<string, number>) {
  const parts = Object.entries(unexpected).map(([status, count]) => `${count} x ${status}`);
  if (result.errors > 0) {
    parts.push(`${result.errors} request error(s), ${result.timeouts} of them timeouts`);
  }
  return parts.length > 0 ? `stopped after ${parts.join(", ")}` : undefined;
}

/**
 * The floor under a durable 202: how long this disk takes to fdatasync a group commit's worth
 * of WAL (64 KiB appended), sampled in the benchmark's own folder. No server is running then.
 */
function fsyncLatency(dir: string, samples = 100): Range {
  const path = join(dir, "fsync-probe");
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i += 1) {
      writeSync(fd, chunk);
      const started = performance.now();
      fdatasyncSync(fd);
      times.push(performance.now() - started);
    }
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
  const sorted = Float64Array.from(times).sort();
  return {
    median: percentile(sorted, 0.5),
    min: sorted[0] ?? Number.NaN,
    max: percentile(sorted, 0.99),
  };
}

/** Where to send and with which headers: one per target, made once its server listens. */
interface Endpoint {
  url: string;
  headers: Record<string, string>;
  /** After the server stopped: a figure read from what it left behind. */
  after?: () => Partial<Measurement>;
}

async function bareEndpoint(line: string): Promise<Endpoint> {
  const url = loopbackUrl(stringField(JSON.parse(line), "url", "bare server output"), "bare URL");
  return { url, headers: { "content-type": "application/json" } };
}

function peerEndpoint(body: Buffer) {
  return async (line: string): Promise<Endpoint> => {
    const info: unknown = JSON.parse(line);
    return {
      url: loopbackUrl(stringField(info, "url", "peer output"), "peer URL"),
      headers: {
        "content-type": "application/json",
        "x-agentruntime-signature": signBody(body, stringField(info, "secret", "peer output")),
      },
    };
  };
}

function sandboxEndpoint(body: Buffer, db: string) {
  return async (line: string): Promise<Endpoint> => {
    const { url, contributor, workflowId, automationKeyId, key } = sandboxInfo(
      line,
      SHOPIFY_WORKFLOW,
    );
    const created = await fetch(`${url}/v1/inbound-webhooks`, {
      method: "POST",
      headers: { authorization: `Bearer ${contributor}`, "content-type": "application/json" },
      body: JSON.stringify({
        workflow_id: workflowId,
        name: "Ingress benchmark",
        automation_pat_id: automationKeyId,
      }),
    });
    const answer: unknown = await created.json();
    if (created.status !== 201) {
      throw new Error(
        `creating the subscription answered ${created.status}: ${JSON.stringify(answer)}`,
      );
    }
    return {
      url: loopbackUrl(stringField(answer, "ingress_url", "subscription"), "ingress URL"),
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${stringField(key, "pat", "vaulted API key")}`,
        "x-agentruntime-signature": signBody(
          body,
          stringField(answer, "signing_secret", "subscription"),
        ),
      },
      after: () => ({ diskBytesPerDelivery: diskBytesPerDelivery(db) }),
    };
  };
}

/** Pages in use (WAL checkpointed) over the deliveries stored: an upper bound per delivery. */
function diskBytesPerDelivery(path: string): number {
  const db = new Database(path);
  try {
    db.pragma("wal_checkpoint(TRUNCATE)");
    const pages = db.pragma("page_count", { simple: true }) as number;
    const free = db.pragma("freelist_count", { simple: true }) as number;
    const size = db.pragma("page_size", { simple: true }) as number;
    const { n } = db.prepare("SELECT count(*) AS n FROM deliveries").get() as { n: number };
    return ((pages - free) * size) / n;
  } finally {
    db.close();
  }
}

async function benchOne(
  autocannon: Autocannon,
  target: Target,
  args: string[],
  endpoint: (line: string) => Promise<Endpoint>,
  body: Buffer,
  options: BenchOptions,
  connections: number,
  round: number,
): Promise<Measurement> {
  const { child, line } = await startChild(TARGET_NAMES[target], [
    ...cpuProfileFlags(profileDir),
    ...args,
  ]);
  let result: Measurement;
  let after: Endpoint["after"];
  try {
    const { url, headers, ...rest } = await endpoint(line);
    after = rest.after;
    await preflight(url, headers, body);
    result = await measure(autocannon, target, url, headers, body, options, connections, round);
  } finally {
    await stopChild(child);
  }
  return { ...result, ...after?.() };
}

interface Summary {
  target: Target;
  connections: number;
  requestsPerSecond: Range;
  p50: Range;
  p99: Range;
  diskBytesPerDelivery?: Range;
}

interface Range {
  median: number;
  min: number;
  max: number;
}

function rangeOf(values: number[]): Range {
  const sorted = Float64Array.from(values).sort();
  return {
    median: percentile(sorted, 0.5),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/** The median (and range) over rounds of the sandbox's figure divided by a baseline's. */
function ratioOf(results: Measurement[], connections: number, baseline: Target): Range {
  const per = (target: Target) =>
    results
      .filter((m) => m.connections === connections && m.target === target)
      .sort((a, b) => a.round - b.round);
  const sandbox = per("sandbox");
  const base = per(baseline);
  return rangeOf(
    sandbox.map((m, i) => m.requestsPerSecond / (base[i]?.requestsPerSecond ?? Number.NaN)),
  );
}

function summarise(results: Measurement[], connections: number): Summary[] {
  return (["bare", "peer", "sandbox"] as const).map((target) => {
    const mine = results.filter((m) => m.connections === connections && m.target === target);
    const disk = mine.flatMap((m) =>
      m.diskBytesPerDelivery === undefined ? [] : [m.diskBytesPerDelivery],
    );
    return {
      target,
      connections,
      requestsPerSecond: rangeOf(mine.map((m) => m.requestsPerSecond)),
      p50: rangeOf(mine.map((m) => m.p50)),
      p99: rangeOf(mine.map((m) => m.p99)),
      ...(disk.length > 0 ? { diskBytesPerDelivery: rangeOf(disk) } : {}),
    };
  });
}

const spread = (range: Range, digits: number) =>
  `${fixed(range.median, digits)} (${fixed(range.min, digits)}–${fixed(range.max, digits)})`;

function printTables(
  results: Measurement[],
  options: BenchOptions,
  counts: number[],
  fsync: Range,
) {
  let text =
    `Signed ingress, ${BODY_BYTES}-byte JSON body, ${options.rounds} interleaved round(s) of ` +
    `${options.duration} s per target after a ${WARMUP_SECONDS} s warm-up, 127.0.0.1; ` +
    "medians over rounds (min–max)\n" +
    `disk: fdatasync of 64 KiB p50 ${fixed(fsync.median, 2)} ms, p99 ${fixed(fsync.max, 2)} ms ` +
    "(a durable 202 waits for at least one)\n";
  for (const connections of counts) {
    const rows = summarise(results, connections);
    text += `\n${connections} connections\n\n${table([
      ["target", "requests/s", "p50 ms", "p99 ms"],
      ...rows.map((row) => [
        TARGET_NAMES[row.target],
        spread(row.requestsPerSecond, 0),
        spread(row.p50, 2),
        spread(row.p99, 2),
      ]),
    ])}\n\n`;
    text += `sandbox / bare: ${spread(ratioOf(results, connections, "bare"), 2)}\n`;
    text += `sandbox / verify-only peer: ${spread(ratioOf(results, connections, "peer"), 2)}\n`;
    // Each connection waits for at least one fsync per request, so none can beat this.
    const ceiling = (connections * 1000) / fsync.median;
    const bareRow = rows.find((row) => row.target === "bare");
    text +=
      `durable ceiling (connections / fdatasync p50): ${fixed(ceiling, 0)} requests/s, ` +
      `${fixed(ceiling / (bareRow?.requestsPerSecond.median ?? Number.NaN), 2)} of bare\n`;
    const sandbox = rows.find((row) => row.target === "sandbox");
    if (sandbox?.diskBytesPerDelivery) {
      text += `database bytes per stored delivery: ${spread(sandbox.diskBytesPerDelivery, 0)}\n`;
    }
  }
  process.stdout.write(text);
}

/** The run's figures as data: medians and ranges over rounds, and every measurement. */
function figuresOf(results: Measurement[], options: BenchOptions, counts: number[], fsync: Range) {
  const range = (r: Range | undefined) =>
    r && { median: round3(r.median), min: round3(r.min), max: round3(r.max) };
  return {
    body_bytes: BODY_BYTES,
    duration_s: options.duration,
    warmup_s: WARMUP_SECONDS,
    rounds: options.rounds,
    cpu_profiled: options.profile !== undefined,
    machine: thisMachine(),
    fdatasync_64k_ms: { p50: round3(fsync.median), p99: round3(fsync.max) },
    by_connections: counts.map((connections) => ({
      connections,
      targets: summarise(results, connections).map((row) => ({
        target: row.target,
        requests_per_s: range(row.requestsPerSecond),
        p50_ms: range(row.p50),
        p99_ms: range(row.p99),
        disk_bytes_per_delivery: range(row.diskBytesPerDelivery) ?? null,
      })),
      ratio_to_bare: range(ratioOf(results, connections, "bare")),
      ratio_to_peer: range(ratioOf(results, connections, "peer")),
    })),
    measurements: results.map((m) => ({
      target: m.target,
      connections: m.connections,
      round: m.round,
      requests_per_s: round3(m.requestsPerSecond),
      p50_ms: round3(m.p50),
      p99_ms: round3(m.p99),
      requests: m.requests,
      errors: m.errors,
      non_2xx: m.non2xx,
      unexpected_status: m.unexpected,
      failure: m.failure ?? null,
    })),
  };
}

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (!options) {
    process.stdout.write(HELP);
    return 0;
  }
  profileDir = options.profile;
  const autocannon = loadAutocannon();
  const body = orderBody();
  const dir = makeTempDir("arw-bench-");
  const counts = options.connections === 0 ? [...CONNECTIONS] : [options.connections];
  const results: Measurement[] = [];
  const fsync = fsyncLatency(dir);
  const bareScript = fileURLToPath(new URL("./bare-server.js", import.meta.url));
  const peerScript = fileURLToPath(new URL("./verify-peer.js", import.meta.url));
  try {
    for (const connections of counts) {
      for (let round = 0; round < options.rounds; round += 1) {
        const db = join(dir, `sandbox-${connections}-${round}.db`);
        const runs: Record<Target, () => Promise<Measurement>> = {
          bare: () =>
            benchOne(
              autocannon,
              "bare",
              [bareScript],
              bareEndpoint,
              body,
              options,
              connections,
              round,
            ),
          peer: () =>
            benchOne(
              autocannon,
              "peer",
              [peerScript],
              peerEndpoint(body),
              body,
              options,
              connections,
              round,
            ),
          sandbox: () =>
            benchOne(
              autocannon,
              "sandbox",
              sandboxArgs(db),
              sandboxEndpoint(body, db),
              body,
              options,
              connections,
              round,
            ),
        };
        // The order rotates so no target always runs first (or last) in a round.
        const order = (["bare", "peer", "sandbox"] as const).map(
          (_, i, all) => all[(i + round) % all.length] as Target,
        );
        for (const target of order) {
          const measured = await runs[target]();
          results.push(measured);
          if (measured.failure) throw new Error(`${target}: ${measured.failure}`);
        }
      }
    }
  } finally {
    await stopAllChildren();
    removeTempDir();
  }
  const figures = figuresOf(results, options, counts, fsync);
  mkdirSync(new URL(".", FIGURES), { recursive: true });
  writeFileSync(FIGURES, `${JSON.stringify(figures, null, 2)}\n`);
  refreshBenchmarksPage();
  if (options.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
  else printTables(results, options, counts, fsync);
  return 0;
}

killChildrenOnExit();
runMain("ingress bench", main);
