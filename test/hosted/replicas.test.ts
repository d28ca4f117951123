import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StepView } from "../../src/wizard/steps.js";
import { launchChromium } from "../helpers/browser.js";
import {
  connectHosted,
  type HostedCaller,
  hitReplica,
  type Replica,
  type RoundRobin,
  startReplica,
  startRoundRobin,
  TEST_PAGE_KEY,
} from "../helpers/hosted.js";
import { textOf } from "../helpers/mcp.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { sendSigned, startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

let postgres: TestPostgres;
let sandbox: TestSandbox;
let proxy: RoundRobin;
let storeUrl: string;
const replicas: Replica[] = [];
const callers: HostedCaller[] = [];
let publicHost: string;

beforeAll(async () => {
  [postgres, sandbox, proxy] = await Promise.all([
    startTestPostgres(),
    startTestSandbox(),
    startRoundRobin(),
  ]);
  storeUrl = await postgres.createDatabase();
  publicHost = new URL(proxy.url).host;
  // Three replicas start at once against an empty database: migrations must not collide.
  replicas.push(
    ...(await Promise.all(
      [0, 1, 2].map(() =>
        startReplica({ store: storeUrl, publicUrl: proxy.url, apiUrl: sandbox.url }),
      ),
    )),
  );
  proxy.targets.push(...replicas.map((replica) => replica.port));
}, 60_000);

afterAll(async () => {
  for (const caller of callers) await caller.close().catch(() => {});
  await Promise.all(replicas.map((replica) => replica.stop()));
  await proxy?.close();
  await sandbox?.stop();
  postgres?.stop();
});

/** A caller talking straight to one replica (Host is its own loopback address). */
async function on(replica: Replica, token = sandbox.tokens.contributor) {
  const caller = await connectHosted(`http://127.0.0.1:${replica.port}`, token);
  callers.push(caller);
  return caller;
}

function view(result: CallToolResult): StepView {
  expect(result.isError, textOf(result)).toBeFalsy();
  return result.structuredContent as StepView;
}

const answer = (caller: HostedCaller, step: StepView, action: string, extra = {}) =>
  caller.call("answer_inbound_webhook_wizard", { wizard_id: step.wizard_id, action, ...extra });

const pathOf = (url: string) => new URL(url).pathname;
const replica = (index: number) => () => replicas[index] as Replica;
const [A, B, C] = [replica(0), replica(1), replica(2)];

async function everythingStored(): Promise<string> {
  const client = new pg.Client({ connectionString: storeUrl });
  await client.connect();
  try {
    const tables = ["wizards", "once_pages", "sealed_values"];
    const parts: string[] = [];
    for (const table of tables)
      parts.push(JSON.stringify((await client.query(`SELECT * FROM ${table}`)).rows));
    return parts.join("\n");
  } finally {
    await client.end();
  }
}

function expectNoSecrets(text: string, extra: string[] = []) {
  for (const secret of [
    sandbox.vaultKey.pat,
    sandbox.legacyKey.pat,
    sandbox.tokens.contributor,
    sandbox.tokens.viewer,
    TEST_PAGE_KEY,
    ...extra,
  ])
    expect(text).not.toContain(secret);
  expect(text).not.toMatch(/whsec_[A-Za-z0-9_-]{16,}/);
}

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}-${++counter}`;

describe("three replicas behind a load balancer without affinity", () => {
  it("say they are alive and ready, count in Prometheus format, and want a bearer", async () => {
    for (const replica of replicas) {
      expect(await hitReplica(replica.port, "/healthz", { host: "10.0.0.9:80" })).toMatchObject({
        status: 200,
      });
      expect(await hitReplica(replica.port, "/readyz", { host: "10.0.0.9:80" })).toMatchObject({
        status: 200,
      });
    }
    const metrics = await hitReplica(A().port, "/metrics", { host: publicHost });
    expect(metrics.text).toContain("agentruntime_webhooks_tool_calls_total");
    expect(metrics.text).toContain("agentruntime_webhooks_open_setups");
    const anonymous = await fetch(`${proxy.url}/mcp`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(anonymous.status).toBe(401);
    const elsewhere = await hitReplica(A().port, "/mcp", {
      host: "evil.example:80",
      method: "POST",
    });
    expect(elsewhere.status).toBe(403);
  });

  it("starts a setup on one, answers it on the next, and serves its pages through the third", async () => {
    const [a, b, c] = [await on(A()), await on(B()), await on(C())];
    let step = view(
      await a.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
    );
    expect(step.step).toBe("naming");
    step = view(await answer(b, step, "set_name", { value: uniqueName("legacy") }));
    step = view(await answer(c, step, "choose_api_key", { value: sandbox.legacyKey.id }));
    expect(step.step).toBe("pastingPat");
    const paste = step.paste_url as string;
    expect(paste.startsWith(`${proxy.url}/once/`)).toBe(true);
    // Asking again on another replica hands out the same page, not a second one.
    expect(view(await answer(a, step, "continue")).paste_url).toBe(paste);

    const form = await hitReplica(C().port, pathOf(paste), { host: publicHost });
    expect(form.status).toBe(200);
    expect(form.text).toContain('type="password"');
    expect(form.text).toContain("Paste the PAT");
    const wrongHost = await hitReplica(C().port, pathOf(paste), { host: `127.0.0.1:${C().port}` });
    expect(wrongHost.status).toBe(421);
    const crossSite = await hitReplica(C().port, pathOf(paste), {
      host: publicHost,
      origin: "https://evil.example",
      form: { secret: sandbox.legacyKey.pat },
    });
    expect(crossSite.status).toBe(403);
    const wrong = await hitReplica(C().port, pathOf(paste), {
      host: publicHost,
      form: { secret: sandbox.vaultKey.pat },
    });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain("is not the PAT of");
    expect(wrong.text).not.toContain(sandbox.vaultKey.pat);
    const pasted = await hitReplica(C().port, pathOf(paste), {
      host: publicHost,
      form: { secret: sandbox.legacyKey.pat },
    });
    expect(pasted.status).toBe(200);
    expect((await hitReplica(A().port, pathOf(paste), { host: publicHost })).status).toBe(410);

    step = view(await answer(a, step, "continue"));
    expect(step.step).toBe("extras");
    step = view(await answer(b, step, "skip_extras"));
    step = view(await answer(c, step, "confirm"));
    expect(step.step).toBe("awaitingReveal");
    const reveal = step.reveal_url as string;
    expect(reveal.startsWith(`${proxy.url}/once/`)).toBe(true);
    const confirmPage = await hitReplica(A().port, pathOf(reveal), { host: publicHost });
    expect(confirmPage.status).toBe(200);
    expect(confirmPage.text).not.toMatch(/whsec_/);

    // The same reveal URL opened on two replicas at the same instant: one shows it, one says 410.
    const [onB, onC] = await Promise.all([
      hitReplica(B().port, pathOf(reveal), { host: publicHost, form: {} }),
      hitReplica(C().port, pathOf(reveal), { host: publicHost, form: {} }),
    ]);
    expect([onB.status, onC.status].sort()).toEqual([200, 410]);
    const shown = (onB.status === 200 ? onB : onC).text;
    const secret = /id="secret">(whsec_[A-Za-z0-9_-]+)</.exec(shown)?.[1] as string;
    expect(secret).toMatch(/^whsec_/);

    step = view(await answer(a, step, "continue"));
    expect(step.step).toBe("handingOver");
    expect(step.card.fields.secret_revealed).toBe(true);
    step = view(await answer(b, step, "finish"));
    expect(step.status).toBe("done");

    const created = (await sandbox.api(`/v1/inbound-webhooks?workflow_id=${sandbox.weekly.id}`))
      .body.subscriptions;
    expect(created.filter((s: { name: string }) => s.name === `legacy-${counter}`)).toHaveLength(1);
    expectNoSecrets(await everythingStored(), [secret]);
    for (const replica of replicas) expectNoSecrets(replica.logs(), [secret]);
    const lines = A()
      .logs()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { request_id: string; path: string; tool?: string });
    expect(lines.some((line) => line.tool === "start_inbound_webhook_wizard")).toBe(true);
    expect(
      lines.every((line) => line.request_id && !line.path.match(/\/once\/[A-Za-z0-9_-]{10}/)),
    ).toBe(true);
  });

  it("serves the pages to a real browser through the balancer, page and button on different replicas", async () => {
    const browser = await launchChromium();
    try {
      const model = await connectHosted(proxy.url, sandbox.tokens.contributor);
      callers.push(model);
      let step = view(
        await model.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
      );
      step = view(await answer(model, step, "set_name", { value: uniqueName("browser") }));
      step = view(await answer(model, step, "choose_api_key", { value: sandbox.legacyKey.id }));
      const person = await browser.newPage();
      const servedBefore = proxy.served.length;
      expect((await person.goto(step.paste_url as string))?.status()).toBe(200);
      await person.locator("input[type=password]").fill(sandbox.legacyKey.pat);
      await person.locator("button[type=submit]").click();
      await person.waitForLoadState();
      expect(await person.locator("body").innerText()).toMatch(/Received/);
      // The form came from one replica and its post went to another.
      expect(new Set(proxy.served.slice(servedBefore)).size).toBeGreaterThan(1);

      step = view(await answer(model, step, "continue"));
      step = view(await answer(model, step, "skip_extras"));
      step = view(await answer(model, step, "confirm"));
      expect((await person.goto(step.reveal_url as string))?.status()).toBe(200);
      expect(await person.locator("body").innerText()).not.toContain("whsec_");
      await person.locator("button[type=submit]").click();
      await person.waitForSelector("#secret");
      const secret = await person.locator("#secret").innerText();
      expect(secret).toMatch(/^whsec_/);
      expect((await person.goto(step.reveal_url as string))?.status()).toBe(410);
      expect(await person.locator("body").innerText()).not.toContain(secret);
      step = view(await answer(model, step, "continue"));
      expect(step.card.fields.secret_revealed).toBe(true);
    } finally {
      await browser.close();
    }
  });

  it("keeps a setup to the identity that started it", async () => {
    const owner = await on(A());
    const stranger = await on(B(), sandbox.tokens.viewer);
    const step = view(
      await owner.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
    );
    for (const attempt of [
      stranger.call("get_inbound_webhook_wizard", { wizard_id: step.wizard_id }),
      answer(stranger, step, "set_name", { value: uniqueName("stolen") }),
    ]) {
      const result = await attempt;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/^wizard_not_found:/);
    }
    expect(view(await answer(owner, step, "set_name", { value: uniqueName("mine") })).step).toBe(
      "choosingKey",
    );
  });

  it("finishes a setup on another replica after kill -9, and a wait for the test request survives it", async () => {
    const doomed = await startReplica({
      store: storeUrl,
      publicUrl: proxy.url,
      apiUrl: sandbox.url,
    });
    replicas.push(doomed);
    const onDoomed = await on(doomed);
    let step = view(
      await onDoomed.call("start_inbound_webhook_wizard", { workflow_id: sandbox.weekly.id }),
    );
    step = view(await answer(onDoomed, step, "set_name", { value: uniqueName("survivor") }));
    doomed.cli.child.kill("SIGKILL");
    await doomed.cli.exit();

    const viaProxy = await connectHosted(proxy.url, sandbox.tokens.contributor);
    callers.push(viaProxy);
    step = view(await answer(viaProxy, step, "choose_api_key", { value: sandbox.vaultKey.id }));
    step = view(await answer(viaProxy, step, "skip_extras"));
    step = view(await answer(viaProxy, step, "confirm"));
    const revealed = await fetch(step.reveal_url as string, {
      method: "POST",
      headers: { origin: new URL(step.reveal_url as string).origin },
    });
    const secret = /id="secret">(whsec_[A-Za-z0-9_-]+)</.exec(await revealed.text())?.[1] as string;
    step = view(await answer(viaProxy, step, "continue"));
    expect(step.step).toBe("handingOver");

    // A second replica to kill while it waits for the person's own test request.
    const waiter = await startReplica({
      store: storeUrl,
      publicUrl: proxy.url,
      apiUrl: sandbox.url,
    });
    replicas.push(waiter);
    const onWaiter = await on(waiter);
    const abandoned = answer(onWaiter, step, "wait_for_test").catch(() => undefined);
    // Poll the shared store until the waiting step is written, then kill the replica under it.
    for (let tries = 0; tries < 200; tries += 1) {
      if ((await everythingStored()).includes("waitingForTest")) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    waiter.cli.child.kill("SIGKILL");
    await waiter.cli.exit();
    await abandoned;

    const resumed = answer(viaProxy, step, "continue");
    const ingress = step.card.fields.ingress_url as string;
    expect(ingress).toMatch(/^http/);
    const sent = await sendSigned(ingress, JSON.stringify({ week: "2026-48" }), {
      secret,
      pat: sandbox.vaultKey.pat,
    });
    expect(sent.status).toBe(202);
    step = view(await resumed);
    expect(step.step).toBe("testReported");
    expect(step.card.test).toMatchObject({ accepted: true });
  });
});
