/**
 * On-demand measurement (not part of `npm test`) of hosted mode under concurrent setups:
 * real PostgreSQL, the sandbox as AgentRuntime, 1 and 3 replicas behind a round-robin balancer,
 * 10 and 50 guided setups at once, each driven to done through the wizard tools by its own
 * MCP client over Streamable HTTP (its reveal page opened through the balancer too).
 *
 * Beside it, in the same run and interleaved round by round, the floor: a stateless server of
 * the same SDK (`floor-hosted-server.ts`) whose one tool does one PostgreSQL read, one write
 * and one GET to the sandbox per call, behind the same balancer, with as many processes, driven
 * by as many clients making as many calls. A row's figures are the median of its rounds.
 *
 * Prints a table, then the rows as JSON on its last line, and writes them to
 * docs/figures/hosted.json (through `writeFigures`, which also rewrites the blocks shown from it).
 *
 *   npm run build && npm run bench:hosted [-- --rounds 2]
 */
import { randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import pg from "pg";
import { thisMachine, writeFigures } from "../docs/figures.js";
import { connectHosted, type RoundRobin, startRoundRobin } from "../helpers/hosted.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import {
  CLI_SCRIPT,
  cpuProfileFlags,
  fixed,
  killChildrenOnExit,
  makeTempDir,
  parseBenchArgs,
  percentile,
  removeTempDir,
  round3,
  runMain,
  type SandboxInfo,
  sandboxArgs,
  sandboxInfo,
  startChild,
  stopAllChildren,
  stopChild,
  stringField,
  table,
} from "./common.js";
import { CALLS_PER_SETUP, type HostedRow, hostedFiguresFile } from "./hosted-figures.js";

const FLOOR_SCRIPT = fileURLToPath(new URL("./floor-hosted-server.js", import.meta.url));
const REPLICAS = [1, 3] as const;
const CONCURRENCY = [10, 50] as const;

const HELP = `Usage: node dist/test/bench/hosted.bench.js [--rounds <n>]

Hosted mode on PostgreSQL against its floor: ${REPLICAS.join(" and ")} replicas, ${CONCURRENCY.join(
  " and ",
)} setups at once, each driven to done over MCP Streamable HTTP; the floor is a stateless server
of the same SDK doing one read, one write and one upstream GET per call.

  --rounds <n>     interleaved rounds per row, median reported (default 2)
  --profile <dir>  write a V8 CPU profile of each replica into <dir> (skews the figures)
`;

interface Round {
  callsPerS: number;
  p50: number;
  p99: number;
}

/** One side under test: ours or the floor, its processes behind one balancer. */
interface Fleet {
  balancer: RoundRobin;
  stop(): Promise<void>;
}

function failedText(result: CallToolResult): string {
  return result.content.map((item) => (item.type === "text" ? item.text : "")).join(" ");
}

async function startFleet(
  label: string,
  size: number,
  args: (publicUrl: string) => string[],
  env: NodeJS.ProcessEnv,
): Promise<Fleet> {
  const balancer = await startRoundRobin();
  const children = await Promise.all(
    Array.from({ length: size }, (_, index) =>
      startChild(`${label} ${index + 1}`, args(balancer.url), env),
    ),
  );
  for (const { line } of children)
    balancer.targets.push(Number(new URL(JSON.parse(line).url).port));
  return {
    balancer,
    async stop() {
      await Promise.all(children.map(({ child }) => stopChild(child)));
      await balancer.close();
    },
  };
}

/** Runs `count` sessions at once; each returns its calls' latencies. */
async function round(count: number, session: (index: number) => Promise<number[]>) {
  const started = performance.now();
  const latencies = (await Promise.all(Array.from({ length: count }, (_, i) => session(i)))).flat();
  const seconds = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    callsPerS: latencies.length / seconds,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
  } satisfies Round;
}

/** One person's whole setup through the balancer, as a model in a Chat host drives it. */
async function oneSetup(url: string, sandbox: SandboxInfo, name: string): Promise<number[]> {
  const caller = await connectHosted(url, sandbox.contributor);
  const latencies: number[] = [];
  const call = async (tool: string, args: Record<string, unknown>) => {
    const started = performance.now();
    const result = await caller.call(tool, args);
    latencies.push(performance.now() - started);
    if (result.isError)
      throw new Error(`${tool} ${String(args.action ?? "")}: ${failedText(result)}`);
    return result.structuredContent as Record<string, unknown>;
  };
  try {
    let step = await call("start_inbound_webhook_wizard", { workflow_id: sandbox.workflowId });
    const wizardId = stringField(step, "wizard_id", "the started setup");
    const answer = (action: string, value?: string) =>
      call("answer_inbound_webhook_wizard", {
        wizard_id: wizardId,
        action,
        ...(value === undefined ? {} : { value }),
      });
    await answer("set_name", name);
    await answer("choose_api_key", sandbox.automationKeyId);
    await answer("skip_extras");
    step = await answer("confirm");
    const revealUrl = stringField(step, "reveal_url", "the confirmed setup");
    const shown = await fetch(revealUrl, { method: "POST", headers: { origin: url } });
    await shown.text();
    if (shown.status !== 200) throw new Error(`the reveal page answered ${shown.status}`);
    await answer("continue");
    step = await answer("finish");
    if (step.status !== "done") throw new Error(`a setup ended ${String(step.status)}`);
    if (latencies.length !== CALLS_PER_SETUP) throw new Error("a setup made an unexpected call");
    return latencies;
  } finally {
    await caller.close();
  }
}

/** As many calls as a setup makes, each one read, one write and one upstream GET. */
async function oneFloorSession(url: string, sandbox: SandboxInfo): Promise<number[]> {
  const caller = await connectHosted(url, sandbox.contributor);
  const setupId = randomUUID();
  const latencies: number[] = [];
  try {
    for (let call = 0; call < CALLS_PER_SETUP; call += 1) {
      const started = performance.now();
      const result = await caller.call("touch_setup", { setup_id: setupId, step: `step-${call}` });
      latencies.push(performance.now() - started);
      if (result.isError) throw new Error(`the floor's call failed: ${failedText(result)}`);
    }
    return latencies;
  } finally {
    await caller.close();
  }
}

/**
 * Deletes the webhooks a round made (not timed), so every round's setups check their names
 * against the same few: the wizard lists a workflow's webhooks when it asks for a name.
 */
async function deleteBenchWebhooks(sandbox: SandboxInfo): Promise<void> {
  const headers = { authorization: `Bearer ${sandbox.contributor}` };
  for (;;) {
    const response = await fetch(
      `${sandbox.url}/v1/inbound-webhooks?workflow_id=${sandbox.workflowId}&limit=200`,
      { headers },
    );
    const page = (await response.json()) as { subscriptions: { id: string; name: string }[] };
    const made = page.subscriptions.filter((subscription) =>
      subscription.name.startsWith("bench-"),
    );
    if (made.length === 0) return;
    for (const subscription of made) {
      const deleted = await fetch(`${sandbox.url}/v1/inbound-webhooks/${subscription.id}`, {
        method: "DELETE",
        headers,
      });
      await deleted.arrayBuffer();
      if (!deleted.ok) throw new Error(`deleting a benchmark webhook answered ${deleted.status}`);
    }
  }
}

/** The floor's one table, made once before its processes start (they would race to make it). */
async function createFloorTable(connectionString: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(
      "CREATE TABLE floor_setups (id TEXT PRIMARY KEY, snapshot TEXT NOT NULL, version INTEGER NOT NULL)",
    );
  } finally {
    await client.end();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function main(argv: string[]): Promise<number> {
  const options = parseBenchArgs(argv, { rounds: { fallback: 2, min: 1, max: 20 } });
  if (!options) {
    process.stdout.write(HELP);
    return 0;
  }
  killChildrenOnExit();
  const dir = makeTempDir("arw-hosted-bench-");
  let postgres: TestPostgres | undefined;
  const rows: HostedRow[] = [];
  try {
    postgres = await startTestPostgres();
    const { line } = await startChild("the sandbox", sandboxArgs(join(dir, "sandbox.db")));
    const sandbox = sandboxInfo(line, "Weekly report");
    const pageKey = randomBytes(32).toString("base64");
    for (const replicas of REPLICAS) {
      const [storeUrl, floorUrl] = [
        await postgres.createDatabase(),
        await postgres.createDatabase(),
      ];
      const ours = await startFleet(
        "replica",
        replicas,
        (publicUrl) => [
          ...cpuProfileFlags(options.profile),
          CLI_SCRIPT,
          "mcp",
          "--transport",
          "http",
          "--port",
          "0",
          "--json",
          "--store",
          storeUrl,
          "--public-url",
          publicUrl,
          "--api-url",
          sandbox.url,
        ],
        { AGENTRUNTIME_PAGE_KEY: pageKey },
      );
      await createFloorTable(floorUrl);
      const floor = await startFleet("floor", replicas, () => [FLOOR_SCRIPT], {
        DATABASE_URL: floorUrl,
        AGENTRUNTIME_API_URL: sandbox.url,
      });
      const runOurs = (count: number) =>
        roundThenClean(count, (index) =>
          oneSetup(
            ours.balancer.url,
            sandbox,
            `bench-${replicas}-${count}-${randomUUID().slice(0, 8)}-${index}`,
          ),
        );
      const roundThenClean = async (
        count: number,
        session: (index: number) => Promise<number[]>,
      ) => {
        const measured = await round(count, session);
        await deleteBenchWebhooks(sandbox);
        return measured;
      };
      const runFloor = (count: number) =>
        round(count, () => oneFloorSession(floor.balancer.url, sandbox));
      try {
        // Warm both sides (JIT, connection pools) before anything is measured.
        await runOurs(4);
        await runFloor(4);
        for (const concurrency of CONCURRENCY) {
          const oursRounds: Round[] = [];
          const floorRounds: Round[] = [];
          for (let index = 0; index < options.rounds; index += 1) {
            // Alternate which side goes first, so neither always runs on a warmer machine.
            if (index % 2 === 0) {
              oursRounds.push(await runOurs(concurrency));
              floorRounds.push(await runFloor(concurrency));
            } else {
              floorRounds.push(await runFloor(concurrency));
              oursRounds.push(await runOurs(concurrency));
            }
          }
          rows.push({
            replicas,
            concurrency,
            calls_per_s: round3(median(oursRounds.map((r) => r.callsPerS))),
            p50_ms: round3(median(oursRounds.map((r) => r.p50))),
            p99_ms: round3(median(oursRounds.map((r) => r.p99))),
            floor_calls_per_s: round3(median(floorRounds.map((r) => r.callsPerS))),
            floor_p99_ms: round3(median(floorRounds.map((r) => r.p99))),
          });
          process.stderr.write(`measured ${replicas} replica(s) at ${concurrency} setups\n`);
        }
      } finally {
        await ours.stop();
        await floor.stop();
      }
    }
  } finally {
    await stopAllChildren();
    postgres?.stop();
    removeTempDir();
  }
  const ratio = (a: number | null, b: number | null) => (a && b ? a / b : Number.NaN);
  process.stdout.write(
    `${table([
      [
        "replicas",
        "setups",
        "calls/s",
        "p50 ms",
        "p99 ms",
        "floor calls/s",
        "floor p99 ms",
        "calls/s ÷ floor",
        "p99 ÷ floor",
      ],
      ...rows.map((row) => [
        String(row.replicas),
        String(row.concurrency),
        fixed(row.calls_per_s ?? Number.NaN, 1),
        fixed(row.p50_ms ?? Number.NaN, 1),
        fixed(row.p99_ms ?? Number.NaN, 1),
        fixed(row.floor_calls_per_s ?? Number.NaN, 1),
        fixed(row.floor_p99_ms ?? Number.NaN, 1),
        fixed(ratio(row.calls_per_s, row.floor_calls_per_s), 2),
        fixed(ratio(row.p99_ms, row.floor_p99_ms), 2),
      ]),
    ])}\n`,
  );
  const written = writeFigures(hostedFiguresFile(rows, options.rounds, thisMachine()));
  process.stderr.write(`wrote ${written}\n`);
  process.stdout.write(`${JSON.stringify({ rows })}\n`);
  return 0;
}

runMain("hosted.bench", main);
