import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, describe, expect, it } from "vitest";
import type { StepView } from "../../src/wizard/steps.js";
import { CLI, type CliProcess, runCli, spawnCli } from "../helpers/cli.js";
import { callApi, sendSigned, tempDir } from "../helpers/sandbox.js";

const running: CliProcess[] = [];
const servers: Server[] = [];
afterAll(async () => {
  for (const cli of running) cli.child.kill("SIGKILL");
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

interface SandboxLine {
  url: string;
  tokens: { contributor: string };
  workflows: { id: string; name: string }[];
  api_keys: { id: string; in_vault: boolean; pat: string }[];
}

/** `agentruntime-webhooks sandbox --json` on a data folder, with only the flags given. */
async function startSandboxCommand(dir: string, flags: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const cli = spawnCli(["sandbox", "--json", ...flags], {
    AGENTRUNTIME_SANDBOX_DIR: dir,
    AGENTRUNTIME_SANDBOX_PORT: undefined,
    ...env,
  });
  running.push(cli);
  const info = JSON.parse(await cli.firstLine()) as SandboxLine;
  return { cli, info };
}

async function stop(cli: CliProcess) {
  cli.child.kill("SIGTERM");
  expect((await cli.exit()).code).toBe(0);
}

async function createWebhook(info: SandboxLine, name: string) {
  const key = info.api_keys.find((k) => k.in_vault);
  const workflow = info.workflows.find((w) => w.name === "Weekly report");
  const created = await callApi(info.url, info.tokens.contributor, "/v1/inbound-webhooks", {
    body: { workflow_id: workflow?.id, name, automation_pat_id: key?.id },
  });
  expect(created.status).toBe(201);
  return {
    id: created.body.subscription.id as string,
    ingressUrl: created.body.ingress_url as string,
    secret: created.body.signing_secret as string,
    pat: key?.pat as string,
  };
}

/** A plain HTTP server on a free port: "something else" holding the port. */
async function occupyPort(): Promise<number> {
  const server = createServer((_req, res) => res.end("not a sandbox"));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

describe("one stable sandbox address per data folder", () => {
  it("hands over a URL that answers whenever `sandbox` runs on the same folder", async () => {
    const dir = tempDir();
    const first = await startSandboxCommand(dir, ["--port", "0"]);
    const hook = await createWebhook(first.info, "stable");
    await stop(first.cli);

    const handoff = await runCli(["handoff", "--webhook", hook.id], {
      AGENTRUNTIME_SANDBOX_DIR: dir,
      AGENTRUNTIME_SANDBOX_PORT: undefined,
    });
    expect(handoff.code).toBe(0);
    expect(handoff.stdout).toContain(hook.ingressUrl);
    expect(handoff.stderr).toMatch(/stops when this command ends/);
    expect(handoff.stderr).toContain("agentruntime-webhooks sandbox");

    const again = await startSandboxCommand(dir, ["--quiet"]);
    expect(again.info.url).toBe(first.info.url);
    const sent = await sendSigned(hook.ingressUrl, JSON.stringify({ week: "48" }), hook);
    expect(sent.status).toBe(202);
    expect(sent.body.run_id).toMatch(/\S/);
    await stop(again.cli);
  });

  it("reuses the sandbox of the same folder already running instead of starting a second", async () => {
    const dir = tempDir();
    const { cli, info } = await startSandboxCommand(dir, ["--port", "0"]);
    const hook = await createWebhook(info, "reused");
    const handoff = await runCli(["handoff", "--webhook", hook.id], {
      AGENTRUNTIME_SANDBOX_DIR: dir,
    });
    expect(handoff.code).toBe(0);
    expect(handoff.stdout).toContain(hook.ingressUrl);
    expect(handoff.stderr).toContain(`already runs at ${info.url}`);
    // The request reached the running sandbox: it is in that process's log.
    expect(cli.stderr()).toMatch(/GET \/v1\/inbound-webhooks 200/);

    const second = await runCli(["sandbox", "--quiet"], { AGENTRUNTIME_SANDBOX_DIR: dir });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`the sandbox of ${join(dir, "sandbox.db")} already runs at`);
    await stop(cli);
  });

  it("says what to do when the folder's port is held by another program", async () => {
    const port = await occupyPort();
    const dir = tempDir();
    const handoff = await runCli(["handoff", "--webhook", "x"], {
      AGENTRUNTIME_SANDBOX_DIR: dir,
      AGENTRUNTIME_SANDBOX_PORT: String(port),
    });
    expect(handoff.code).toBe(1);
    expect(handoff.stderr).toContain(`port ${port} on 127.0.0.1 is held by another program`);
    expect(handoff.stderr).toContain("AGENTRUNTIME_SANDBOX_PORT");

    const sandbox = await runCli(["sandbox", "--port", String(port)], {
      AGENTRUNTIME_SANDBOX_DIR: dir,
    });
    expect(sandbox.code).toBe(1);
    expect(sandbox.stderr).toContain(`port ${port} on 127.0.0.1 is held by another program`);
    expect(sandbox.stderr).toContain("--port");
  });

  it("tells a sandbox of another data folder apart from its own", async () => {
    const other = await startSandboxCommand(tempDir(), ["--port", "0", "--quiet"]);
    const port = new URL(other.info.url).port;
    const dir = tempDir();
    const mine = await startSandboxCommand(dir, ["--port", "0", "--quiet"]);
    await stop(mine.cli);
    const handoff = await runCli(["handoff", "--webhook", "x"], {
      AGENTRUNTIME_SANDBOX_DIR: dir,
      AGENTRUNTIME_SANDBOX_PORT: port,
    });
    expect(handoff.code).toBe(1);
    expect(handoff.stderr).toContain("a sandbox of another data folder");
    await stop(other.cli);
  });

  it("says a throwaway sandbox ends with the command, without offering to keep it up", async () => {
    const result = await runCli(["list", "--sandbox-db", ":memory:"], {
      AGENTRUNTIME_SANDBOX_DIR: tempDir(),
    });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("It is a throwaway sandbox");
    expect(result.stderr).not.toContain("keeps it up");
  });

  it("refuses a port variable that is not a port", async () => {
    const result = await runCli(["handoff", "--webhook", "x"], {
      AGENTRUNTIME_SANDBOX_DIR: tempDir(),
      AGENTRUNTIME_SANDBOX_PORT: "eighty",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'AGENTRUNTIME_SANDBOX_PORT must be a whole number from 0 to 65535, not "eighty"',
    );
  });

  it("keeps a guided setup's URLs working across an MCP server restart and a later `sandbox`", async () => {
    const dir = tempDir();
    const mcpServer = async (env: Record<string, string>) => {
      const client = new Client({ name: "restart-test", version: "1.0.0" });
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [CLI, "mcp"],
          env: { PATH: process.env.PATH ?? "", AGENTRUNTIME_SANDBOX_DIR: dir, ...env },
          stderr: "ignore",
        }),
      );
      const call = async (name: string, args: Record<string, unknown>) =>
        (await client.callTool({ name, arguments: args })).structuredContent as StepView &
          Record<string, unknown>;
      return { client, call };
    };

    const first = await mcpServer({ AGENTRUNTIME_SANDBOX_PORT: "0" });
    const workflows = (await first.call("list_workflows", {})) as unknown as {
      workflows: { id: string; name: string }[];
    };
    const keys = (await first.call("list_api_keys", {})) as unknown as {
      api_keys: { id: string; in_vault: boolean }[];
    };
    let step = await first.call("start_inbound_webhook_wizard", {
      workflow_id: workflows.workflows.find(
        (w) => w.name === "<untrusted>Weekly report</untrusted>",
      )?.id,
    });
    const answer = async (action: string, value?: string) =>
      first.call("answer_inbound_webhook_wizard", {
        wizard_id: step.wizard_id,
        action,
        ...(value === undefined ? {} : { value }),
      });
    step = await answer("set_name", "survives-restarts");
    step = await answer("choose_api_key", keys.api_keys.find((k) => k.in_vault)?.id);
    step = await answer("skip_extras");
    step = await answer("confirm");
    expect(step.step).toBe("awaitingReveal");
    const handedOver = step.card.fields.ingress_url as string;
    expect(handedOver).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/inbound-webhooks\//);
    await first.client.close();

    // A new server process, on the folder's remembered address, resumes the same setup.
    const second = await mcpServer({});
    const resumed = await second.call("get_inbound_webhook_wizard", { wizard_id: step.wizard_id });
    expect(resumed.card.fields.ingress_url).toBe(handedOver);
    expect(resumed.card.curl_test).toContain(handedOver);
    const page = await (
      await fetch(resumed.reveal_url as string, {
        method: "POST",
        headers: { origin: new URL(resumed.reveal_url as string).origin },
      })
    ).text();
    const secret = /id="secret">(whsec_[A-Za-z0-9_-]+)</.exec(page)?.[1] as string;
    expect(secret).toMatch(/^whsec_/);
    await second.client.close();

    const sandbox = await startSandboxCommand(dir, ["--quiet"]);
    const pat = sandbox.info.api_keys.find((k) => k.in_vault)?.pat as string;
    const sent = await sendSigned(handedOver, JSON.stringify({ week: "49" }), { secret, pat });
    expect(sent.status).toBe(202);
    await stop(sandbox.cli);
  }, 60_000);

  it("keeps the URL `wizard --yes --json` hands over answering once `sandbox` runs on the folder", async () => {
    const dir = tempDir();
    const wizard = await runCli(
      [
        "wizard",
        "--workflow",
        "Weekly report",
        "--name",
        "from-a-script",
        "--api-key",
        "Automation key",
        "--yes",
        "--json",
        "--no-send-test",
      ],
      { AGENTRUNTIME_SANDBOX_DIR: dir },
    );
    expect(wizard.code).toBe(0);
    expect(wizard.stderr).toMatch(/stops when this command ends/);
    const ingressUrl = /http:\/\/127\.0\.0\.1:\d+\/v1\/inbound-webhooks\/[0-9a-f-]{36}/.exec(
      wizard.stdout,
    )?.[0] as string;
    const secret = /whsec_[A-Za-z0-9_-]{43}/.exec(wizard.stdout)?.[0] as string;
    expect(ingressUrl).toBeDefined();
    expect(secret).toBeDefined();

    const sandbox = await startSandboxCommand(dir, ["--quiet"]);
    const pat = sandbox.info.api_keys.find((k) => k.in_vault)?.pat as string;
    const sent = await sendSigned(ingressUrl, "{}", { secret, pat });
    expect(sent.status).toBe(202);
    await stop(sandbox.cli);
  });
});
