import { spawn } from "node:child_process";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildArgvSafeCurl, buildCurlTemplate, CURL_ENV } from "../../src/signing/curl.js";
import { SIGNATURE_HEADER, verifySignature } from "../../src/signing/signature.js";

const SECRET = "whsec-tést-🔑-it's";
const PAT = "pat_0123456789abcdef";

type Received = { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer };

let server: Server;
let baseUrl: string;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const check = verifySignature(body, req.headersDistinct[SIGNATURE_HEADER], SECRET);
      const bearerOk = req.headers.authorization === `Bearer ${PAT}`;
      const status = check.ok && bearerOk ? 202 : 401;
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(check.ok && bearerOk ? { accepted: true } : { check, bearerOk }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) =>
    server.close((err) => (err ? reject(err) : resolve())),
  );
});

beforeEach(() => {
  received.length = 0;
});

/** Feeds the snippet to bash on stdin, as if pasted; async so the in-process server can answer. */
function runBash(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/bash", [], {
      env: { PATH: "/usr/bin:/bin", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
    child.stdin.end(script, "utf8");
  });
}

const bothVars = { [CURL_ENV.signingSecret]: SECRET, [CURL_ENV.pat]: PAT };

describe("buildCurlTemplate", () => {
  it("exports the environment variable names", () => {
    expect(CURL_ENV).toEqual({
      signingSecret: "AGENTRUNTIME_SIGNING_SECRET",
      pat: "AGENTRUNTIME_PAT",
    });
  });

  it("sends the same verified request from the argv-safe recipe of the hand-off guide", async () => {
    const body = '{"msg":"it\'s @home"}';
    const snippet = buildArgvSafeCurl({ ingressUrl: `${baseUrl}/v1/inbound-webhooks/x`, body });
    expect(snippet.trimEnd().split("\n").length).toBeLessThanOrEqual(12);
    expect(snippet).not.toContain("Bearer $");
    const result = await runBash(snippet, bothVars);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(/\nHTTP 202\n$/);
    expect(received[0]?.body.equals(Buffer.from(body, "utf8"))).toBe(true);
  });

  it.each([
    ["a single quote, unicode, $ and backticks", '{"msg":"it\'s $HOME `id` $(id) ünïcödé 🚀"}'],
    ["a leading @ (not a file name for curl)", "@/etc/passwd"],
    ["newlines and a trailing newline", '{\n  "a": "b\\\\n",\n  "c": "\'\'"\n}\n'],
    ["backslashes and percent signs", '{"path":"C:\\\\tmp\\\\%s %d \\\\n"}'],
  ])("sends exact bytes the server verifies: %s", async (_name, body) => {
    const url = `${baseUrl}/v1/inbound-webhooks/sub_123?x=1&y='2'`;
    const snippet = buildCurlTemplate({ ingressUrl: url, body });
    const result = await runBash(snippet, bothVars);

    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/\nHTTP 202\n$/);
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe("/v1/inbound-webhooks/sub_123?x=1&y='2'");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(request?.body.equals(Buffer.from(body, "utf8"))).toBe(true);
  });

  it("reads in at most 12 lines: one python3 hmac line signs, one curl sends", () => {
    const snippet = buildCurlTemplate({ ingressUrl: `${baseUrl}/x`, body: '{"a":1}' });
    const lines = snippet.trimEnd().split("\n");
    expect(lines.length).toBeLessThanOrEqual(12);
    const signing = lines.filter((line) => /hmac|openssl|sha256/i.test(line));
    expect(signing).toHaveLength(2);
    expect(signing[0]).toContain("python3 -c");
    expect(signing[0]).toContain('os.environ["AGENTRUNTIME_SIGNING_SECRET"]');
    expect(signing[1]).toContain('"X-Agentruntime-Signature: sha256=$SIG"');
    expect(snippet).toContain('-H "Authorization: Bearer $AGENTRUNTIME_PAT"');
    expect(snippet).not.toMatch(/\b(od|printf -v|IPAD|OPAD|16#)\b/);
  });

  it("never inlines the secret or the PAT", () => {
    const snippet = buildCurlTemplate({ ingressUrl: `${baseUrl}/x`, body: "{}" });
    expect(snippet).not.toContain(SECRET);
    expect(snippet).not.toContain(PAT);
    expect(snippet).toContain(`os.environ["${CURL_ENV.signingSecret}"]`);
    expect(snippet).toContain(`$${CURL_ENV.pat}`);
  });

  it.each([
    ["unset", { [CURL_ENV.pat]: PAT }],
    ["empty", { [CURL_ENV.signingSecret]: "", [CURL_ENV.pat]: PAT }],
  ])("refuses without calling curl when the signing secret is %s", async (_name, env) => {
    const snippet = buildCurlTemplate({ ingressUrl: `${baseUrl}/x`, body: '{"a":1}' });
    const result = await runBash(snippet, env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(CURL_ENV.signingSecret);
    expect(result.stdout).toBe("");
    expect(received).toHaveLength(0);
  });

  it("refuses without calling curl when the PAT is unset", async () => {
    const snippet = buildCurlTemplate({ ingressUrl: `${baseUrl}/x`, body: '{"a":1}' });
    const result = await runBash(snippet, { [CURL_ENV.signingSecret]: SECRET });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(CURL_ENV.pat);
    expect(received).toHaveLength(0);
  });

  it("stops the rest of the snippet even when later lines follow it", async () => {
    const snippet = buildCurlTemplate({ ingressUrl: `${baseUrl}/x`, body: "{}" });
    const result = await runBash(`${snippet}echo after-snippet\n`, {});
    expect(result.stdout).toBe("after-snippet\n");
    expect(received).toHaveLength(0);
  });

  it("rejects a body with a NUL and a non-http URL", () => {
    expect(() => buildCurlTemplate({ ingressUrl: `${baseUrl}/x`, body: "a\0b" })).toThrow(/NUL/);
    expect(() => buildCurlTemplate({ ingressUrl: "file:///etc/passwd", body: "{}" })).toThrow(
      /http/,
    );
    expect(() => buildCurlTemplate({ ingressUrl: "-K /etc/passwd", body: "{}" })).toThrow(/URL/);
  });
});
