import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildArgvSafeCurl, buildCurlTemplate, CURL_ENV } from "../../src/signing/curl.js";
import { startTestSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { runWatched } from "./argv-watch.js";
import { createHook, deliveriesOf } from "./kit.js";

let sandbox: TestSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(() => sandbox?.stop());

describe("defect 9: the hand-off guide's curl recipe shows neither secret nor PAT in any process's arguments", () => {
  it("signs and sends a delivery that starts a run, with no secret in argv", async () => {
    const hook = await createHook(sandbox);
    const script = buildArgvSafeCurl({ ingressUrl: hook.url, body: '{"order_id":"argv-1"}' });
    const result = await runWatched(script, {
      [CURL_ENV.signingSecret]: hook.secret,
      [CURL_ENV.pat]: hook.pat,
    });
    expect(result.stdout).toMatch(/\nHTTP 202\n$/);
    expect(result.code).toBe(0);
    const [delivery] = await deliveriesOf(sandbox, hook.id);
    expect(delivery).toMatchObject({ status: 202, outcome: "accepted" });

    // The wrappers saw the commands run, so a clean log means clean arguments.
    expect(result.wrapped).toMatch(/python3 -c import hashlib, hmac/);
    expect(result.wrapped).toMatch(/curl -sS http/);
    expect(result.listings.length).toBeGreaterThan(0);
    for (const text of [result.wrapped, ...result.listings]) {
      expect(text).not.toContain(hook.secret);
      expect(text).not.toContain(hook.pat);
    }
  });

  it("the readable curl test keeps the signing secret out of argv; only its PAT is in curl's", async () => {
    const hook = await createHook(sandbox);
    const script = buildCurlTemplate({ ingressUrl: hook.url, body: '{"order_id":"argv-2"}' });
    const result = await runWatched(script, {
      [CURL_ENV.signingSecret]: hook.secret,
      [CURL_ENV.pat]: hook.pat,
    });
    expect(result.stdout).toMatch(/\nHTTP 202\n$/);
    for (const text of [result.wrapped, ...result.listings]) {
      expect(text).not.toContain(hook.secret);
    }
    // The price of readability, stated in the hand-off guide: the PAT is in curl's arguments.
    expect(result.wrapped).toContain(`Authorization: Bearer ${hook.pat}`);
  });
});
