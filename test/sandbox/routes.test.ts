import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { managementRoutes, type RouteDeps } from "../../src/sandbox/routes.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";

let sandbox: TestSandbox;
let off: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
  off = await startTestSandbox({ inboundWebhooks: false });
});
afterAll(async () => {
  await sandbox.stop();
  await off.stop();
});

const SOME_ID = "00000000-0000-4000-8000-000000000000";

/** The route table as declared: a concrete path per pattern and the methods it lists. */
function declared(): { path: string; methods: string[] }[] {
  // Only patterns and method names are read; no handler runs.
  const routes = managementRoutes({} as RouteDeps);
  return routes.map(({ pattern, methods }) => ({
    path: pattern.source
      .replace(/^\^/, "")
      .replace(/\$$/, "")
      .replaceAll("\\/", "/")
      .replace("([^/]+)", SOME_ID),
    methods: Object.keys(methods),
  }));
}

describe("the sandbox route table", () => {
  it("answers a method a route does not list with 405 and exactly its methods in Allow", async () => {
    for (const { path, methods } of declared()) {
      // On a webhook's own path, other methods are ingress attempts (see ingress.test.ts).
      if (path === `/v1/inbound-webhooks/${SOME_ID}`) continue;
      const answer = await sandbox.api(path, { method: "PUT" });
      expect(answer.status, path).toBe(405);
      expect(answer.body.error.code).toBe("method_not_allowed");
      expect(answer.headers.get("allow"), path).toBe(methods.join(", "));
    }
  });

  it("routes every listed method to a handler, never to the 404 of an unknown path", async () => {
    for (const { path, methods } of declared()) {
      for (const method of methods) {
        const answer = await sandbox.api(path, {
          method,
          ...(method === "GET" ? {} : { body: {} }),
        });
        expect(answer.body?.error?.code, `${method} ${path}`).not.toBe("not_found");
        expect(answer.status, `${method} ${path}`).not.toBe(405);
      }
    }
  });

  it("turns off every inbound-webhook route with the deployment switch, and nothing else", async () => {
    for (const { path, methods } of declared()) {
      for (const method of methods) {
        const answer = await off.api(path, { method, ...(method === "GET" ? {} : { body: {} }) });
        const disabled = answer.body?.error?.code === "inbound_webhooks_disabled";
        expect(disabled, `${method} ${path}`).toBe(path.startsWith("/v1/inbound-webhooks"));
      }
    }
  });
});
