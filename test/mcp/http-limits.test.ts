import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../src/client/client.js";
import { type RunningMcpHttp, startMcpHttp } from "../../src/mcp/http-transport.js";
import { createMcpServer } from "../../src/mcp/server.js";
import { OneTimePages } from "../../src/pages/one-time-pages.js";
import { TOOLS } from "../../tools/index.js";

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A real HTTP client sending `bytes` of body to /mcp, streamed in 64 KiB chunks. */
function post(url: string, body: Buffer): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: {
          host: target.host,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "content-length": body.length,
          authorization: "Bearer a-caller-token",
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    let offset = 0;
    const next = () => {
      while (offset < body.length) {
        const chunk = body.subarray(offset, offset + 65536);
        offset += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", next);
      }
      req.end();
    };
    next();
  });
}

/** A JSON-RPC message whose one string makes it `bytes` long. */
function bigMessage(bytes: number): Buffer {
  const head = '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"';
  return Buffer.from(`${head}${"x".repeat(bytes - head.length - 3)}"}}`);
}

function rpcErrorOf(answer: Answer): { code: number; message: string } {
  const parsed = JSON.parse(answer.text) as {
    jsonrpc: string;
    error: { code: number; message: string };
  };
  expect(parsed.jsonrpc).toBe("2.0");
  return parsed.error;
}

const modes: [string, () => Parameters<typeof startMcpHttp>[0]][] = [
  [
    "local (sessions)",
    () => ({
      host: "127.0.0.1",
      port: 0,
      createServer: () =>
        createMcpServer({
          client: createClient({ baseUrl: "http://127.0.0.1:9", token: "unused" }),
          tools: TOOLS,
          pages: new OneTimePages(),
          version: "0.0.0-test",
        }),
    }),
  ],
  [
    "hosted (per request)",
    () => ({
      host: "127.0.0.1",
      port: 0,
      perRequest: () =>
        createMcpServer({
          client: createClient({ baseUrl: "http://127.0.0.1:9", token: "unused" }),
          tools: TOOLS,
          pages: new OneTimePages(),
          version: "0.0.0-test",
        }),
    }),
  ],
];

describe.each(modes)("/mcp over HTTP, %s", (_name, options) => {
  let http: RunningMcpHttp;
  beforeAll(async () => {
    http = await startMcpHttp(options());
  });
  afterAll(() => http?.close());

  it.each([5, 50])(
    "answers a %i MB body with 413 and a JSON-RPC error, not a reset",
    async (mb) => {
      const answer = await post(http.url, bigMessage(mb * 1024 * 1024));
      expect(answer.status).toBe(413);
      expect(rpcErrorOf(answer).message).toMatch(/4 MiB/);
    },
  );

  it("answers an empty batch with 400 and a JSON-RPC error", async () => {
    const answer = await post(http.url, Buffer.from("[]"));
    expect(answer.status).toBe(400);
    expect(rpcErrorOf(answer)).toMatchObject({ code: -32600 });
  });

  it("still answers a message just under the limit", async () => {
    const answer = await post(http.url, bigMessage(4 * 1024 * 1024 - 1024));
    expect(answer.status).not.toBe(413);
  });
});
