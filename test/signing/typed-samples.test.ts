import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CURL_ENV } from "../../src/signing/curl.js";
import { createInboundWebhook } from "../../tools/create-inbound-webhook.js";
import { getInboundWebhookSenderGuide } from "../../tools/get-inbound-webhook-sender-guide.js";
import { createHook } from "../hardening/kit.js";
import { type ConnectedMcp, connectMcp, structuredOf } from "../helpers/mcp.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

const run = promisify(execFile);

let sandbox: TestSandbox;
let mcp: ConnectedMcp;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  mcp = await connectMcp(sandbox);
});
afterAll(async () => {
  await mcp?.close();
  await sandbox?.stop();
});

describe("samples typed as the demo workflows declare their input", () => {
  it("the demo Shopify workflow declares an integer, an email in a nested object, and strings", () => {
    const declared = Object.assign({}, ...sandbox.shopify.steps.map((step) => step.input_types));
    expect(declared).toMatchObject({ quantity: "integer", "customer.email": "email" });
  });

  it("the curl test posts a typed body", async () => {
    const created = structuredOf(
      createInboundWebhook,
      await mcp.call("create_inbound_webhook", {
        workflow_id: sandbox.shopify.id,
        name: "typed-curl",
        automation_pat_id: sandbox.vaultKey.id,
      }),
    );
    expect(created.curl_test).toContain('"quantity":2');
    expect(created.curl_test).toContain('"customer":{"email":"jane@example.com"}');
    expect(created.curl_test).toContain('"order_id":"example-order-id"');
  });

  it("the hand-off guide's sample is typed, its curl starts a run with those values, and its wording fits a nested sample", async () => {
    const hook = await createHook(sandbox, "typed-guide");
    const { markdown } = structuredOf(
      getInboundWebhookSenderGuide,
      await mcp.call("get_inbound_webhook_sender_guide", { id: hook.id }),
    );
    const block = (language: string) =>
      new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(markdown)?.[1] as string;
    const sample = JSON.parse(block("json"));
    expect(sample).toMatchObject({ quantity: 2, customer: { email: "jane@example.com" } });
    expect(markdown).not.toMatch(/flat JSON object/);
    expect(markdown).toMatch(/`quantity` \(integer\)/);

    const { stdout } = await run("bash", ["-c", block("bash")], {
      env: {
        PATH: process.env.PATH,
        [CURL_ENV.signingSecret]: hook.secret,
        [CURL_ENV.pat]: hook.pat,
      },
    });
    expect(stdout).toMatch(/\nHTTP 202\n$/);
    const runId = JSON.parse(stdout.split("\n")[0] as string).run_id;
    const started = (await sandbox.api(`/v1/runs/${runId}`)).body.run;
    expect(started.input).toMatchObject({ quantity: 2, customer: { email: "jane@example.com" } });
    expect(started.steps.map((step: { output: string }) => step.output)).toContain(
      "Reserve 2 x example-sku in example-warehouse",
    );
  });
});
