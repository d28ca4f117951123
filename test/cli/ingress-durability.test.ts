import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { registerIdFunctions } from "../../src/sandbox/ids.js";
import { type CliProcess, spawnCli } from "../helpers/cli.js";
import { callApi, sendSigned, tempDir } from "../helpers/sandbox.js";

const running: CliProcess[] = [];
afterAll(() => {
  for (const cli of running) cli.child.kill("SIGKILL");
});

const DELIVERIES = 600;
const SENDERS = 32;
/** The sandbox is killed once this many 202s have come back, with the rest still in flight. */
const KILL_AFTER = 150;
// Larger bodies make each batch longer to check and write, as under real load.
const PADDING = "x".repeat(32 * 1024);

function startSandbox(db: string): CliProcess {
  const cli = spawnCli(["sandbox", "--port", "0", "--json", "--quiet", "--db", db]);
  running.push(cli);
  return cli;
}

/** Sends signed deliveries from `SENDERS` senders, and kills the sandbox after `KILL_AFTER` 202s. */
async function loadAndKill(
  cli: CliProcess,
  ingressUrl: string,
  credentials: { secret: string; pat: string },
  round: number,
) {
  const accepted: { body: string; run_id: string; delivery_id: string }[] = [];
  const other = new Map<number, number>();
  let next = 0;
  let killed = false;
  const sender = async () => {
    while (!killed && next < DELIVERIES) {
      const body = JSON.stringify({ order_id: `d-${round}-${next}`, note: PADDING });
      next += 1;
      // A request cut off by the kill has no answer, so it promised nothing.
      const answer = await sendSigned(ingressUrl, body, credentials).catch(() => undefined);
      if (!answer) continue;
      if (answer.status === 202) accepted.push({ body, ...answer.body });
      else other.set(answer.status, (other.get(answer.status) ?? 0) + 1);
      if (!killed && accepted.length >= KILL_AFTER) {
        killed = true;
        cli.child.kill("SIGKILL");
      }
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));
  expect(killed).toBe(true);
  expect(await cli.exit()).toMatchObject({ signal: "SIGKILL" });
  expect([...other.keys()]).toEqual([]);
  return accepted;
}

describe("a 202 from the sandbox (built CLI)", () => {
  it("means the delivery and its run are committed: kill -9 under load loses and doubles none", async () => {
    const db = join(tempDir(), "s.db");
    let cli = startSandbox(db);
    let info = JSON.parse(await cli.firstLine());
    const workflow = info.workflows.find(
      (w: { name: string }) => w.name === "Fulfil Shopify order",
    );
    const key = info.api_keys.find((k: { in_vault: boolean }) => k.in_vault);
    const created = await callApi(info.url, info.tokens.contributor, "/v1/inbound-webhooks", {
      body: { workflow_id: workflow.id, name: "durable", automation_pat_id: key.id },
    });
    const credentials = { secret: created.body.signing_secret, pat: key.pat };

    // Three kills, each followed by a start that recovers the WAL the kill left.
    const accepted: { body: string; run_id: string; delivery_id: string }[] = [];
    for (let round = 0; round < 3; round += 1) {
      if (round > 0) {
        cli = startSandbox(db);
        info = JSON.parse(await cli.firstLine());
      }
      const ingressUrl = `${info.url}${created.body.ingress_path}`;
      accepted.push(...(await loadAndKill(cli, ingressUrl, credentials, round)));
    }
    const restarted = startSandbox(db);
    await restarted.firstLine();
    restarted.child.kill("SIGTERM");
    await restarted.exit();

    const reopened = new Database(db, { readonly: true });
    registerIdFunctions(reopened);
    try {
      expect(reopened.pragma("integrity_check", { simple: true })).toBe("ok");
      const runs = reopened
        .prepare("SELECT id_text(id) AS id, payload FROM runs WHERE subscription_id = id_bytes(?)")
        .all(created.body.subscription.id) as { id: string; payload: string }[];
      const deliveries = reopened
        .prepare(
          "SELECT id_text(id) AS id, id_text(run_id) AS run_id FROM deliveries WHERE subscription_id = id_bytes(?) AND status = 202",
        )
        .all(created.body.subscription.id) as { id: string; run_id: string }[];
      const runBodies = new Map(runs.map((run) => [run.id, run.payload]));
      const deliveryRuns = new Map(deliveries.map((delivery) => [delivery.id, delivery.run_id]));
      const lost = accepted.filter(
        (answer) =>
          runBodies.get(answer.run_id) !== answer.body ||
          deliveryRuns.get(answer.delivery_id) !== answer.run_id,
      );
      expect(lost.map((answer) => answer.body)).toEqual([]);
      // Each body was sent once, so no body is stored twice, and every run has its delivery.
      expect(new Set(runs.map((run) => run.payload)).size).toBe(runs.length);
      expect(deliveries).toHaveLength(runs.length);
    } finally {
      reopened.close();
    }
  });
});
