import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type RunningSandbox,
  type SandboxOptions,
  startSandbox,
} from "../../src/sandbox/server.js";
import { signBody } from "../../src/signing/signature.js";

export interface TestSandbox extends RunningSandbox {
  dir: string;
  logs: string[];
  /** The saved demo workflow with run setup defaults and `{{input.*}}` steps. */
  shopify: RunningSandbox["workflows"][number];
  weekly: RunningSandbox["workflows"][number];
  draft: RunningSandbox["workflows"][number];
  vaultKey: RunningSandbox["api_keys"][number];
  legacyKey: RunningSandbox["api_keys"][number];
  api(path: string, init?: ApiInit): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

export interface ApiInit {
  method?: string;
  body?: unknown;
  token?: string | null;
  headers?: Record<string, string>;
}

export interface ApiAnswer {
  status: number;
  headers: Headers;
  // Tests read answers loosely and assert on them; the client parses them strictly.
  // biome-ignore lint/suspicious/noExplicitAny: test answers are checked by assertions
  body: any;
  text: string;
}

export function tempDir(prefix = "arw-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A sandbox on port 0 with a SQLite file in a fresh temp folder; logs are kept for inspection. */
export async function startTestSandbox(
  options: Partial<SandboxOptions> & { dir?: string } = {},
): Promise<TestSandbox> {
  const dir = options.dir ?? tempDir();
  const logs: string[] = [];
  const sandbox = await startSandbox({
    db: join(dir, "sandbox.db"),
    port: 0,
    log: (line) => logs.push(line),
    ...options,
  });
  const byName = (name: string) => {
    const workflow = sandbox.workflows.find((item) => item.name === name);
    if (!workflow) throw new Error(`demo workflow ${name} missing`);
    return workflow;
  };
  const key = (inVault: boolean) => {
    const found = sandbox.api_keys.find((item) => item.in_vault === inVault);
    if (!found) throw new Error("demo key missing");
    return found;
  };
  const seeded = (options.seed ?? "demo") === "demo";
  return Object.assign(sandbox, {
    dir,
    logs,
    shopify: seeded ? byName("Fulfil Shopify order") : (undefined as never),
    weekly: seeded ? byName("Weekly report") : (undefined as never),
    draft: seeded ? byName("Lead routing (draft)") : (undefined as never),
    vaultKey: seeded ? key(true) : (undefined as never),
    legacyKey: seeded ? key(false) : (undefined as never),
    api: (path: string, init: ApiInit = {}) =>
      callApi(sandbox.url, sandbox.tokens.contributor, path, init),
    async stop() {
      await sandbox.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  });
}

export async function callApi(
  baseUrl: string,
  defaultToken: string,
  path: string,
  init: ApiInit = {},
): Promise<ApiAnswer> {
  const token = init.token === undefined ? defaultToken : init.token;
  const headers: Record<string, string> = { ...init.headers };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers["content-type"] ??= "application/json";
  const response = await fetch(baseUrl + path, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === "string"
          ? init.body
          : JSON.stringify(init.body),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** Sends a body to ingress the way a well-behaved sender does, with overrides for the tests that misbehave. */
export async function sendSigned(
  ingressUrl: string,
  body: string | Buffer,
  credentials: { secret: string; pat: string },
  overrides: { headers?: Record<string, string>; method?: string } = {},
): Promise<ApiAnswer> {
  const response = await fetch(ingressUrl, {
    method: overrides.method ?? "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${credentials.pat}`,
      "x-agentruntime-signature": signBody(body, credentials.secret),
      ...overrides.headers,
    },
    body,
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** One raw request with node:http: odd methods, repeated headers, bodies sent in timed chunks. */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string | string[]>;
    /** Written as is; an array is written one chunk at a time. */
    body?: Buffer | string | readonly Buffer[];
    /** Leave the request open after the body instead of ending it. */
    holdOpen?: boolean;
  },
): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? "POST", headers: options.headers },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (chunk: Buffer) => parts.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(parts).toString("utf8");
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          const headers = new Headers();
          for (const [key, value] of Object.entries(res.headers)) {
            if (typeof value === "string") headers.set(key, value);
          }
          resolve({ status: res.statusCode ?? 0, headers, body, text });
        });
      },
    );
    req.on("error", reject);
    for (const chunk of Array.isArray(options.body) ? options.body : [options.body]) {
      if (chunk !== undefined) req.write(chunk);
    }
    if (!options.holdOpen) req.end();
  });
}
