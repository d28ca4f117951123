import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { startTestSandbox, type TestSandbox, tempDir } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
const ids: Record<string, string> = {};
beforeAll(async () => {
  sandbox = await startTestSandbox();
  for (const [label, workflow, name] of [
    ["weeklyTwin", sandbox.weekly, "twin"],
    ["shopifyTwin", sandbox.shopify, "twin"],
    ["only", sandbox.weekly, "only-one"],
  ] as const) {
    const created = await sandbox.api("/v1/inbound-webhooks", {
      body: { workflow_id: workflow.id, name, automation_pat_id: sandbox.vaultKey.id },
    });
    expect(created.status).toBe(201);
    ids[label] = created.body.subscription.id;
  }
  await sandbox.api(`/v1/inbound-webhooks/${ids.only}`, {
    method: "PATCH",
    body: { enabled: false },
  });
});
afterAll(() => sandbox.stop());

const env = () => ({
  AGENTRUNTIME_API_URL: sandbox.url,
  AGENTRUNTIME_TOKEN: sandbox.tokens.contributor,
});

describe("agentruntime-webhooks list", () => {
  it("prints a table with the whole ingress URL last, and no secret", async () => {
    const result = await runCli(["list"], env());
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+NAME\s+WORKFLOW\s+STATE\s+INGRESS URL$/);
    expect(lines).toHaveLength(4);
    const only = lines.find((line) => line.startsWith(ids.only as string)) as string;
    expect(only).toMatch(/only-one\s+Weekly report\s+paused\s+http:\/\/\S+$/);
    expect(only.endsWith(`/v1/inbound-webhooks/${ids.only}`)).toBe(true);
    expect(result.stdout).not.toMatch(/whsec_|pat_[A-Za-z0-9]/);
  });

  it("prints JSON with --json, and filters by workflow name or id", async () => {
    const all = await runCli(["list", "--json"], env());
    expect(all.code).toBe(0);
    const parsed = JSON.parse(all.stdout) as { inbound_webhooks: { id: string }[] };
    expect(parsed.inbound_webhooks.map((w) => w.id).sort()).toEqual(Object.values(ids).sort());
    for (const workflow of ["Weekly report", sandbox.weekly.id]) {
      const some = await runCli(["list", "--json", "--workflow", workflow], env());
      expect(
        JSON.parse(some.stdout)
          .inbound_webhooks.map((w: { id: string }) => w.id)
          .sort(),
      ).toEqual([ids.weeklyTwin, ids.only].sort());
    }
    const unknown = await runCli(["list", "--workflow", "Nope"], env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no workflow has the id or name "Nope"');
    expect(unknown.stderr).toContain('"Weekly report"');
  });

  it("says how to create one when there are none, on the embedded sandbox", async () => {
    const result = await runCli(["list"], { AGENTRUNTIME_SANDBOX_DIR: tempDir() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("No inbound webhooks yet");
    expect(result.stdout).toContain("agentruntime-webhooks wizard");
    const empty = await runCli(["list", "--json"], { AGENTRUNTIME_SANDBOX_DIR: tempDir() });
    expect(JSON.parse(empty.stdout)).toEqual({ inbound_webhooks: [] });
  });

  it("reports an unreachable AgentRuntime with exit code 1", async () => {
    const result = await runCli(["list"], {
      AGENTRUNTIME_API_URL: "http://127.0.0.1:9",
      AGENTRUNTIME_TOKEN: "usr_x",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/agentruntime-webhooks list: /);
  });
});

describe("a half-configured AgentRuntime", () => {
  it("names what was actually given: the flag or the variable", async () => {
    const flag = await runCli(["list", "--api-url", sandbox.url]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("--api-url is given but no token");
    expect(flag.stderr).toContain("--token");
    const variable = await runCli(["list"], { AGENTRUNTIME_API_URL: sandbox.url });
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain("AGENTRUNTIME_API_URL is set but AGENTRUNTIME_TOKEN is not");
    expect(variable.stderr).toContain("AGENTRUNTIME_TOKEN");
    const badUrl = await runCli(["list", "--api-url", "ftp://x", "--token", "usr_x"]);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--api-url must be an http:// or https:// URL, not "ftp://x"');
    const badVariable = await runCli(["list"], {
      AGENTRUNTIME_API_URL: "127.0.0.1:8787",
      AGENTRUNTIME_TOKEN: "usr_x",
    });
    expect(badVariable.code).toBe(2);
    expect(badVariable.stderr).toContain("AGENTRUNTIME_API_URL must be an http:// or https:// URL");
    const tokenAlone = await runCli(["list", "--token", "usr_x"], {
      AGENTRUNTIME_SANDBOX_DIR: tempDir(),
    });
    expect(tokenAlone.code).toBe(2);
    expect(tokenAlone.stderr).toContain("--token is given but no AgentRuntime URL");
    const asFlag = await runCli([
      "list",
      "--api-url",
      sandbox.url,
      "--token",
      sandbox.tokens.contributor,
    ]);
    expect(asFlag.code).toBe(0);
  });
});

describe("agentruntime-webhooks handoff --webhook", () => {
  it("takes a name as well as an id", async () => {
    const byName = await runCli(["handoff", "--webhook", "only-one"], env());
    expect(byName.code).toBe(0);
    expect(byName.stdout).toMatch(/^# Sending events to "only-one"/);
    expect(byName.stdout).toContain(`/v1/inbound-webhooks/${ids.only}`);
    const byId = await runCli(["handoff", "--webhook", ids.only as string], env());
    expect(byId.stdout).toBe(byName.stdout);
  });

  it("lists the ids when a name is ambiguous, and says how to find one that is unknown", async () => {
    const twin = await runCli(["handoff", "--webhook", "twin"], env());
    expect(twin.code).toBe(2);
    expect(twin.stderr).toContain('2 inbound webhooks are named "twin"');
    expect(twin.stderr).toContain(`${ids.weeklyTwin}  (workflow "Weekly report")`);
    expect(twin.stderr).toContain(`${ids.shopifyTwin}  (workflow "Fulfil Shopify order")`);
    expect(twin.stdout).toBe("");

    const unknown = await runCli(["handoff", "--webhook", "nobody"], env());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no inbound webhook has the id or name "nobody"');
    expect(unknown.stderr).toContain("agentruntime-webhooks list");
  });

  it("writes the guide with --out, and says so plainly when it cannot", async () => {
    const dir = tempDir();
    const written = await runCli(
      ["handoff", "--webhook", "only-one", "--out", `${dir}/guide.md`],
      env(),
    );
    expect(written.code).toBe(0);
    expect(written.stderr).toContain(`Wrote the sender guide for "only-one" to ${dir}/guide.md`);
    const failed = await runCli(
      ["handoff", "--webhook", "only-one", "--out", `${dir}/missing/guide.md`],
      env(),
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`could not write the guide to ${dir}/missing/guide.md`);
    expect(failed.stderr).toContain("the folder does not exist");
  });
});
