import type { ElicitRequest } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanJson, markJson, markUntrusted, unmarkForPerson } from "../../src/untrusted/mark.js";
import { type ConnectedMcp, connectMcp } from "../helpers/mcp.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

const NAME = "orders & <b>bold</b> a&amp;b";

let sandbox: TestSandbox;
let mcp: ConnectedMcp;
const prompts: ElicitRequest["params"][] = [];
beforeAll(async () => {
  sandbox = await startTestSandbox();
  mcp = await connectMcp(sandbox, {
    onElicit: async (request) => {
      prompts.push(request);
      return { action: "decline" };
    },
  });
});
afterAll(async () => {
  await mcp?.close();
  await sandbox?.stop();
});

/** The one-time page as the person's browser gets it. */
async function pageAt(url: string): Promise<string> {
  const origin = new URL(url).origin;
  return (await fetch(url, { method: "POST", headers: { origin } })).text();
}

describe("a person reads names as typed, escaped for the page, never marked", () => {
  for (const tool of ["create_inbound_webhook", "rotate_inbound_webhook_secret"] as const) {
    it(`${tool}: the one-time page and the client's prompt`, async () => {
      prompts.length = 0;
      const created = await mcp.call("create_inbound_webhook", {
        workflow_id: sandbox.weekly.id,
        name: `${NAME} ${tool.length}`,
        automation_pat_id: sandbox.vaultKey.id,
      });
      expect(created.isError).toBeFalsy();
      const id = (created.structuredContent as { subscription: { id: string } }).subscription.id;
      const result =
        tool === "create_inbound_webhook"
          ? created
          : await mcp.call(tool, { id, previous_secret_ttl_seconds: 0 });
      const { reveal_url } = result.structuredContent as { reveal_url: string };
      const html = await pageAt(reveal_url);
      expect(html).toContain("orders &#38; &#60;b&#62;bold&#60;/b&#62; a&#38;amp;b");
      expect(html).not.toContain("untrusted");
      const message = prompts.at(-1)?.message ?? "";
      expect(message).toContain(`"${NAME} ${tool.length}"`);
      expect(message).not.toContain("untrusted");
    });
  }

  it("a marked JSON value reads back, for a person, as the cleaned JSON", () => {
    const value = { [NAME]: [NAME, 1, null, { k: "&lt;/untrusted&gt;" }] };
    const shown = unmarkForPerson(JSON.stringify(markJson(value)));
    expect(shown).not.toContain("untrusted>");
    expect(JSON.parse(shown)).toEqual(cleanJson(value));
    expect(unmarkForPerson(`x ${markUntrusted("&amp;lt;")} y`)).toBe("x &amp;lt; y");
  });
});
