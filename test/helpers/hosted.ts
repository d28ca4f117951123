import { once } from "node:events";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type CliProcess, spawnCli } from "./cli.js";

/** A page key for tests: long enough, and searched for in logs like any secret. */
export const TEST_PAGE_KEY = "test-page-key-0123456789abcdefghijklmnopqrstuvwxyz";

export interface Replica {
  cli: CliProcess;
  port: number;
  url: string;
  /** Everything the replica wrote to stderr: its JSON request log and its notes. */
  logs(): string;
  stop(): Promise<void>;
}

/** One replica of the hosted server, as a real child process of the built CLI. */
export async function startReplica(options: {
  store: string;
  publicUrl: string;
  apiUrl: string;
  extraArgs?: string[];
  env?: NodeJS.ProcessEnv;
}): Promise<Replica> {
  const cli = spawnCli(
    [
      "mcp",
      "--transport",
      "http",
      "--port",
      "0",
      "--json",
      "--store",
      options.store,
      "--public-url",
      options.publicUrl,
      "--api-url",
      options.apiUrl,
      ...(options.extraArgs ?? []),
    ],
    { AGENTRUNTIME_PAGE_KEY: TEST_PAGE_KEY, ...options.env },
  );
  const { url } = JSON.parse(await cli.firstLine()) as { url: string };
  const port = Number(new URL(url).port);
  return {
    cli,
    port,
    url,
    logs: () => cli.stderr(),
    async stop() {
      if (cli.child.exitCode !== null || cli.child.signalCode !== null) return;
      cli.child.kill("SIGTERM");
      await cli.exit();
    },
  };
}

export interface RoundRobin {
  url: string;
  /** The replica ports behind it, in order; a replica that refuses a connection is skipped. */
  targets: number[];
  /** Which port answered each request, in order. */
  served: number[];
  close(): Promise<void>;
}

/**
 * A load balancer without affinity: each request goes to the next replica, Host kept as the
 * public one; a replica that is down is skipped, as a health-checked balancer would.
 */
export async function startRoundRobin(): Promise<RoundRobin> {
  let next = 0;
  const targets: number[] = [];
  const served: number[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    for (let tries = 0; tries < targets.length; tries += 1) {
      const port = targets[next % targets.length] as number;
      next += 1;
      const done = await new Promise<boolean>((resolve) => {
        const upstream = request(
          { host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            served.push(port);
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            answer.on("end", () => resolve(true));
          },
        );
        upstream.on("error", () => resolve(res.headersSent));
        upstream.end(body);
      });
      if (done) return;
    }
    if (!res.headersSent) res.writeHead(502).end();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    served,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface HttpAnswer {
  status: number;
  text: string;
}

/** A request to one replica as the browser sends it through the public origin (its Host). */
export function hitReplica(
  port: number,
  path: string,
  options: {
    host: string;
    method?: string;
    form?: Record<string, string>;
    /** A POST sends the public origin of `host`, as the page's own form does; null sends none. */
    origin?: string | null;
  },
): Promise<HttpAnswer> {
  const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
  const method = options.method ?? (body === undefined ? "GET" : "POST");
  // Tests serve the public origin over https, or plain http on loopback (a balancer in the test).
  const scheme = /^(127\.0\.0\.1|localhost)(:|$)/.test(options.host) ? "http" : "https";
  const origin =
    options.origin === undefined && method === "POST"
      ? `${scheme}://${options.host}`
      : options.origin;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method,
        headers: {
          host: options.host,
          ...(origin ? { origin } : {}),
          ...(body !== undefined
            ? {
                "content-type": "application/x-www-form-urlencoded",
                "content-length": Buffer.byteLength(body),
              }
            : { "content-length": 0 }),
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

export interface HostedCaller {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/** A real SDK client over Streamable HTTP, sending its AgentRuntime user token as the bearer. */
export async function connectHosted(url: string, token: string): Promise<HostedCaller> {
  const client = new Client({ name: "hosted-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return {
    client,
    call: (name, args = {}) =>
      client.callTool({ name, arguments: args }) as Promise<CallToolResult>,
    close: () => client.close(),
  };
}
