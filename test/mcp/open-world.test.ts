import { describe, expect, it } from "vitest";
import { TOOLS } from "../../tools/index.js";

/**
 * The tools that reach past the project's own records: each starts a workflow run (whose steps
 * act on outside systems) or returns what an outside sender wrote. docs/decisions/open-world-hint.md says why.
 */
const OPEN_WORLD: Readonly<Record<string, string>> = {
  answer_inbound_webhook_wizard: "its test step starts a run and reports the sender's input",
  get_inbound_webhook_wizard: "its view carries the last test's run input",
  list_inbound_webhook_deliveries: "returns what outside senders sent",
  wait_for_inbound_webhook_delivery: "returns the next outside request and its run",
  send_inbound_webhook_test: "starts a real workflow run",
};

describe("openWorldHint", () => {
  it("is true exactly for the tools that start runs or return what a sender wrote", () => {
    const open = TOOLS.filter((tool) => tool.annotations.openWorldHint).map((tool) => tool.name);
    expect(open.sort()).toEqual(Object.keys(OPEN_WORLD).sort());
  });

  it("leaves the project's own records closed: workflows, keys and webhook settings", () => {
    for (const name of ["list_workflows", "list_api_keys", "create_inbound_webhook"]) {
      expect(TOOLS.find((tool) => tool.name === name)?.annotations.openWorldHint, name).toBe(false);
    }
  });
});
