/**
 * On-demand benchmark (not part of `npm test`) of our MCP server, each figure measured beside
 * a baseline in the same run and reported as a ratio:
 *
 *   1. cold start: spawn → first `tools/list` answer over stdio, ours (the bundle package.json's
 *      `bin` ships) vs the smallest SDK server (`minimal-mcp-server.ts`), interleaved; plus, with
 *      no ratio, ours from the unbundled tsc output and ours with its embedded sandbox;
 *   2. round trip of `list_inbound_webhooks`: ours vs the minimal server vs a direct HTTP GET,
 *      plus ours in this process over the SDK's in-memory transport (the stdio hop's share),
 *      and of `create_inbound_webhook`: ours vs the minimal server vs a direct HTTP POST;
 *   3. size of our `tools/list` catalogue in bytes and tokens (gpt-tokenizer, o200k_base), and
 *      what a model reads of it: each tool's name, description and input schema.
 *
 *   npx tsc -p . && npm run bench:mcp -- [--runs 15] [--calls 300] [--json]
 *
 * (`bench:mcp` bundles the CLI from source first, so the bundle measured is never stale.)
 * The figures are also written to docs/figures/mcp.json (and docs/benchmarks.md).
 *
 * The servers and the sandbox they call run in their own child processes, and all traffic
 * stays on 127.0.0.1. Exit code 0 whatever the ratios; 1 when a server fails to start or a
 * call fails or answers something other than the subscriptions created.
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { ListToolsResult } from "@modelcontextprotocol/sdk/types.js";
import { encode } from "gpt-tokenizer";
import { createClient } from "../../src/client/client.js";
import { createMcpRuntime } from "../../src/mcp/runtime.js";
import { TOOLS } from "../../tools/index.js";
import { thisMachine, writeFigures } from "../docs/figures.js";
import {
  CLI_SCRIPT,
  cpuProfileFlags,
  fixed,
  isRecord,
  killChildrenNow,
  killChildrenOnExit,
  makeTempDir,
  message,
  parseBenchArgs,
  percentile,
  removeTempDir,
  round3,
  runMain,
  STARTUP_TIMEOUT_MS,
  sandboxArgs,
  sandboxInfo,
  startChild,
  stopAllChildren,
  stopChild,
  stringField,
  table,
  trackPid,
  untrackPid,
} from "./common.js";

const TOOL = "list_inbound_webhooks";
const SUBSCRIPTIONS = 20;
const WARMUP_CALLS = 20;
const COLD_START_TARGET = 1.15;
const CATALOGUE_TARGET_TOKENS = 1400;
const OVERHEAD_TARGET = 1.3;
const CREATE_TOOL = "create_inbound_webhook";
const CALL_TIMEOUT_MS = 10_000;
const SUBSCRIBED_WORKFLOW = "Fulfil Shopify order";

/** The CLI as installed: package.json's `bin`, the esbuild bundle in dist/cli. */
function binScript(): string {
  const root = new URL("../../../", import.meta.url);
  const manifest = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as {
    bin: Record<string, string>;
  };
  const bin = manifest.bin["agentruntime-webhooks"];
  if (!bin) throw new Error("package.json has no agentruntime-webhooks bin");
  return fileURLToPath(new URL(bin, root));
}

interface BenchOptions {
  runs: number;
  calls: number;
  embeddedRuns: number;
  json: boolean;
  profile: string | undefined;
}

const HELP = `Usage: node dist/test/bench/mcp.bench.js [options]

Our MCP server vs the smallest MCP SDK server and a direct HTTP call (127.0.0.1 only):
cold start (spawn → first tools/list answer over stdio), round trips of ${TOOL} and ${CREATE_TOOL}
against a sandbox holding ${SUBSCRIPTIONS} subscriptions, and the catalogue's size in tokens.

Options:
  --runs <n>           cold starts of each server, interleaved (default 15)
  --calls <n>          measured calls of each kind, after ${WARMUP_CALLS} warm-up calls (default 300)
  --embedded-runs <n>  cold starts of ours with its embedded sandbox, informational (default 3)
  --json               print one JSON result line instead of the tables
  --profile <dir>      write a V8 CPU profile of each MCP server into <dir> (node --cpu-prof);
                       profiling slows the servers, so the figures of such a run are skewed
  -h, --help           show this help
`;

let profileDir: string | undefined;

function parseOptions(argv: string[]): BenchOptions | undefined {
  const parsed = parseBenchArgs(argv, {
    runs: { fallback: 15, min: 1, max: 500 },
    calls: { fallback: 300, min: 1, max: 100_000 },
    "embedded-runs": { fallback: 3, min: 0, max: 50 },
  });
  if (!parsed) return undefined;
  return {
    runs: parsed.runs,
    calls: parsed.calls,
    embeddedRuns: parsed["embedded-runs"],
    json: parsed.json,
    profile: parsed.profile,
  };
}

// ---------------------------------------------------------------------------------------------
// Children

interface Sandbox {
  child: ChildProcess;
  url: string;
  contributor: string;
  workflowId: string;
  automationKeyId: string;
}

/** Starts the sandbox and resolves with what it prints as its one JSON line. */
async function startSandbox(dir: string): Promise<Sandbox> {
  const { child, line } = await startChild("the sandbox", sandboxArgs(join(dir, "s.db")));
  const { url, contributor, workflowId, automationKeyId } = sandboxInfo(line, SUBSCRIBED_WORKFLOW);
  return { child, url, contributor, workflowId, automationKeyId };
}

/** The SDK's stdio transport, remembering its child's pid so an interrupted run can kill it. */
class TrackedStdioTransport extends StdioClientTransport {
  #pid: number | null = null;

  override async start(): Promise<void> {
    await super.start();
    this.#pid = this.pid;
    if (this.#pid !== null) trackPid(this.#pid);
  }

  /** Ends the child's stdin, then SIGTERM after 2 s and SIGKILL after 2 s more (the SDK's). */
  override async close(): Promise<void> {
    await super.close();
    if (this.#pid !== null) untrackPid(this.#pid);
  }
}

interface Connection {
  client: Client;
  close(): Promise<void>;
}

type ServerKind = "ours" | "minimal" | "ours-embedded" | "ours-unbundled";

function serverArgs(kind: ServerKind): string[] {
  const profile = cpuProfileFlags(profileDir);
  if (kind === "minimal") {
    return [...profile, fileURLToPath(new URL("./minimal-mcp-server.js", import.meta.url))];
  }
  // The unbundled tsc output loads each module as its own file: what the bundle saves.
  return [...profile, kind === "ours-unbundled" ? CLI_SCRIPT : binScript(), "mcp"];
}

/**
 * Our server in this process, over the SDK's in-memory transport: the same SDK client and
 * server work as over stdio, without the pipe and the child process.
 */
async function connectInMemory(sandbox: Sandbox): Promise<Connection> {
  const runtime = createMcpRuntime({
    client: createClient({ baseUrl: sandbox.url, token: sandbox.contributor }),
    tools: TOOLS,
    wizardDb: ":memory:",
    version: "0.0.0",
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const server = runtime.createServer();
  await server.connect(serverSide);
  const client = new Client({ name: "mcp-bench", version: "0.0.0" });
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
      await runtime.close();
    },
  };
}

/**
 * Spawns an MCP server and completes the initialize handshake. The child's environment is the
 * SDK's default (HOME, PATH, …) plus `env`, so no AGENTRUNTIME_* variable leaks in from here.
 */
async function connect(
  label: string,
  kind: ServerKind,
  env: Record<string, string>,
): Promise<Connection> {
  const transport = new TrackedStdioTransport({
    command: process.execPath,
    args: serverArgs(kind),
    env,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  const client = new Client({ name: "mcp-bench", version: "0.0.0" });
  const close = async () => {
    await client.close();
    await transport.close();
  };
  try {
    await client.connect(transport, { timeout: STARTUP_TIMEOUT_MS });
  } catch (error) {
    await close();
    throw new Error(`${label} did not start: ${message(error)}\n${stderr}`);
  }
  return { client, close };
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

/** A summary's p50, p99, min and max as table cells, in milliseconds. */
function latencyCells(s: Summary): string[] {
  return [fixed(s.p50, 3), fixed(s.p99, 3), fixed(s.min, 3), fixed(s.max, 3)];
}

function summarize(samples: number[]): Summary {
  const sorted = Float64Array.from(samples).sort();
  return {
    n: sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** Spawn → initialize → first `tools/list` answer, in ms; the child is stopped afterwards. */
async function coldStart(
  label: string,
  kind: ServerKind,
  env: Record<string, string>,
): Promise<{ ms: number; tools: ListToolsResult }> {
  const started = performance.now();
  const connection = await connect(label, kind, env);
  try {
    const tools = await connection.client.listTools(undefined, { timeout: STARTUP_TIMEOUT_MS });
    const ms = performance.now() - started;
    if (!tools.tools.some((tool) => tool.name === TOOL)) {
      throw new Error(`${label} does not list ${TOOL}`);
    }
    return { ms, tools };
  } finally {
    await connection.close();
  }
}

interface ColdStartResult {
  ours: Summary;
  minimal: Summary;
  unbundled: Summary;
  embedded: { samples: number[]; summary: Summary };
  ratioP50: number;
  ratioP90: number;
}

async function benchColdStart(
  sandbox: Sandbox,
  options: BenchOptions,
  dir: string,
): Promise<ColdStartResult> {
  const env = { AGENTRUNTIME_API_URL: sandbox.url, AGENTRUNTIME_TOKEN: sandbox.contributor };
  const servers: Array<{ kind: ServerKind; label: string; ms: number[] }> = [
    { kind: "ours", label: "our MCP server", ms: [] },
    { kind: "minimal", label: "the minimal MCP server", ms: [] },
    { kind: "ours-unbundled", label: "our MCP server (unbundled)", ms: [] },
  ];
  // One unmeasured start of each first, so all find the OS file cache equally warm.
  for (const server of servers) await coldStart(server.label, server.kind, env);
  for (let run = 0; run < options.runs; run++) {
    // Interleaved, and which goes first rotates too, so drift hits all alike.
    for (let i = 0; i < servers.length; i++) {
      const server = servers[(run + i) % servers.length];
      if (server) server.ms.push((await coldStart(server.label, server.kind, env)).ms);
    }
  }
  const [oursMs, minimalMs, unbundledMs] = servers.map((server) => server.ms);
  // No API URL: ours starts its embedded sandbox (SQLite) before it answers. One data folder
  // for all runs, so the first run creates and seeds the database and the others reopen it.
  // A free port, not the folder's default 8787, which another sandbox may hold.
  const embeddedEnv = {
    AGENTRUNTIME_SANDBOX_DIR: join(dir, "embedded"),
    AGENTRUNTIME_SANDBOX_PORT: "0",
  };
  const embedded: number[] = [];
  for (let run = 0; run < options.embeddedRuns; run++) {
    embedded.push((await coldStart("our MCP server (embedded)", "ours-embedded", embeddedEnv)).ms);
  }
  const oursSummary = summarize(oursMs ?? []);
  const minimalSummary = summarize(minimalMs ?? []);
  return {
    ours: oursSummary,
    minimal: minimalSummary,
    unbundled: summarize(unbundledMs ?? []),
    embedded: { samples: embedded, summary: summarize(embedded) },
    ratioP50: oursSummary.p50 / minimalSummary.p50,
    ratioP90: oursSummary.p90 / minimalSummary.p90,
  };
}

async function createSubscriptions(sandbox: Sandbox): Promise<void> {
  for (let n = 1; n <= SUBSCRIPTIONS; n++) {
    const response = await fetch(`${sandbox.url}/v1/inbound-webhooks`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${sandbox.contributor}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        workflow_id: sandbox.workflowId,
        name: `bench-${n}`,
        automation_pat_id: sandbox.automationKeyId,
      }),
    });
    const text = await response.text();
    if (response.status !== 201) {
      throw new Error(`creating subscription bench-${n} answered ${response.status}: ${text}`);
    }
  }
}

function subscriptionCount(body: unknown, what: string): number {
  const list = isRecord(body) ? body.subscriptions : undefined;
  if (!Array.isArray(list)) throw new Error(`${what} holds no "subscriptions" array`);
  return list.length;
}

type PathName = "ours" | "memory" | "minimal" | "direct";

interface CallPath {
  name: PathName;
  /** The timed part: the call until its answer is parsed. */
  call(): Promise<unknown>;
  /** Untimed: throws unless the answer lists the expected subscriptions; returns its bytes. */
  check(answer: unknown, expected: number): number;
}

function toolText(answer: unknown, what: string): string {
  if (!isRecord(answer)) throw new Error(`${what} answered no object`);
  const content = Array.isArray(answer.content) ? answer.content[0] : undefined;
  if (answer.isError === true) {
    throw new Error(`${what} answered an error: ${isRecord(content) ? content.text : "?"}`);
  }
  return stringField(content, "text", `${what}'s first content`);
}

/** A list call to our server, over stdio or in memory. */
function oursPath(name: "ours" | "memory", client: Client): CallPath {
  return {
    name,
    // Ours also returns structuredContent, which the SDK client checks against the tool's
    // outputSchema (cached by the tools/list before): a cost every host pays too.
    call: () => client.callTool({ name: TOOL, arguments: {} }, undefined, timeout),
    check(answer, expected) {
      toolText(answer, `our server (${name})`);
      const structured = isRecord(answer) ? answer.structuredContent : undefined;
      const count = subscriptionCount(structured, "our structuredContent");
      if (count !== expected) throw new Error(`${name} listed ${count}, expected ${expected}`);
      return Buffer.byteLength(JSON.stringify(answer));
    },
  };
}

const timeout = { timeout: CALL_TIMEOUT_MS };

function callPaths(ours: Client, memory: Client, minimal: Client, sandbox: Sandbox): CallPath[] {
  const url = `${sandbox.url}/v1/inbound-webhooks`;
  const headers = { authorization: `Bearer ${sandbox.contributor}` };
  return [
    oursPath("ours", ours),
    oursPath("memory", memory),
    {
      name: "minimal",
      call: () => minimal.callTool({ name: TOOL, arguments: {} }, undefined, timeout),
      check(answer, expected) {
        const count = subscriptionCount(JSON.parse(toolText(answer, "minimal")), "minimal text");
        if (count !== expected) throw new Error(`minimal listed ${count}, expected ${expected}`);
        return Buffer.byteLength(JSON.stringify(answer));
      },
    },
    {
      name: "direct",
      call: async () => {
        const response = await fetch(url, {
          headers,
          signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
        });
        return { status: response.status, body: (await response.json()) as unknown };
      },
      check(answer, expected) {
        const status = isRecord(answer) ? answer.status : undefined;
        const body = isRecord(answer) ? answer.body : undefined;
        if (status !== 200) throw new Error(`GET ${url} answered ${String(status)}`);
        const count = subscriptionCount(body, "the GET answer");
        if (count !== expected) throw new Error(`GET listed ${count}, expected ${expected}`);
        return Buffer.byteLength(JSON.stringify(body));
      },
    },
  ];
}

/**
 * Sequential rounds of one call per path, the order rotating per round so no path always
 * follows the same other one; the first WARMUP_CALLS rounds are not kept.
 */
async function measurePaths(paths: CallPath[], calls: number, expected: number) {
  const samples: Partial<Record<PathName, number[]>> = {};
  const bytes: Partial<Record<PathName, number>> = {};
  for (let round = 0; round < WARMUP_CALLS + calls; round++) {
    for (let i = 0; i < paths.length; i++) {
      const path = paths[(round + i) % paths.length];
      if (!path) continue;
      const started = performance.now();
      let answer: unknown;
      try {
        answer = await path.call();
      } catch (error) {
        throw new Error(`${path.name} call ${round + 1} failed: ${message(error)}`);
      }
      const ms = performance.now() - started;
      bytes[path.name] = path.check(answer, expected);
      if (round >= WARMUP_CALLS) samples[path.name] = [...(samples[path.name] ?? []), ms];
    }
  }
  return { samples, bytes };
}

/** Creating a webhook over MCP (ours, the minimal server), and the same POST sent directly. */
function createPaths(ours: Client, minimal: Client, sandbox: Sandbox): CallPath[] {
  let made = 0;
  const body = () => ({
    workflow_id: sandbox.workflowId,
    name: `bench create ${++made}`,
    automation_pat_id: sandbox.automationKeyId,
  });
  return [
    {
      name: "ours",
      call: () =>
        ours.callTool({ name: CREATE_TOOL, arguments: body() }, undefined, {
          timeout: CALL_TIMEOUT_MS,
        }),
      check(answer) {
        toolText(answer, "our create");
        const structured = isRecord(answer) ? answer.structuredContent : undefined;
        stringField(isRecord(structured) ? structured.subscription : undefined, "id", "created");
        return Buffer.byteLength(JSON.stringify(answer));
      },
    },
    {
      name: "minimal",
      call: () =>
        minimal.callTool({ name: CREATE_TOOL, arguments: body() }, undefined, {
          timeout: CALL_TIMEOUT_MS,
        }),
      check(answer) {
        const created: unknown = JSON.parse(toolText(answer, "minimal create"));
        stringField(isRecord(created) ? created.subscription : undefined, "id", "minimal created");
        return Buffer.byteLength(JSON.stringify(answer));
      },
    },
    {
      name: "direct",
      call: async () => {
        const response = await fetch(`${sandbox.url}/v1/inbound-webhooks`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${sandbox.contributor}`,
            "content-type": "application/json",
            "idempotency-key": crypto.randomUUID(),
          },
          body: JSON.stringify(body()),
          signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
        });
        return { status: response.status, body: (await response.json()) as unknown };
      },
      check(answer) {
        const status = isRecord(answer) ? answer.status : undefined;
        if (status !== 201) throw new Error(`direct create answered ${String(status)}`);
        return Buffer.byteLength(JSON.stringify(isRecord(answer) ? answer.body : null));
      },
    },
  ];
}

interface RoundTripResult {
  subscriptions: number;
  paths: Record<PathName, Summary & { answerBytes: number }>;
  ratios: {
    oursMinimalP50: number;
    oursMinimalP99: number;
    oursDirectP50: number;
    oursDirectP99: number;
  };
  /** `create_inbound_webhook` over MCP against the POST it makes, made directly. */
  create: {
    ours: Summary;
    minimal: Summary;
    direct: Summary;
    ratioP50: number;
    minimalDirectP50: number;
  };
}

async function benchRoundTrip(
  sandbox: Sandbox,
  options: BenchOptions,
): Promise<{ roundTrip: RoundTripResult; catalogue: ListToolsResult; instructions: string }> {
  const preflight = await fetch(`${sandbox.url}/v1/inbound-webhooks`, {
    headers: { authorization: `Bearer ${sandbox.contributor}` },
  });
  const expected = subscriptionCount(await preflight.json(), "the pre-flight GET");
  if (expected < SUBSCRIPTIONS) {
    throw new Error(`the sandbox lists ${expected} subscriptions, expected ${SUBSCRIPTIONS}+`);
  }
  const env = { AGENTRUNTIME_API_URL: sandbox.url, AGENTRUNTIME_TOKEN: sandbox.contributor };
  const connections: Connection[] = [];
  try {
    const ours = await connect("our MCP server", "ours", env);
    connections.push(ours);
    const minimal = await connect("the minimal MCP server", "minimal", env);
    connections.push(minimal);
    // A host lists the tools before it calls one; for ours that caches the output validator.
    const catalogue = await ours.client.listTools(undefined, { timeout: CALL_TIMEOUT_MS });
    await minimal.client.listTools(undefined, { timeout: CALL_TIMEOUT_MS });

    const memory = await connectInMemory(sandbox);
    connections.push(memory);
    await memory.client.listTools(undefined, { timeout: CALL_TIMEOUT_MS });

    const paths = callPaths(ours.client, memory.client, minimal.client, sandbox);
    const { samples, bytes } = await measurePaths(paths, options.calls, expected);
    const creates = await measurePaths(
      createPaths(ours.client, minimal.client, sandbox),
      options.calls,
      0,
    );
    const summary = (name: PathName) => ({
      ...summarize(samples[name] ?? []),
      answerBytes: bytes[name] ?? 0,
    });
    const createOurs = summarize(creates.samples.ours ?? []);
    const createMinimal = summarize(creates.samples.minimal ?? []);
    const createDirect = summarize(creates.samples.direct ?? []);
    const result = {
      ours: summary("ours"),
      memory: summary("memory"),
      minimal: summary("minimal"),
      direct: summary("direct"),
    };
    return {
      roundTrip: {
        subscriptions: expected,
        paths: result,
        ratios: {
          oursMinimalP50: result.ours.p50 / result.minimal.p50,
          oursMinimalP99: result.ours.p99 / result.minimal.p99,
          oursDirectP50: result.ours.p50 / result.direct.p50,
          oursDirectP99: result.ours.p99 / result.direct.p99,
        },
        create: {
          ours: createOurs,
          minimal: createMinimal,
          direct: createDirect,
          ratioP50: createOurs.p50 / createDirect.p50,
          minimalDirectP50: createMinimal.p50 / createDirect.p50,
        },
      },
      catalogue,
      instructions: ours.client.getInstructions() ?? "",
    };
  } finally {
    await Promise.all(connections.map((connection) => connection.close()));
  }
}

interface Size {
  bytes: number;
  tokens: number;
}

interface CatalogueResult {
  tools: Size & { count: number };
  /** What a model reads of each tool: name, description, input schema. */
  modelRead: Size;
  result: Size;
  instructions: Size;
  perTool: Array<{ name: string } & Size>;
}

function size(text: string): Size {
  return { bytes: Buffer.byteLength(text), tokens: encode(text).length };
}

function measureCatalogue(listed: ListToolsResult, instructions: string): CatalogueResult {
  return {
    tools: { count: listed.tools.length, ...size(JSON.stringify(listed.tools)) },
    modelRead: listed.tools
      .map(({ name, description, inputSchema }) =>
        size(JSON.stringify({ name, description, inputSchema })),
      )
      .reduce((sum, one) => ({ bytes: sum.bytes + one.bytes, tokens: sum.tokens + one.tokens }), {
        bytes: 0,
        tokens: 0,
      }),
    result: size(JSON.stringify(listed)),
    instructions: size(instructions),
    perTool: listed.tools.map((tool) => ({ name: tool.name, ...size(JSON.stringify(tool)) })),
  };
}

// ---------------------------------------------------------------------------------------------
// Output

interface Report {
  sandboxUrl: string;
  cold: ColdStartResult;
  roundTrip: RoundTripResult;
  catalogue: CatalogueResult;
}

function printTable(report: Report, options: BenchOptions): void {
  const { cold, roundTrip, catalogue } = report;
  const within = (ok: boolean) => (ok ? "within target" : "OVER target");
  const embedded = cold.embedded.samples.map((ms) => fixed(ms, 0)).join(", ");
  const out: string[] = [
    `MCP server benchmark, node ${process.version}, sandbox ${report.sandboxUrl} (127.0.0.1)`,
    "",
    `1. Cold start: spawn → first tools/list answer over stdio, ${options.runs} runs each, ` +
      "interleaved, after 1 unmeasured start of each",
    "",
    table([
      ["server", "median ms", "p90 ms", "min ms", "max ms"],
      ...(
        [
          ["ours (API URL set)", cold.ours],
          ["minimal SDK server", cold.minimal],
          ["ours unbundled (tsc output)", cold.unbundled],
        ] as const
      ).map(([name, s]) => [
        name,
        fixed(s.p50, 1),
        fixed(s.p90, 1),
        fixed(s.min, 1),
        fixed(s.max, 1),
      ]),
    ]),
    "",
    `ratio ours/minimal: median ${fixed(cold.ratioP50, 2)} (target ≤ ${COLD_START_TARGET.toFixed(2)}, ` +
      `${within(cold.ratioP50 <= COLD_START_TARGET)}), p90 ${fixed(cold.ratioP90, 2)}`,
    `ratio ours unbundled/minimal (informational): median ${fixed(cold.unbundled.p50 / cold.minimal.p50, 2)}`,
    options.embeddedRuns > 0
      ? `ours with its embedded sandbox (no API URL; informational): median ` +
        `${fixed(cold.embedded.summary.p50, 1)} ms over ${options.embeddedRuns} run(s): ` +
        `${embedded} ms (the first creates and seeds the database)`
      : "ours with its embedded sandbox: not measured (--embedded-runs 0)",
    "",
    `2. Round trip of ${TOOL}, ${roundTrip.subscriptions} subscriptions, ${options.calls} ` +
      `sequential calls each after ${WARMUP_CALLS} warm-up calls, interleaved`,
    "",
    table([
      ["path", "p50 ms", "p99 ms", "min ms", "max ms", "answer bytes"],
      ...(
        [
          ["ours (MCP stdio)", roundTrip.paths.ours],
          ["ours (MCP in-memory, this process)", roundTrip.paths.memory],
          ["minimal (MCP stdio)", roundTrip.paths.minimal],
          ["direct HTTP GET", roundTrip.paths.direct],
        ] as const
      ).map(([name, s]) => [name, ...latencyCells(s), String(s.answerBytes)]),
    ]),
    "",
    `ratio ours/minimal: p50 ${fixed(roundTrip.ratios.oursMinimalP50, 2)}, ` +
      `p99 ${fixed(roundTrip.ratios.oursMinimalP99, 2)}`,
    `ratio minimal/direct (the stdio hop and the SDK alone): p50 ${fixed(
      roundTrip.paths.minimal.p50 / roundTrip.paths.direct.p50,
      2,
    )}`,
    `the stdio hop alone (ours stdio - ours in-memory): p50 ${fixed(
      roundTrip.paths.ours.p50 - roundTrip.paths.memory.p50,
      3,
    )} ms`,
    `ratio ours/direct:  p50 ${fixed(roundTrip.ratios.oursDirectP50, 2)}, ` +
      `p99 ${fixed(roundTrip.ratios.oursDirectP99, 2)} ` +
      `(target ≤ ${OVERHEAD_TARGET} at p50, ${within(roundTrip.ratios.oursDirectP50 <= OVERHEAD_TARGET)})`,
    "",
    `${CREATE_TOOL}, ${options.calls} calls each after ${WARMUP_CALLS} warm-up calls, interleaved:`,
    "",
    table([
      ["path", "p50 ms", "p99 ms", "min ms", "max ms"],
      ...(
        [
          ["ours (MCP stdio)", roundTrip.create.ours],
          ["minimal (MCP stdio)", roundTrip.create.minimal],
          ["direct HTTP POST", roundTrip.create.direct],
        ] as const
      ).map(([name, s]) => [name, ...latencyCells(s)]),
    ]),
    "",
    `ratio minimal/direct (the stdio hop and the SDK alone): p50 ${fixed(
      roundTrip.create.minimalDirectP50,
      2,
    )}`,
    `ratio ours/direct: p50 ${fixed(roundTrip.create.ratioP50, 2)} ` +
      `(target ≤ ${OVERHEAD_TARGET}, ${within(roundTrip.create.ratioP50 <= OVERHEAD_TARGET)})`,
    "",
    "3. Catalogue: our tools/list result, tokens by gpt-tokenizer (o200k_base)",
    "",
    table([
      ["tool", "bytes", "tokens"],
      ...catalogue.perTool.map((t) => [t.name, String(t.bytes), String(t.tokens)]),
      ["", "", ""],
      [
        `all ${catalogue.tools.count} tools (result.tools)`,
        String(catalogue.tools.bytes),
        String(catalogue.tools.tokens),
      ],
      ["whole tools/list result", String(catalogue.result.bytes), String(catalogue.result.tokens)],
      [
        "server instructions (informational)",
        String(catalogue.instructions.bytes),
        String(catalogue.instructions.tokens),
      ],
    ]),
    "",
    `what a model reads (name + description + input schema of all ${catalogue.tools.count}): ` +
      `${catalogue.modelRead.tokens} tokens (target ≤ ${CATALOGUE_TARGET_TOKENS}, ` +
      `${within(catalogue.modelRead.tokens <= CATALOGUE_TARGET_TOKENS)})`,
  ];
  process.stdout.write(`${out.join("\n")}\n`);
}

function printJson(report: Report, options: BenchOptions): void {
  const ms = (s: Summary, keys: readonly (keyof Summary)[]) =>
    Object.fromEntries(keys.map((key) => [key === "n" ? "n" : `${key}_ms`, round3(s[key])]));
  const coldKeys = ["n", "p50", "p90", "min", "max"] as const;
  const tripKeys = ["n", "p50", "p99", "min", "max"] as const;
  const { cold, roundTrip, catalogue } = report;
  const path = (name: PathName) => ({
    ...ms(roundTrip.paths[name], tripKeys),
    answer_bytes: roundTrip.paths[name].answerBytes,
  });
  process.stdout.write(
    `${JSON.stringify({
      node: process.version,
      cold_start: {
        runs: options.runs,
        ours: ms(cold.ours, coldKeys),
        minimal: ms(cold.minimal, coldKeys),
        unbundled: ms(cold.unbundled, coldKeys),
        ratio_p50: round3(cold.ratioP50),
        ratio_p90: round3(cold.ratioP90),
        target_ratio: COLD_START_TARGET,
        embedded_ms: cold.embedded.samples.map(round3),
      },
      round_trip: {
        tool: TOOL,
        subscriptions: roundTrip.subscriptions,
        warmup_calls: WARMUP_CALLS,
        calls: options.calls,
        ours: path("ours"),
        memory: path("memory"),
        minimal: path("minimal"),
        direct: path("direct"),
        ratio_ours_minimal_p50: round3(roundTrip.ratios.oursMinimalP50),
        ratio_ours_minimal_p99: round3(roundTrip.ratios.oursMinimalP99),
        ratio_ours_direct_p50: round3(roundTrip.ratios.oursDirectP50),
        ratio_ours_direct_p99: round3(roundTrip.ratios.oursDirectP99),
        create: {
          tool: CREATE_TOOL,
          ours: ms(roundTrip.create.ours, tripKeys),
          minimal: ms(roundTrip.create.minimal, tripKeys),
          direct: ms(roundTrip.create.direct, tripKeys),
          ratio_ours_direct_p50: round3(roundTrip.create.ratioP50),
          ratio_minimal_direct_p50: round3(roundTrip.create.minimalDirectP50),
        },
        target_ratio_direct_p50: OVERHEAD_TARGET,
      },
      catalogue: {
        encoding: "o200k_base",
        tool_count: catalogue.tools.count,
        tools_bytes: catalogue.tools.bytes,
        tools_tokens: catalogue.tools.tokens,
        model_read_tokens: catalogue.modelRead.tokens,
        result_bytes: catalogue.result.bytes,
        result_tokens: catalogue.result.tokens,
        instructions_bytes: catalogue.instructions.bytes,
        instructions_tokens: catalogue.instructions.tokens,
        target_tokens: CATALOGUE_TARGET_TOKENS,
        per_tool: catalogue.perTool,
      },
    })}\n`,
  );
}

/** The run's figures as data: docs/figures/mcp.json, shown in docs/benchmarks.md. */
function writeReportFigures(report: Report, options: BenchOptions): string {
  const { cold, roundTrip, catalogue } = report;
  const ms = (value: number) => round3(value);
  const minimal = (s: Summary) => ({ value: ms(s.p50), label: "minimal server" });
  return writeFigures({
    bench: "mcp",
    title: "MCP server",
    command: "npm run bench:mcp",
    machine: thisMachine(),
    options: { runs: options.runs, calls: options.calls },
    figures: [
      {
        figure: `cold start, median of ${options.runs}`,
        value: ms(cold.ours.p50),
        unit: "ms",
        baseline: minimal(cold.minimal),
        ratio: round3(cold.ratioP50),
        target: `≤ ${COLD_START_TARGET}`,
        met: cold.ratioP50 <= COLD_START_TARGET,
      },
      {
        figure: "cold start of the unbundled tsc output",
        value: ms(cold.unbundled.p50),
        unit: "ms",
        baseline: minimal(cold.minimal),
        ratio: round3(cold.unbundled.p50 / cold.minimal.p50),
      },
      {
        figure: `${TOOL} p50, against the minimal server`,
        value: ms(roundTrip.paths.ours.p50),
        unit: "ms",
        baseline: minimal(roundTrip.paths.minimal),
        ratio: round3(roundTrip.ratios.oursMinimalP50),
      },
      {
        figure: `${TOOL} p50, against a direct GET`,
        value: ms(roundTrip.paths.ours.p50),
        unit: "ms",
        baseline: { value: ms(roundTrip.paths.direct.p50), label: "direct GET" },
        ratio: round3(roundTrip.ratios.oursDirectP50),
        target: `≤ ${OVERHEAD_TARGET}`,
        met: roundTrip.ratios.oursDirectP50 <= OVERHEAD_TARGET,
      },
      {
        figure: "the same list over the in-memory transport, p50",
        value: ms(roundTrip.paths.memory.p50),
        unit: "ms",
        baseline: { value: ms(roundTrip.paths.direct.p50), label: "direct GET" },
        ratio: round3(roundTrip.paths.memory.p50 / roundTrip.paths.direct.p50),
      },
      {
        figure: "the minimal server's list, p50",
        value: ms(roundTrip.paths.minimal.p50),
        unit: "ms",
        baseline: { value: ms(roundTrip.paths.direct.p50), label: "direct GET" },
        ratio: round3(roundTrip.paths.minimal.p50 / roundTrip.paths.direct.p50),
      },
      {
        figure: `${CREATE_TOOL} p50, against a direct POST`,
        value: ms(roundTrip.create.ours.p50),
        unit: "ms",
        baseline: { value: ms(roundTrip.create.direct.p50), label: "direct POST" },
        ratio: round3(roundTrip.create.ratioP50),
        target: `≤ ${OVERHEAD_TARGET}`,
        met: roundTrip.create.ratioP50 <= OVERHEAD_TARGET,
      },
      {
        figure: `${CREATE_TOOL} p50, against the minimal server`,
        value: ms(roundTrip.create.ours.p50),
        unit: "ms",
        baseline: minimal(roundTrip.create.minimal),
        ratio: round3(roundTrip.create.ours.p50 / roundTrip.create.minimal.p50),
      },
      {
        figure: `catalogue a model reads, all ${catalogue.tools.count} tools`,
        value: catalogue.modelRead.tokens,
        unit: "tokens",
        target: `≤ ${CATALOGUE_TARGET_TOKENS.toLocaleString("en-US")}`,
        met: catalogue.modelRead.tokens <= CATALOGUE_TARGET_TOKENS,
      },
      {
        figure: "whole tools/list result, with output schemas",
        value: catalogue.result.tokens,
        unit: "tokens",
      },
      {
        figure: "whole tools/list result, with output schemas",
        value: catalogue.result.bytes,
        unit: "bytes",
      },
    ],
    notes: [],
  });
}

// ---------------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (!options) {
    process.stdout.write(HELP);
    return 0;
  }
  profileDir = options.profile;
  const dir = makeTempDir("arw-mcp-bench-");
  let report: Report;
  try {
    const sandbox = await startSandbox(dir);
    try {
      await createSubscriptions(sandbox);
      const cold = await benchColdStart(sandbox, options, dir);
      const { roundTrip, catalogue, instructions } = await benchRoundTrip(sandbox, options);
      report = {
        sandboxUrl: sandbox.url,
        cold,
        roundTrip,
        catalogue: measureCatalogue(catalogue, instructions),
      };
    } finally {
      await stopChild(sandbox.child);
    }
  } finally {
    await stopAllChildren();
    killChildrenNow();
    removeTempDir();
  }
  if (options.json) printJson(report, options);
  else printTable(report, options);
  process.stderr.write(`figures written to ${writeReportFigures(report, options)}\n`);
  return 0;
}

killChildrenOnExit();
runMain("mcp bench", main);
