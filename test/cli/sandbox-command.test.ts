import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { type CliProcess, runCli, spawnCli } from "../helpers/cli.js";
import { callApi, sendSigned, tempDir } from "../helpers/sandbox.js";

const running: CliProcess[] = [];
afterAll(() => {
  for (const cli of running) cli.child.kill("SIGKILL");
});

describe("agentruntime-webhooks sandbox", () => {
  it("prints exactly one JSON line once listening, serves the API, and stops cleanly on SIGTERM", async () => {
    const dir = tempDir();
    const cli = spawnCli(["sandbox", "--port", "0", "--json", "--db", join(dir, "s.db")]);
    running.push(cli);
    const info = JSON.parse(await cli.firstLine());
    expect(Object.keys(info).sort()).toEqual(["api_keys", "tokens", "url", "workflows"]);
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.workflows.map((w: { status: string }) => w.status).sort()).toEqual([
      "draft",
      "saved",
      "saved",
    ]);
    expect(info.api_keys).toHaveLength(2);
    for (const key of info.api_keys) {
      expect(Object.keys(key).sort()).toEqual(["id", "in_vault", "name", "pat"]);
      expect(key.pat).toMatch(/^pat_/);
    }

    const workflow = info.workflows.find(
      (w: { name: string }) => w.name === "Fulfil Shopify order",
    );
    const key = info.api_keys.find((k: { in_vault: boolean }) => k.in_vault);
    const created = await callApi(info.url, info.tokens.contributor, "/v1/inbound-webhooks", {
      body: { workflow_id: workflow.id, name: "from-cli-test", automation_pat_id: key.id },
    });
    expect(created.status).toBe(201);
    const accepted = await sendSigned(created.body.ingress_url, JSON.stringify({ order_id: "9" }), {
      secret: created.body.signing_secret,
      pat: key.pat,
    });
    expect(accepted.status).toBe(202);
    const rejected = await sendSigned(created.body.ingress_url, "{}", {
      secret: "whsec_wrong",
      pat: key.pat,
    });
    expect(rejected.status).toBe(401);

    cli.child.kill("SIGTERM");
    expect(await cli.exit()).toEqual({ code: 0, signal: null });
    expect(cli.stdout().trim().split("\n")).toHaveLength(1);
    const log = cli.stderr();
    expect(log).toMatch(/POST \/v1\/inbound-webhooks 201/);
    expect(log).toMatch(/POST \/v1\/inbound-webhooks\/[0-9a-f-]+ 401/);
    expect(log).toContain("closing the sandbox");
    for (const secret of [
      created.body.signing_secret,
      info.tokens.contributor,
      ...info.api_keys.map((k: { pat: string }) => k.pat),
    ]) {
      expect(log).not.toContain(secret);
    }
  });

  it("prints the same facts for a person without --json, and stops on SIGINT", async () => {
    const cli = spawnCli(["sandbox", "--port", "0", "--db", ":memory:", "--quiet"]);
    running.push(cli);
    await cli.firstLine();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const text = cli.stdout();
    expect(text).toMatch(/AgentRuntime sandbox listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(text).toMatch(/contributor\s+usr_/);
    expect(text).toMatch(/Fulfil Shopify order/);
    expect(text).toMatch(/pat_/);
    cli.child.kill("SIGINT");
    expect((await cli.exit()).code).toBe(0);
    expect(cli.stderr()).not.toMatch(/ms$/m);
  });

  it("tells a person that the data folder keeps this address", async () => {
    const dir = tempDir();
    const cli = spawnCli(["sandbox", "--port", "0", "--quiet"], { AGENTRUNTIME_SANDBOX_DIR: dir });
    running.push(cli);
    await vi.waitFor(() => expect(cli.stdout()).toContain("Press Ctrl+C to stop."));
    expect(cli.stdout()).toContain(`This address is remembered in ${join(dir, "sandbox.db.port")}`);
    cli.child.kill("SIGTERM");
    await cli.exit();
  });

  it("uses the data folder from AGENTRUNTIME_SANDBOX_DIR by default", async () => {
    const dir = tempDir();
    const cli = spawnCli(["sandbox", "--port", "0", "--json", "--quiet"], {
      AGENTRUNTIME_SANDBOX_DIR: dir,
    });
    running.push(cli);
    await cli.firstLine();
    cli.child.kill("SIGTERM");
    await cli.exit();
    const { existsSync } = await import("node:fs");
    expect(existsSync(join(dir, "sandbox.db"))).toBe(true);
    expect(existsSync(join(dir, "sandbox.db.key"))).toBe(true);
  });

  it("bases ingress URLs on --public-url", async () => {
    const cli = spawnCli([
      "sandbox",
      "--port",
      "0",
      "--json",
      "--quiet",
      "--db",
      ":memory:",
      "--public-url",
      "https://hooks.example.test/",
    ]);
    running.push(cli);
    const info = JSON.parse(await cli.firstLine());
    const created = await callApi(info.url, info.tokens.contributor, "/v1/inbound-webhooks", {
      body: {
        workflow_id: info.workflows.find((w: { status: string }) => w.status === "saved").id,
        name: "public",
        automation_pat_id: info.api_keys.find((k: { in_vault: boolean }) => k.in_vault).id,
      },
    });
    expect(created.body.ingress_url).toBe(`https://hooks.example.test${created.body.ingress_path}`);
    cli.child.kill("SIGTERM");
    await cli.exit();
  });

  it("applies --max-body and --inbound-webhooks off", async () => {
    const cli = spawnCli([
      "sandbox",
      "--port",
      "0",
      "--json",
      "--quiet",
      "--db",
      ":memory:",
      "--inbound-webhooks",
      "off",
    ]);
    running.push(cli);
    const info = JSON.parse(await cli.firstLine());
    const answer = await callApi(info.url, info.tokens.contributor, "/v1/inbound-webhooks");
    expect(answer.body.error.code).toBe("inbound_webhooks_disabled");
    cli.child.kill("SIGTERM");
    await cli.exit();
  });

  it("explains bad flags with exit code 2", async () => {
    for (const [args, message] of [
      [["sandbox", "--port", "70000"], /--port must be a whole number from 0 to 65535/],
      [["sandbox", "--seed", "lots"], /--seed must be one of demo, none/],
      [["sandbox", "--inbound-webhooks", "maybe"], /--inbound-webhooks must be one of on, off/],
      [["sandbox", "--max-body", "-1"], /--max-body/],
      [["sandbox", "--public-url", "ftp://x"], /--public-url must be an http/],
      [["sandbox", "--colour"], /Unknown option '--colour'/],
    ] as const) {
      const result = await runCli([...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain("agentruntime-webhooks sandbox --help");
    }
  });

  it("reports a port in use as an error, exit code 1", async () => {
    const first = spawnCli(["sandbox", "--port", "0", "--json", "--quiet", "--db", ":memory:"]);
    running.push(first);
    const { url } = JSON.parse(await first.firstLine());
    const port = new URL(url).port;
    const second = await runCli(["sandbox", "--port", port, "--db", ":memory:"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `port ${port} on 127.0.0.1 is held by a sandbox of another data folder`,
    );
    first.child.kill("SIGTERM");
    await first.exit();
  });

  it("has help and a version", async () => {
    const help = await runCli(["sandbox", "--help"]);
    expect(help.code).toBe(0);
    for (const flag of [
      "--host",
      "--port",
      "--db",
      "--public-url",
      "--max-body",
      "--seed",
      "--json",
    ]) {
      expect(help.stdout).toContain(flag);
    }
    const top = await runCli(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("sandbox");
    const version = await runCli(["--version"]);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const unknown = await runCli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
  });
});

describe("agentruntime-webhooks handoff", () => {
  it("prints the sender guide of a webhook, and explains a missing or unknown one", async () => {
    const cli = spawnCli(["sandbox", "--port", "0", "--json", "--quiet", "--db", ":memory:"]);
    running.push(cli);
    const info = JSON.parse(await cli.firstLine());
    const created = await callApi(info.url, info.tokens.contributor, "/v1/inbound-webhooks", {
      body: {
        workflow_id: info.workflows.find((w: { name: string }) => w.name === "Weekly report").id,
        name: "handed-off",
        automation_pat_id: info.api_keys.find((k: { in_vault: boolean }) => k.in_vault).id,
      },
    });
    const env = { AGENTRUNTIME_API_URL: info.url, AGENTRUNTIME_TOKEN: info.tokens.contributor };
    const guide = await runCli(["handoff", "--webhook", created.body.subscription.id], env);
    expect(guide.code).toBe(0);
    expect(guide.stdout).toMatch(/^# Sending events to "handed-off"/);
    expect(guide.stdout).toContain(created.body.ingress_url);
    expect(guide.stdout).not.toContain(created.body.signing_secret);
    const missing = await runCli(["handoff"], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--webhook/);
    const unknown = await runCli(
      ["handoff", "--webhook", "00000000-0000-4000-8000-000000000000"],
      env,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no inbound webhook has the id or name/);
    cli.child.kill("SIGTERM");
    await cli.exit();
  });
});
