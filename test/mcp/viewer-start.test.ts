import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectMcp, textOf } from "../helpers/mcp.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox?.stop());

describe("the guided setup with a token that may only read", () => {
  it("says at its start that only a contributor can create, and what the operator must do", async () => {
    const viewer = await connectMcp(sandbox, { token: sandbox.tokens.viewer });
    try {
      const result = await viewer.call("start_inbound_webhook_wizard", {
        workflow_id: sandbox.weekly.id,
      });
      expect(result.isError).toBe(true);
      const text = textOf(result);
      expect(text).toMatch(/^forbidden: .*project_viewer.*project_contributor/);
      // Locally the server's own token is the one AgentRuntime judged.
      expect(text).toMatch(/operator .*AGENTRUNTIME_TOKEN/);
      expect(text).toMatch(/Nothing was created/);
    } finally {
      await viewer.close();
    }
  });

  it("starts as before for a contributor", async () => {
    const contributor = await connectMcp(sandbox, { token: sandbox.tokens.contributor });
    try {
      const result = await contributor.call("start_inbound_webhook_wizard", {
        workflow_id: sandbox.weekly.id,
      });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ step: "naming" });
    } finally {
      await contributor.close();
    }
  });
});
