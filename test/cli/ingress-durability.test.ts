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

describe("a 202 from the sandbox (built CLI, its writer threads from dist)", () => {
  it("means the delivery and its run are kept, even when the process is killed right after", async () => {
    const dir = tempDir();
    const db = join(dir, "s.db");
    const cli = spawnCli(["sandbox", "--port", "0", "--json", "--quiet", "--db", db]);
    running.push(cli);
    const info = JSON.parse(await cli.firstLine());
    const workflow = info.workflows.find(
      (w: { name: string }) => w.name === "Fulfil Shopify order",
    );
    const key = info.api_keys.find((k: { in_vault: boolean }) => k.in_vault);
    const created = await callApi(info.url, info.tokens.contributor, "/v1/inbound-webhooks", {
      body: { workflow_id: workflow.id, name: "durable", automation_pat_id: key.id },
    });
    const bodies = Array.from({ length: 40 }, (_, i) => JSON.stringify({ order_id: `d-${i}` }));
    const answers = await Promise.all(
      bodies.map((body) =>
        sendSigned(created.body.ingress_url, body, {
          secret: created.body.signing_secret,
          pat: key.pat,
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(bodies.map(() => 202));
    // No clean shutdown: whatever was answered 202 must be in the ingress log or the database,
    // and the next start copies what the log holds before it listens.
    cli.child.kill("SIGKILL");
    await cli.exit();
    const restarted = spawnCli(["sandbox", "--port", "0", "--json", "--quiet", "--db", db]);
    running.push(restarted);
    await restarted.firstLine();
    restarted.child.kill("SIGTERM");
    await restarted.exit();

    const reopened = new Database(db, { readonly: true });
    registerIdFunctions(reopened);
    try {
      const runIds = answers.map((answer) => answer.body.run_id as string);
      const deliveryIds = answers.map((answer) => answer.body.delivery_id as string);
      const stored = (sql: string, ids: string[]) =>
        (reopened.prepare(sql).all(...ids) as { id: string }[]).map((row) => row.id).sort();
      const marks = runIds.map(() => "id_bytes(?)").join(", ");
      expect(stored(`SELECT id_text(id) AS id FROM runs WHERE id IN (${marks})`, runIds)).toEqual(
        [...runIds].sort(),
      );
      expect(
        stored(`SELECT id_text(id) AS id FROM deliveries WHERE id IN (${marks})`, deliveryIds),
      ).toEqual([...deliveryIds].sort());
      const payloads = reopened
        .prepare(`SELECT payload FROM runs WHERE id IN (${marks})`)
        .all(...runIds) as { payload: string }[];
      expect(payloads.map((row) => row.payload).sort()).toEqual([...bodies].sort());
    } finally {
      reopened.close();
    }
  });
});
