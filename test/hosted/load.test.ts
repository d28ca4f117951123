import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StepView } from "../../src/wizard/steps.js";
import {
  connectHosted,
  type Replica,
  type RoundRobin,
  startReplica,
  startRoundRobin,
  TEST_PAGE_KEY,
} from "../helpers/hosted.js";
import { textOf } from "../helpers/mcp.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

/** Guided setups run at once; `HOSTED_LOAD_SETUPS` changes it for a longer run by hand. */
const SETUPS = Number(process.env.HOSTED_LOAD_SETUPS ?? 200);

let postgres: TestPostgres;
let sandbox: TestSandbox;
beforeAll(async () => {
  [postgres, sandbox] = await Promise.all([startTestPostgres(), startTestSandbox()]);
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
  postgres?.stop();
});

interface Fleet {
  proxy: RoundRobin;
  replicas: Replica[];
  storeUrl: string;
  stop(): Promise<void>;
}

async function startFleet(size: number): Promise<Fleet> {
  const [proxy, storeUrl] = await Promise.all([startRoundRobin(), postgres.createDatabase()]);
  const replicas = await Promise.all(
    Array.from({ length: size }, () =>
      startReplica({ store: storeUrl, publicUrl: proxy.url, apiUrl: sandbox.url }),
    ),
  );
  proxy.targets.push(...replicas.map((replica) => replica.port));
  return {
    proxy,
    replicas,
    storeUrl,
    async stop() {
      await Promise.all(replicas.map((replica) => replica.stop()));
      await proxy.close();
    },
  };
}

function view(result: CallToolResult): StepView {
  if (result.isError) throw new Error(textOf(result));
  return result.structuredContent as StepView;
}

/** One person's whole setup through the balancer; every tool call timed by its action. */
async function oneSetup(fleet: Fleet, name: string, timings: Map<string, number[]>) {
  const caller = await connectHosted(fleet.proxy.url, sandbox.tokens.contributor);
  const timed = async (label: string, tool: string, args: Record<string, unknown>) => {
    const started = performance.now();
    const result = await caller.call(tool, args);
    const list = timings.get(label) ?? [];
    list.push(performance.now() - started);
    timings.set(label, list);
    return view(result);
  };
  const answer = (step: StepView, action: string, extra: Record<string, unknown> = {}) =>
    timed(action, "answer_inbound_webhook_wizard", { wizard_id: step.wizard_id, action, ...extra });
  try {
    let step = await timed("start", "start_inbound_webhook_wizard", {
      workflow_id: sandbox.weekly.id,
    });
    step = await answer(step, "set_name", { value: name });
    step = await answer(step, "choose_api_key", { value: sandbox.vaultKey.id });
    step = await answer(step, "skip_extras");
    step = await answer(step, "confirm");
    const shown = await fetch(step.reveal_url as string, {
      method: "POST",
      headers: { origin: new URL(step.reveal_url as string).origin },
    });
    if (shown.status !== 200) throw new Error(`reveal answered ${shown.status}`);
    await shown.text();
    step = await answer(step, "continue");
    step = await answer(step, "finish");
    return step.status;
  } finally {
    await caller.close();
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
};

async function storedText(storeUrl: string): Promise<string> {
  const client = new pg.Client({ connectionString: storeUrl });
  await client.connect();
  try {
    const parts: string[] = [];
    for (const table of ["wizards", "once_pages", "sealed_values"])
      parts.push(JSON.stringify((await client.query(`SELECT * FROM ${table}`)).rows));
    return parts.join("\n");
  } finally {
    await client.end();
  }
}

async function runFleet(size: number, prefix: string) {
  const fleet = await startFleet(size);
  const timings = new Map<string, number[]>();
  try {
    const outcomes = await Promise.allSettled(
      Array.from({ length: SETUPS }, (_, index) => oneSetup(fleet, `${prefix}-${index}`, timings)),
    );
    const failures = outcomes.filter((outcome) => outcome.status === "rejected");
    expect(failures.map((failure) => String(failure.reason)).slice(0, 3)).toEqual([]);
    expect(outcomes.every((o) => o.status === "fulfilled" && o.value === "done")).toBe(true);
    const logs = fleet.replicas.map((replica) => replica.logs()).join("\n");
    const stored = await storedText(fleet.storeUrl);
    for (const text of [logs, stored]) {
      for (const secret of [sandbox.vaultKey.pat, sandbox.tokens.contributor, TEST_PAGE_KEY])
        expect(text).not.toContain(secret);
      expect(text).not.toMatch(/whsec_[A-Za-z0-9_-]{16,}/);
    }
    const served = new Set(fleet.proxy.served);
    expect(served.size).toBe(size);
    return timings;
  } finally {
    await fleet.stop();
  }
}

describe(`${SETUPS} concurrent guided setups`, () => {
  it("all finish on three replicas with no duplicate subscription and no secret stored or logged; latency printed against one replica", async () => {
    const three = await runFleet(3, "load3");
    const one = await runFleet(1, "load1");
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await sandbox.api(
        `/v1/inbound-webhooks?workflow_id=${sandbox.weekly.id}&limit=200${cursor ? `&cursor=${cursor}` : ""}`,
      );
      names.push(...page.body.subscriptions.map((s: { name: string }) => s.name));
      cursor = page.body.next_cursor ?? undefined;
    } while (cursor);
    for (const prefix of ["load3", "load1"]) {
      const made = names.filter((name) => name.startsWith(`${prefix}-`));
      expect(made).toHaveLength(SETUPS);
      expect(new Set(made).size).toBe(SETUPS);
    }
    const rows = [...three.keys()].map((label) => {
      const a = three.get(label) ?? [];
      const b = one.get(label) ?? [];
      return {
        call: label,
        "p50 3 replicas (ms)": Math.round(percentile(a, 50)),
        "p99 3 replicas (ms)": Math.round(percentile(a, 99)),
        "p50 1 replica (ms)": Math.round(percentile(b, 50)),
        "p99 1 replica (ms)": Math.round(percentile(b, 99)),
      };
    });
    console.table(rows);
  }, 300_000);
});
