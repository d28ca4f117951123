import { request } from "node:http";
import { afterAll, describe, expect, it } from "vitest";
import { OneTimePages } from "../../src/pages/one-time-pages.js";

/** A POST as a script or another site could send it: the Origin header is the caller's choice. */
function postTo(url: string, origin?: string, form = ""): Promise<number> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "content-length": Buffer.byteLength(form),
          ...(origin === undefined ? {} : { origin }),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(form);
  });
}

describe("a one-time page on loopback", () => {
  const pages = new OneTimePages();
  afterAll(() => pages.close());

  it("refuses a POST without an Origin or from another one, and stays usable", async () => {
    const page = await pages.createReveal({
      title: "Signing secret",
      secret: "whsec_origin_test_0123456789abcdef",
      secretLabel: "Signing secret",
      ingressUrl: "http://127.0.0.1:9/v1/inbound-webhooks/x",
      curl: "curl …",
      notes: [],
    });
    const origin = new URL(page.url).origin;
    expect(await postTo(page.url)).toBe(403);
    expect(await postTo(page.url, "null")).toBe(403);
    expect(await postTo(page.url, "http://evil.example")).toBe(403);
    expect(pages.isLive(page.id)).toBe(true);
    expect(await postTo(page.url, origin)).toBe(200);
    expect(await postTo(page.url, origin)).toBe(410);
  });

  it("refuses a paste without an Origin before reading what was pasted", async () => {
    const taken: string[] = [];
    const page = await pages.createPaste({
      title: "Paste the PAT",
      label: "PAT",
      notes: [],
      check: () => undefined,
      accept: (value) => taken.push(value),
    });
    expect(await postTo(page.url, undefined, "secret=pat_from_a_script_0123456789")).toBe(403);
    expect(taken).toEqual([]);
    expect(
      await postTo(page.url, new URL(page.url).origin, "secret=pat_from_the_page_0123456789"),
    ).toBe(200);
    expect(taken).toEqual(["pat_from_the_page_0123456789"]);
  });
});
