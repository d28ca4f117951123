import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, runCli } from "../helpers/cli.js";
import { startTestSandbox, type TestSandbox, tempDir } from "../helpers/sandbox.js";

const run = promisify(execFile);
const driver = fileURLToPath(new URL("../helpers/pty-driver.py", import.meta.url));

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox.stop());

const apiEnv = () => ({
  AGENTRUNTIME_API_URL: sandbox.url,
  AGENTRUNTIME_TOKEN: sandbox.tokens.contributor,
  AGENTRUNTIME_SANDBOX_DIR: tempDir(),
});

async function runCurl(curl: string, secret: string, pat: string) {
  const { stdout } = await run("bash", ["-c", curl], {
    env: { PATH: process.env.PATH, AGENTRUNTIME_SIGNING_SECRET: secret, AGENTRUNTIME_PAT: pat },
  });
  expect(stdout).toContain("HTTP 202");
  return (await sandbox.api(`/v1/runs/${JSON.parse(stdout.split("\n")[0] as string).run_id}`)).body
    .run;
}

/** Runs the CLI with stdin from a string (for --pat-stdin). */
function runWithStdin(args: string[], env: Record<string, string>, stdin: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe("agentruntime-webhooks wizard, from flags", () => {
  it("creates, shows the secret once in its JSON, sends the test, and the curl test works", async () => {
    const result = await runCli(
      [
        "wizard",
        "--workflow",
        "Fulfil Shopify order",
        "--name",
        "from-flags",
        "--api-key",
        "Automation key",
        "--use-run-setup-defaults",
        "--trigger-payload",
        "source=shopify",
        "--yes",
        "--json",
      ],
      { ...apiEnv(), AGENTRUNTIME_PAT: sandbox.vaultKey.pat },
    );
    expect(result.code, result.stderr).toBe(0);
    const output = JSON.parse(result.stdout) as {
      subscription: { name: string; ingress_url: string };
      signing_secret: string;
      curl_test: string;
      test: { status: number; run: { input: Record<string, unknown> } };
    };
    expect(output.subscription.name).toBe("from-flags");
    expect(result.stdout.split(output.signing_secret)).toHaveLength(2);
    expect(result.stderr).not.toContain(output.signing_secret);
    expect(result.stderr).not.toContain(sandbox.vaultKey.pat);
    expect(output.test.status).toBe(202);
    expect(output.test.run.input).toMatchObject({
      source: "shopify",
      warehouse: "berlin-1",
      order_id: "example-order-id",
    });
    const viaCurl = await runCurl(output.curl_test, output.signing_secret, sandbox.vaultKey.pat);
    expect(viaCurl.input).toMatchObject({ source: "shopify", priority: "normal" });
  });

  it("takes a pasted PAT only from the environment or stdin", async () => {
    const fromEnv = await runCli(
      [
        "wizard",
        "--workflow",
        "Weekly report",
        "--name",
        "pasted-env",
        "--api-key",
        "Legacy CI key (not in Vault)",
        "--yes",
        "--json",
        "--no-send-test",
      ],
      { ...apiEnv(), AGENTRUNTIME_PASTE_PAT: sandbox.legacyKey.pat },
    );
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(fromEnv.stdout).not.toContain(sandbox.legacyKey.pat);
    const fromStdin = await runWithStdin(
      [
        "wizard",
        "--workflow",
        "Weekly report",
        "--name",
        "pasted-stdin",
        "--api-key",
        "Legacy CI key (not in Vault)",
        "--pat-stdin",
        "--yes",
        "--json",
      ],
      apiEnv(),
      `${sandbox.legacyKey.pat}\n`,
    );
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    const list = (await sandbox.api(`/v1/inbound-webhooks?workflow_id=${sandbox.weekly.id}`)).body
      .subscriptions;
    const pasted = list.filter((s: { name: string }) => s.name.startsWith("pasted-"));
    expect(pasted.map((s: { automation_pat_id: string }) => s.automation_pat_id)).toEqual([
      sandbox.legacyKey.id,
      sandbox.legacyKey.id,
    ]);
    const asFlag = await runCli(["wizard", "--pat", sandbox.legacyKey.pat], apiEnv());
    expect(asFlag.code).toBe(2);
    expect(asFlag.stderr).not.toContain(sandbox.legacyKey.pat);
  });

  it("sends one create request for a wrong pasted PAT, and says so in the person's words", async () => {
    const before = sandbox.logs.filter((line) => / POST \/v1\/inbound-webhooks /.test(line)).length;
    const wrongPat = `pat_${"w".repeat(40)}`;
    const result = await runCli(
      [
        "wizard",
        "--workflow",
        "Weekly report",
        "--name",
        "wrong-pat",
        "--api-key",
        "Legacy CI key (not in Vault)",
        "--yes",
        "--json",
      ],
      { ...apiEnv(), AGENTRUNTIME_PASTE_PAT: wrongPat },
    );
    const creates = sandbox.logs
      .filter((line) => / POST \/v1\/inbound-webhooks /.test(line))
      .slice(before);
    expect(creates).toHaveLength(1);
    expect(creates[0]).toMatch(/ 422 /);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr.match(/Creating the inbound webhook/g) ?? []).toHaveLength(1);
    expect(result.stderr).toMatch(/AGENTRUNTIME_PASTE_PAT is not the PAT of "Legacy CI key/);
    expect(result.stderr).not.toContain("automation_bearer");
    expect(result.stderr).not.toContain(wrongPat);
    expect(result.stdout).toBe("");
  });

  it("says which flag is missing or wrong, with the choices, exit code 2", async () => {
    const cases: [string[], RegExp][] = [
      [["wizard"], /Say which workflow with --workflow\. Saved workflows: .*Fulfil Shopify order/],
      [
        ["wizard", "--workflow", "Lead routing (draft)"],
        /"Lead routing \(draft\)" is a draft\. Open a saved workflow in Workflow Studio first\. Saved workflows: /,
      ],
      [["wizard", "--workflow", "Weekly report"], /Give the webhook a name with --name/],
      [
        ["wizard", "--workflow", "Weekly report", "--name", "x", "--api-key", "nope"],
        /--api-key "nope" is not an API key here\. Keys: /,
      ],
      [
        [
          "wizard",
          "--workflow",
          "Weekly report",
          "--name",
          "y",
          "--api-key",
          "Legacy CI key (not in Vault)",
        ],
        /AGENTRUNTIME_PASTE_PAT or pipe it with --pat-stdin/,
      ],
      [
        ["wizard", "--workflow", "Weekly report", "--name", "z", "--api-key", "Automation key"],
        /Add --yes/,
      ],
      [["wizard", "--trigger-payload", "nokey"], /--trigger-payload must be key=value pairs/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, apiEnv());
      expect(result.code, `${args.join(" ")}\n${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});

type PtyStep = { expect: string; save?: string } | { send: string } | { shell: string };

/** Runs the wizard in a pseudo-terminal, as a person at a keyboard would; returns the screen. */
async function drive(
  steps: PtyStep[],
  options: { env?: Record<string, string>; args?: string[]; cols?: number } = {},
) {
  const { stdout } = await run(
    "python3",
    [
      driver,
      JSON.stringify(steps),
      "--cols",
      String(options.cols ?? 160),
      "--",
      process.execPath,
      CLI,
      "wizard",
      ...(options.args ?? []),
    ],
    {
      env: { ...process.env, ...apiEnv(), AGENTRUNTIME_PAT: "", ...options.env },
      maxBuffer: 8 * 1024 * 1024,
    },
  ).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
  return { screen: stdout, exit: /\[pty-driver\] exit (\d+)/.exec(stdout)?.[1] };
}

const down = "\u001b[B";
const clearLine = "\u0015";
const CURL_BLOCK = "\\n(\\(\\n {2}set -euo pipefail[\\s\\S]*?\\n\\))\\n";

describe("agentruntime-webhooks wizard, in a terminal", () => {
  it("asks step by step with prompts, shows the secret once, and its curl test starts a run", async () => {
    const { screen } = await drive(
      [
        { expect: "Which saved workflow" },
        { send: "\r" },
        { expect: "Name this inbound webhook" },
        { send: `${clearLine}pty-orders\r` },
        { expect: "Which API key" },
        { send: `${down}\r` },
        { expect: "Paste the PAT of" },
        { send: `${sandbox.legacyKey.pat}\r` },
        { expect: "Run setup defaults" },
        { send: "\r" },
        { expect: "Input fields to fix" },
        { send: "\r" },
        { expect: "Create this inbound webhook" },
        { send: "\r" },
        { expect: "Created the inbound webhook" },
        { expect: "Signing secret \\(shown once" },
        { expect: "What next\\?" },
        { send: `${down}\r` },
        { expect: "Input the workflow received" },
        { expect: "What next\\?" },
        { send: `${down}${down}\r` },
        { expect: "is ready\\. Senders POST to" },
      ],
      { env: { AGENTRUNTIME_PAT: sandbox.legacyKey.pat } },
    );
    expect(screen).toContain("is ready. Senders POST to");
    expect(screen).not.toContain(sandbox.legacyKey.pat);
    const secrets = screen.match(/whsec_[A-Za-z0-9_-]{43}/g) ?? [];
    expect(secrets).toHaveLength(1);
    expect(screen).toMatch(/▪{20,}/);
    const curl = new RegExp(CURL_BLOCK).exec(screen)?.[1];
    expect(curl).toBeDefined();
    const started = await runCurl(curl as string, secrets[0] as string, sandbox.legacyKey.pat);
    expect(started.status).toBe("succeeded");
    expect(started.subscription_id).toBe(
      (
        await sandbox.api(`/v1/inbound-webhooks?workflow_id=${sandbox.shopify.id}`)
      ).body.subscriptions.find((s: { name: string }) => s.name === "pty-orders").id,
    );
  }, 60_000);
}, 120_000);
