import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { unmarkingStream } from "../../src/cli/chat-command.js";
import { CLI, type CliProcess, runCli, spawnCli } from "../helpers/cli.js";
import {
  type ChatRequest,
  lastToolResult,
  type ScriptedTurn,
  startFakeOpenAi,
} from "../helpers/fake-openai.js";
import { startTestSandbox, type TestSandbox, tempDir } from "../helpers/sandbox.js";

const run = promisify(execFile);
const driver = fileURLToPath(new URL("../helpers/pty-driver.py", import.meta.url));

let sandbox: TestSandbox;
const running: CliProcess[] = [];
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  for (const cli of running) cli.child.kill("SIGKILL");
  await sandbox.stop();
});

const backend = () => ({
  AGENTRUNTIME_API_URL: sandbox.url,
  AGENTRUNTIME_TOKEN: sandbox.tokens.contributor,
  AGENTRUNTIME_SANDBOX_DIR: tempDir(),
});

function wizardIdOf(request: ChatRequest): string {
  const found = request.messages
    .map((m) => /"wizard_id":"([0-9a-f-]{36})"/.exec(m.content ?? "")?.[1])
    .find(Boolean);
  return found as string;
}

describe("agentruntime-webhooks chat", () => {
  it("says plainly what to set when no model is configured, and points to the guide", async () => {
    const result = await runCli(["chat"], backend());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/No model is configured/);
    expect(result.stderr).toMatch(/OPENAI_MODEL/);
    expect(result.stderr).toMatch(/agentruntime-webhooks wizard/);
  });

  it("finishes the wizard in a conversation, sending the person to the one-time page", async () => {
    const turns: ((request: ChatRequest) => ScriptedTurn)[] = [
      () => ({
        tool: "start_inbound_webhook_wizard",
        args: { workflow_id: sandbox.shopify.id, sender: "Shopify" },
      }),
      () => ({ text: "What name?" }),
      (r) => ({
        tool: "answer_inbound_webhook_wizard",
        args: {
          wizard_id: wizardIdOf(r),
          action: "set_name",
          value: "cli-chat-orders",
          use_run_setup_defaults: null,
          trigger_payload: null,
        },
      }),
      (r) => ({
        tool: "answer_inbound_webhook_wizard",
        args: {
          wizard_id: wizardIdOf(r),
          action: "choose_api_key",
          value: sandbox.vaultKey.id,
          use_run_setup_defaults: null,
          trigger_payload: null,
        },
      }),
      (r) => ({
        tool: "answer_inbound_webhook_wizard",
        args: {
          wizard_id: wizardIdOf(r),
          action: "skip_extras",
          value: null,
          use_run_setup_defaults: null,
          trigger_payload: null,
        },
      }),
      () => ({ text: "Create it?" }),
      (r) => ({
        tool: "answer_inbound_webhook_wizard",
        args: {
          wizard_id: wizardIdOf(r),
          action: "confirm",
          value: null,
          use_run_setup_defaults: null,
          trigger_payload: null,
        },
      }),
      () => ({ text: "Open the page I sent you, then tell me." }),
      (r) => ({
        tool: "answer_inbound_webhook_wizard",
        args: {
          wizard_id: wizardIdOf(r),
          action: "finish",
          value: null,
          use_run_setup_defaults: null,
          trigger_payload: null,
        },
      }),
      (r) => ({ text: `Done: ${String((lastToolResult(r).json as { step?: string })?.step)}.` }),
    ];
    const fake = await startFakeOpenAi((request, index) =>
      (turns[index] as (r: ChatRequest) => ScriptedTurn)(request),
    );
    try {
      const cli = spawnCli(["chat"], {
        ...backend(),
        OPENAI_BASE_URL: fake.baseUrl,
        OPENAI_MODEL: "scripted-model",
        OPENAI_API_KEY: "sk-test",
      });
      running.push(cli);
      const waitFor = (pattern: RegExp) =>
        vi.waitFor(() => expect(cli.stdout()).toMatch(pattern), { timeout: 15_000, interval: 50 });
      cli.child.stdin.write("Start my workflow whenever Shopify sends an order\n");
      await waitFor(/What name\?/);
      cli.child.stdin.write("cli-chat-orders, the automation key, no extras\n");
      await waitFor(/Create it\?/);
      cli.child.stdin.write("yes\n");
      await waitFor(
        /🔒 Open this private page to copy the signing secret\. It is shown once\.\n {3}(http:\/\/127\.0\.0\.1:\d+\/once\/\S+)/,
      );
      const url = /🔒 [^\n]*\n {3}(\S+)/.exec(cli.stdout())?.[1] as string;
      const page = await (
        await fetch(url, { method: "POST", headers: { origin: new URL(url).origin } })
      ).text();
      const secret = /id="secret">(whsec_[A-Za-z0-9_-]+)</.exec(page)?.[1] as string;
      await waitFor(/The private page has been used/);
      cli.child.stdin.write("stored it\n");
      await waitFor(/Done: done\./);
      cli.child.stdin.end();
      expect((await cli.exit()).code).toBe(0);
      const everything = `${cli.stdout()}${cli.stderr()}${JSON.stringify(fake.requests)}`;
      expect(everything).not.toContain(secret);
    } finally {
      await fake.close();
    }
  });

  it("keeps a pasted PAT out of the model and tells the person to rotate it", async () => {
    const fake = await startFakeOpenAi(() => ({ text: "Use the private page, please." }));
    try {
      const cli = spawnCli(["chat"], {
        ...backend(),
        OPENAI_BASE_URL: fake.baseUrl,
        OPENAI_MODEL: "m",
      });
      running.push(cli);
      cli.child.stdin.end(`here it is: ${sandbox.legacyKey.pat}\n`);
      expect((await cli.exit()).code).toBe(0);
      expect(cli.stdout()).toMatch(/removed before anything was sent to the model.*rotate/);
      expect(JSON.stringify(fake.requests)).not.toContain(sandbox.legacyKey.pat);
      expect(JSON.stringify(fake.requests)).toContain("[secret removed]");
    } finally {
      await fake.close();
    }
  });

  it("shows the model's reply without the marks it copied from tool results", async () => {
    const fake = await startFakeOpenAi(() => ({
      text: 'Your workflow <untrusted>Fulfil Shopify order</untrusted> is ready; a < b, and "<untrusted>x</untrusted>".',
    }));
    try {
      const cli = spawnCli(["chat"], {
        ...backend(),
        OPENAI_BASE_URL: fake.baseUrl,
        OPENAI_MODEL: "m",
      });
      running.push(cli);
      cli.child.stdin.end("hello\n");
      expect((await cli.exit()).code).toBe(0);
      expect(cli.stdout()).toContain(
        'autopilot › Your workflow Fulfil Shopify order is ready; a < b, and "x".',
      );
      expect(cli.stdout()).not.toContain("untrusted");
    } finally {
      await fake.close();
    }
  });

  it("drops marks split across streamed deltas, and holds back only what may become one", () => {
    const stream = unmarkingStream();
    const parts = ["Run <untr", "usted>Weekly</untrusted", "> ok <", "3 and <"];
    expect(parts.map((part) => stream.push(part)).join("") + stream.end()).toBe(
      "Run Weekly ok <3 and <",
    );
  });

  it("reports an unreachable model with what to check, exit code 1", async () => {
    const fake = await startFakeOpenAi(() => ({ fail: 401 }));
    try {
      const cli = spawnCli(["chat"], {
        ...backend(),
        OPENAI_BASE_URL: fake.baseUrl,
        OPENAI_MODEL: "m",
      });
      running.push(cli);
      cli.child.stdin.end("hello\n");
      expect((await cli.exit()).code).toBe(1);
      expect(cli.stderr()).toMatch(/Check OPENAI_BASE_URL, OPENAI_MODEL and OPENAI_API_KEY/);
    } finally {
      await fake.close();
    }
  });

  it("warns before the first message when a hosted model has no API key", async () => {
    const hosted = await runCli(["chat"], {
      ...backend(),
      OPENAI_MODEL: "gpt-4o-mini",
      OPENAI_BASE_URL: "https://models.example.test/v1",
    });
    expect(hosted.stderr).toMatch(/OPENAI_API_KEY is not set/);
    expect(hosted.stderr).toContain("https://models.example.test/v1");
    expect(hosted.code).toBe(0);

    const openai = await runCli(["chat"], { ...backend(), OPENAI_MODEL: "gpt-4o-mini" });
    expect(openai.stderr).toMatch(/OPENAI_API_KEY is not set.*OpenAI/);

    const fake = await startFakeOpenAi(() => ({ text: "hi" }));
    try {
      for (const local of [fake.baseUrl, fake.baseUrl.replace("127.0.0.1", "localhost")]) {
        const quiet = await runCli(["chat"], {
          ...backend(),
          OPENAI_MODEL: "m",
          OPENAI_BASE_URL: local,
        });
        expect(quiet.stderr).not.toMatch(/OPENAI_API_KEY/);
      }
      const keyed = await runCli(["chat"], {
        ...backend(),
        OPENAI_MODEL: "m",
        OPENAI_API_KEY: "sk-test",
      });
      expect(keyed.stderr).not.toMatch(/OPENAI_API_KEY is not set/);
    } finally {
      await fake.close();
    }
  });

  it("leaves with exit code 0 on /exit in a terminal, even after the model failed", async () => {
    const fake = await startFakeOpenAi(() => ({ fail: 401 }));
    try {
      const steps = [
        { expect: "/exit to leave" },
        { expect: "you › " },
        { send: "hello\r" },
        { expect: "Check OPENAI_BASE_URL" },
        { expect: "you › " },
        { send: "/exit\r" },
        { expect: "exit code (\\d+)" },
      ];
      const { stdout } = await run(
        "python3",
        [
          driver,
          JSON.stringify(steps),
          "--",
          "sh",
          "-c",
          `"${process.execPath}" "${CLI}" chat; echo "exit code $?"`,
        ],
        {
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            ...backend(),
            OPENAI_BASE_URL: fake.baseUrl,
            OPENAI_MODEL: "m",
            OPENAI_API_KEY: "sk-test",
          },
        },
      ).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
      expect(stdout).toMatch(/exit code 0/);
    } finally {
      await fake.close();
    }
  }, 60_000);

  it("hands the whole AgentRuntime configuration to the guided setup it offers without a model", async () => {
    const steps = [
      { expect: "Start the guided setup now\\?" },
      { send: "\r" },
      { expect: "Fulfil Shopify order" },
      { send: "\x03" },
      { expect: "exit code (\\d+)" },
    ];
    const { stdout } = await run(
      "python3",
      [
        driver,
        JSON.stringify(steps),
        "--",
        "sh",
        "-c",
        `"${process.execPath}" "${CLI}" chat --api-url "${sandbox.url}" --token "${sandbox.tokens.contributor}"; echo "exit code $?"`,
      ],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AGENTRUNTIME_SANDBOX_DIR: tempDir(),
        },
      },
    ).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    expect(stdout).not.toMatch(/no token|AGENTRUNTIME_TOKEN/);
    expect(stdout).toContain("Fulfil Shopify order");
  }, 60_000);
});
