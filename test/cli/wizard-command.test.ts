import { execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, runCli } from "../helpers/cli.js";
import { expectPersonVoice } from "../helpers/person-voice.js";
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

type PtyStep =
  | { expect: string; save?: string }
  | { send: string }
  | { shell: string; wait?: boolean };

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
  // every expected screen must have appeared, in order
  expect(stdout, stdout).not.toContain("[pty-driver] timed out");
  return { screen: stdout, exit: /\[pty-driver\] exit (\d+)/.exec(stdout)?.[1] };
}

const down = "\u001b[B";
const clearLine = "\u0015";
const CURL_BLOCK = "\\n(\\(\\n {2}set -eu\\n[\\s\\S]*?\\n\\))\\n";

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

  it("refuses a blank name visibly, goes back from the key, and changes the name at the summary", async () => {
    const { screen } = await drive([
      { expect: "Which saved workflow" },
      { send: `${down}\r` },
      { expect: "Name this inbound webhook" },
      { send: `${clearLine}   \r` },
      { expect: "A name is needed" },
      { send: `${clearLine}first-name\r` },
      { expect: "Which API key" },
      { send: `${down}${down}\r` },
      { expect: "Name this inbound webhook" },
      { send: "\r" },
      { expect: "Which API key" },
      { send: "\r" },
      { expect: "Run setup defaults" },
      { send: "\r" },
      { expect: "Input fields to fix" },
      { send: "\r" },
      { expect: "Name: +first-name" },
      { send: `${down}\r` },
      { expect: "Name this inbound webhook" },
      { send: `${clearLine}second-name\r` },
      { expect: "Name: +second-name" },
      { send: `${down}${down}${down}${down}\r` },
      { expect: "Setup cancelled; nothing was created" },
    ]);
    expect(screen).toContain("A name is needed");
    expect(screen).not.toContain("Created the inbound webhook");
    const names = (
      await sandbox.api(`/v1/inbound-webhooks?workflow_id=${sandbox.weekly.id}`)
    ).body.subscriptions.map((s: { name: string }) => s.name);
    expect(names).not.toContain("first-name");
    expect(names).not.toContain("second-name");
  }, 60_000);

  it("says a refused PAT did not create anything, never done before done", async () => {
    const wrong = `pat_${"x".repeat(36)}${sandbox.legacyKey.pat.slice(-4)}`;
    const { screen } = await drive([
      { expect: "Which saved workflow" },
      { send: `${down}\r` },
      { expect: "Name this inbound webhook" },
      { send: `${clearLine}refused-pat\r` },
      { expect: "Which API key" },
      { send: `${down}\r` },
      { expect: "Paste the PAT of" },
      { send: `${wrong}\r` },
      { expect: "Run setup defaults" },
      { send: "\r" },
      { expect: "Input fields to fix" },
      { send: "\r" },
      { expect: "Create this inbound webhook" },
      { send: "\r" },
      { expect: "The inbound webhook was not created" },
      { expect: "Paste the PAT of" },
      { send: "\u0003" },
      { expect: "nothing was created" },
    ]);
    expect(screen).not.toMatch(/Created the inbound webhook|: done/);
    expect(screen).toContain("AgentRuntime refused the pasted PAT");
    expect(screen).not.toContain("automation_bearer");
    expect(screen).not.toContain(wrong);
  }, 60_000);

  it("on Ctrl+C says nothing was created, and a restart offers to continue where it stopped", async () => {
    const wizardDb = join(tempDir(), "wizards.db");
    const first = await drive(
      [
        { expect: "Which saved workflow" },
        { send: `${down}\r` },
        { expect: "Name this inbound webhook" },
        { send: `${clearLine}resumed-hook\r` },
        { expect: "Which API key" },
        { send: "\u0003" },
        { expect: "nothing was created" },
      ],
      { args: ["--wizard-db", wizardDb] },
    );
    expect(first.screen).toMatch(/Stopped: nothing was created\. Your answers are kept/);
    // Run by node from a clone, where the bare command is not on PATH.
    expect(first.screen).toContain("run `npx agentruntime-webhooks wizard` again");
    expect(first.exit).toBe("130");
    const second = await drive(
      [
        {
          expect:
            "An unfinished setup \\(Weekly report, resumed-hook\\) stopped at: Which API key will the sender use\\?",
        },
        { send: "\r" },
        { expect: "Which API key" },
        { send: "\r" },
        { expect: "Run setup defaults" },
        { send: "\u001b" },
        { expect: "nothing was created" },
      ],
      { args: ["--wizard-db", wizardDb] },
    );
    expect(second.screen).not.toContain("Which saved workflow");
    const fresh = await drive(
      [
        { expect: "An unfinished setup" },
        { send: `${down}\r` },
        { expect: "Which saved workflow" },
        { send: "\u0003" },
        { expect: "nothing was created" },
      ],
      { args: ["--wizard-db", wizardDb] },
    );
    expect(fresh.exit).toBe("130");
  }, 60_000);

  it("prints the URL, secret and curl test whole at 80 columns, and on Ctrl+C says what was created", async () => {
    const { screen, exit } = await drive(
      [
        { expect: "Which saved workflow" },
        { send: "\r" },
        { expect: "Name this inbound webhook" },
        { send: `${clearLine}narrow-terminal\r` },
        { expect: "Which API key" },
        { send: "\r" },
        { expect: "Run setup defaults" },
        { send: "\r" },
        { expect: "Input fields to fix" },
        { send: "\r" },
        { expect: "Create this inbound webhook" },
        { send: "\r" },
        { expect: "What next\\?" },
        { send: "\u0003" },
        { expect: "was created" },
      ],
      { cols: 80 },
    );
    const created = (
      await sandbox.api(`/v1/inbound-webhooks?workflow_id=${sandbox.shopify.id}`)
    ).body.subscriptions.find((s: { name: string }) => s.name === "narrow-terminal");
    const lines = screen.split("\n");
    expect(created.ingress_url.length).toBeGreaterThan(70);
    expect(lines).toContain(created.ingress_url);
    expect(lines.some((line) => /^whsec_[A-Za-z0-9_-]{43}$/.test(line))).toBe(true);
    const curl = new RegExp(CURL_BLOCK).exec(screen)?.[1] ?? "";
    expect(curl).toContain(created.ingress_url);
    expect(curl).not.toMatch(/[│┃|]\s*$/m);
    expect(screen).toMatch(
      /Stopped\. The inbound webhook "narrow-terminal" was created; senders POST to .*You hold its signing secret/s,
    );
    expect(exit).toBe("130");
  }, 60_000);

  it("shows the person's own curl test as it arrives: rejected with the fix, then accepted with its run", async () => {
    const { screen } = await drive(
      [
        { expect: "Which saved workflow" },
        { send: "\r" },
        { expect: "Name this inbound webhook" },
        { send: `${clearLine}own-curl\r` },
        { expect: "Which API key" },
        { send: "\r" },
        { expect: "Run setup defaults" },
        { send: "\r" },
        { expect: "Input fields to fix" },
        { send: "\r" },
        { expect: "Create this inbound webhook" },
        { send: "\r" },
        { expect: "\\n(whsec_[A-Za-z0-9_-]{43})\\n", save: "SECRET" },
        { expect: CURL_BLOCK, save: "CURL" },
        { expect: "What next\\?" },
        { send: "\r" },
        { expect: "Waiting for your curl test" },
        {
          shell: `AGENTRUNTIME_SIGNING_SECRET=whsec_${"w".repeat(43)} AGENTRUNTIME_PAT=${sandbox.vaultKey.pat} bash -c "$CURL"`,
        },
        { expect: "rejected: 401 invalid_signature" },
        { expect: "Fix: Sign the exact bytes" },
        { expect: "What next\\?" },
        { send: "\r" },
        { expect: "Waiting for your curl test" },
        {
          shell: `AGENTRUNTIME_SIGNING_SECRET="$SECRET" AGENTRUNTIME_PAT=${sandbox.vaultKey.pat} bash -c "$CURL"`,
        },
        { expect: "Your test request was accepted" },
        { expect: "Input the workflow received" },
        { expect: "What next\\?" },
        { send: `${down}${down}\r` },
        { expect: "is ready" },
      ],
      { cols: 80 },
    );
    expect(screen).toContain("Your test request was accepted (202)");
    expect(screen).not.toContain(sandbox.vaultKey.pat);
    // The run's input and steps are marked for a model; a person reads them as sent.
    expect(screen).toMatch(/Steps:/);
    expect(screen).not.toContain("untrusted");
  }, 90_000);

  it("with every answer as a flag and --yes, asks nothing", async () => {
    const { screen, exit } = await drive([{ expect: "is ready\\. Senders POST to" }], {
      args: [
        "--workflow",
        "Weekly report",
        "--name",
        "all-flags",
        "--api-key",
        "Automation key",
        "--yes",
      ],
      env: { AGENTRUNTIME_PAT: sandbox.vaultKey.pat },
    });
    expect(screen).not.toMatch(/Run setup defaults|Create this inbound webhook\?|What next/);
    expect(screen).toContain("The test request started a run");
    expect(exit).toBe("0");
  }, 60_000);

  it("refuses a --trigger-payload outside the rules in a person's words", async () => {
    const { screen, exit } = await drive([{ expect: "--trigger-payload" }], {
      args: [
        "--workflow",
        "Weekly report",
        "--name",
        "long-extras",
        "--api-key",
        "Automation key",
        "--trigger-payload",
        `note=${"n".repeat(600)}`,
        "--yes",
      ],
    });
    expect(screen).toContain("each value is text (up to 500 characters)");
    expectPersonVoice(screen.slice(screen.indexOf("--trigger-payload")));
    expect(exit).toBe("2");
  }, 60_000);

  it("does not ask again for a PAT pasted a moment ago when it signs the test request", async () => {
    const { screen } = await drive([
      { expect: "Which saved workflow" },
      { send: `${down}\r` },
      { expect: "Name this inbound webhook" },
      { send: `${clearLine}pasted-once\r` },
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
      { expect: "What next\\?" },
      { send: `${down}\r` },
      { expect: "The test request started a run" },
      { expect: "What next\\?" },
      { send: `${down}${down}\r` },
      { expect: "is ready" },
    ]);
    expect(screen).not.toContain("to sign the test request");
    expect(screen).not.toContain(sandbox.legacyKey.pat);
  }, 60_000);

  it("on the local sandbox hands over the chosen key's PAT right where the curl test asks for it", async () => {
    const dir = tempDir();
    const seeded = await startTestSandbox({ dir });
    const pat = seeded.vaultKey.pat;
    await seeded.close();
    const { screen } = await drive(
      [
        { expect: "Which saved workflow" },
        { send: "\r" },
        { expect: "Name this inbound webhook" },
        { send: `${clearLine}pat-handed-over\r` },
        { expect: "Which API key" },
        { send: "\r" },
        { expect: "Run setup defaults" },
        { send: "\r" },
        { expect: "Input fields to fix" },
        { send: "\r" },
        { expect: "Create this inbound webhook" },
        { send: "\r" },
        { expect: "\\n(whsec_[A-Za-z0-9_-]{43})\\n", save: "SECRET" },
        {
          expect: "AGENTRUNTIME_PAT[^\\n]*local sandbox[^\\n]*\\n\\n?(pat_[A-Za-z0-9_-]+)\\n",
          save: "PAT",
        },
        { expect: CURL_BLOCK, save: "CURL" },
        { expect: "What next\\?" },
        { shell: 'AGENTRUNTIME_SIGNING_SECRET="$SECRET" AGENTRUNTIME_PAT="$PAT" bash -c "$CURL"' },
        { send: "\r" },
        { expect: "Your test request was accepted" },
        { expect: "What next\\?" },
        { send: `${down}${down}\r` },
        { expect: "Press Ctrl\\+C to stop it" },
        { send: "\u0003" },
      ],
      {
        args: ["--sandbox-db", join(dir, "sandbox.db"), "--wizard-db", join(dir, "wizards.db")],
        env: { AGENTRUNTIME_API_URL: "", AGENTRUNTIME_TOKEN: "" },
      },
    );
    expect(screen.split(pat)).toHaveLength(2);
  }, 90_000);

  it("reports only this setup's news: no earlier request replayed after a signed test or after Finish", async () => {
    const dir = tempDir();
    const seeded = await startTestSandbox({ dir });
    const pat = seeded.vaultKey.pat;
    await seeded.close();
    const wrongSecret = `whsec_${"w".repeat(43)}`;
    const { screen, exit } = await drive(
      [
        { expect: "Which saved workflow" },
        { send: "\r" },
        { expect: "Name this inbound webhook" },
        { send: `${clearLine}only-news\r` },
        { expect: "Which API key" },
        { send: "\r" },
        { expect: "Run setup defaults" },
        { send: "\r" },
        { expect: "Input fields to fix" },
        { send: "\r" },
        { expect: "Create this inbound webhook" },
        { send: "\r" },
        { expect: "\\n(whsec_[A-Za-z0-9_-]{43})\\n", save: "SECRET" },
        { expect: CURL_BLOCK, save: "CURL" },
        { expect: "What next\\?" },
        // A first try with a wrong secret, before any choice: seen by nobody yet.
        {
          shell: `AGENTRUNTIME_SIGNING_SECRET=${wrongSecret} AGENTRUNTIME_PAT=${pat} bash -c "$CURL"`,
          wait: true,
        },
        { send: `${down}\r` },
        { expect: "The test request started a run" },
        { expect: "What next\\?" },
        { send: "\r" },
        { expect: "Waiting for your curl test" },
        { shell: `AGENTRUNTIME_SIGNING_SECRET="$SECRET" AGENTRUNTIME_PAT=${pat} bash -c "$CURL"` },
        { expect: "Your test request was accepted" },
        { expect: "What next\\?" },
        { send: `${down}\r` },
        { expect: "The test request started a run" },
        { expect: "What next\\?" },
        { send: `${down}${down}\r` },
        { expect: "Press Ctrl\\+C to stop it" },
        {
          shell: `AGENTRUNTIME_SIGNING_SECRET=${wrongSecret} AGENTRUNTIME_PAT=${pat} bash -c "$CURL"`,
        },
        { expect: "rejected: 401 invalid_signature" },
        { send: "\u0003" },
      ],
      {
        args: ["--sandbox-db", join(dir, "sandbox.db"), "--wizard-db", join(dir, "wizards.db")],
        env: { AGENTRUNTIME_API_URL: "", AGENTRUNTIME_TOKEN: "" },
      },
    );
    // The person's own curl is accepted once; the signed tests are not replayed as theirs, and
    // the only rejection shown is the one sent after Finish.
    expect(screen.split("Your test request was accepted")).toHaveLength(2);
    expect(screen.split("rejected: 401")).toHaveLength(2);
    expect(screen.indexOf("rejected: 401")).toBeGreaterThan(screen.indexOf("Press Ctrl+C"));
    expect(exit).toBe("0");
  }, 120_000);

  it("keeps the embedded sandbox up after the setup and shows each request as it arrives", async () => {
    // The demo data of this folder (and its PATs) are the embedded sandbox's, once it reopens it.
    const dir = tempDir();
    const seeded = await startTestSandbox({ dir });
    const pat = seeded.vaultKey.pat;
    await seeded.close();
    const { screen, exit } = await drive(
      [
        { expect: "Which saved workflow" },
        { send: "\r" },
        { expect: "Name this inbound webhook" },
        { send: `${clearLine}embedded-hook\r` },
        { expect: "Which API key" },
        { send: "\r" },
        { expect: "Run setup defaults" },
        { send: "\r" },
        { expect: "Input fields to fix" },
        { send: "\r" },
        { expect: "Create this inbound webhook" },
        { send: "\r" },
        { expect: "\\n(whsec_[A-Za-z0-9_-]{43})\\n", save: "SECRET" },
        { expect: CURL_BLOCK, save: "CURL" },
        { expect: "What next\\?" },
        { send: `${down}${down}\r` },
        { expect: "Press Ctrl\\+C to stop it" },
        { shell: `AGENTRUNTIME_SIGNING_SECRET="$SECRET" AGENTRUNTIME_PAT=${pat} bash -c "$CURL"` },
        { expect: "Your test request was accepted" },
        { expect: "Input the workflow received" },
        { send: "\u0003" },
      ],
      {
        args: ["--sandbox-db", join(dir, "sandbox.db"), "--wizard-db", join(dir, "wizards.db")],
        env: { AGENTRUNTIME_API_URL: "", AGENTRUNTIME_TOKEN: "" },
      },
    );
    expect(screen).toContain("each request that reaches the webhook is shown here");
    expect(exit).toBe("0");
  }, 90_000);
}, 120_000);
