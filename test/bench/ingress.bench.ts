/**
 * On-demand benchmark (not part of `npm test`): signed ingress throughput of the local
 * AgentRuntime sandbox against a bare `node:http` server, measured in the same run and
 * reported as a ratio.
 *
 *   npx tsc -p . && node dist/test/bench/ingress.bench.js [--duration 10] [--connections 10] [--json]
 *
 * Each server runs in its own child process, one after the other, so the load generator in
 * this process never shares an event loop with the server it measures. All traffic stays on
 * 127.0.0.1. Exit code 0 whatever the ratio; 1 when a request fails or an answer is not 202.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { signBody } from "../../src/signing/signature.js";
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
const TARGET_RATIO = 0.5;
const EXPECTED_STATUS = 202;
const SHOPIFY_WORKFLOW = "Fulfil Shopify order";

interface BenchOptions {
  duration: number;
  connections: number;
  json: boolean;
  profile: string | undefined;
}

interface Measurement {
  target: "bare" | "sandbox";
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
}

const HELP = `Usage: node dist/test/bench/ingress.bench.js [options]

Signed ingress throughput of the sandbox vs a bare node:http server (127.0.0.1 only).

Options:
  --duration <s>       measured seconds per target, after a ${WARMUP_SECONDS} s warm-up (default 10)
  --connections <n>    concurrent keep-alive connections (default 10)
  --json               print one JSON result line instead of the table
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
    duration: { fallback: 10, min: 1, max: 600 },
    connections: { fallback: 10, min: 1, max: 1000 },
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
): Promise<Measurement> {
  const run = async (seconds: number) => {
    const latencies: number[] = [];
    const unexpected: Record<string, number> = {};
    const instance = autocannon({
      url,
      method: "POST",
      headers,
      body,
      connections: options.connections,
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

async function benchBare(
  autocannon: Autocannon,
  body: Buffer,
  options: BenchOptions,
): Promise<Measurement> {
  const script = fileURLToPath(new URL("./bare-server.js", import.meta.url));
  const { child, line } = await startChild("bare server", [...cpuProfileFlags(profileDir), script]);
  try {
    const url = loopbackUrl(stringField(JSON.parse(line), "url", "bare server output"), "bare URL");
    const headers = { "content-type": "application/json" };
    await preflight(url, headers, body);
    return await measure(autocannon, "bare", url, headers, body, options);
  } finally {
    await stopChild(child);
  }
}

async function benchSandbox(
  autocannon: Autocannon,
  body: Buffer,
  options: BenchOptions,
  dir: string,
): Promise<Measurement> {
  const { child, line } = await startChild("sandbox", [
    ...cpuProfileFlags(profileDir),
    ...sandboxArgs(join(dir, "sandbox.db")),
  ]);
  try {
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
    const ingressUrl = loopbackUrl(
      stringField(answer, "ingress_url", "subscription"),
      "ingress URL",
    );
    const headers = {
      "content-type": "application/json",
      authorization: `Bearer ${stringField(key, "pat", "vaulted API key")}`,
      "x-agentruntime-signature": signBody(
        body,
        stringField(answer, "signing_secret", "subscription"),
      ),
    };
    await preflight(ingressUrl, headers, body);
    return await measure(autocannon, "sandbox", ingressUrl, headers, body, options);
  } finally {
    await stopChild(child);
  }
}

function printTable(results: Measurement[], options: BenchOptions, ratio: number | undefined) {
  const rows = table([
    ["target", "requests/s", "p50 ms", "p99 ms", "requests", "errors"],
    ...results.map((m) => [
      m.target,
      fixed(m.requestsPerSecond, 1),
      fixed(m.p50, 2),
      fixed(m.p99, 2),
      String(m.requests),
      String(m.errors + Object.values(m.unexpected).reduce((sum, n) => sum + n, 0)),
    ]),
  ]);
  process.stdout.write(
    `Signed ingress, ${BODY_BYTES}-byte JSON body, ${options.connections} connections, ` +
      `${options.duration} s per target after a ${WARMUP_SECONDS} s warm-up, 127.0.0.1\n\n` +
      `${rows}\n\n`,
  );
  if (ratio !== undefined) {
    process.stdout.write(
      `ratio sandbox/bare: ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO.toFixed(2)})\n`,
    );
  }
}

function printJson(results: Measurement[], options: BenchOptions, ratio: number | undefined) {
  process.stdout.write(
    `${JSON.stringify({
      body_bytes: BODY_BYTES,
      duration_s: options.duration,
      warmup_s: WARMUP_SECONDS,
      connections: options.connections,
      results: results.map((m) => ({
        target: m.target,
        requests_per_s: round3(m.requestsPerSecond),
        p50_ms: round3(m.p50),
        p99_ms: round3(m.p99),
        requests: m.requests,
        errors: m.errors,
        non_2xx: m.non2xx,
        unexpected_status: m.unexpected,
        failure: m.failure ?? null,
      })),
      ratio: ratio === undefined ? null : round3(ratio),
      target_ratio: TARGET_RATIO,
    })}\n`,
  );
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
  const results: Measurement[] = [];
  try {
    // One server at a time: with two cores, the load generator and the server get one each.
    results.push(await benchBare(autocannon, body, options));
    if (!results[0]?.failure) results.push(await benchSandbox(autocannon, body, options, dir));
  } finally {
    await stopAllChildren();
    removeTempDir();
  }

  const [bare, sandbox] = results;
  const clean = results.length === 2 && results.every((m) => !m.failure);
  const ratio =
    clean && bare && sandbox ? sandbox.requestsPerSecond / bare.requestsPerSecond : undefined;
  if (options.json) printJson(results, options, ratio);
  else printTable(results, options, ratio);
  for (const m of results) {
    if (m.failure) process.stderr.write(`${m.target}: ${m.failure}\n`);
  }
  return clean ? 0 : 1;
}

killChildrenOnExit();
runMain("ingress bench", main);
