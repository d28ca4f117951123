import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { SandboxDatabase } from "../sandbox/database.js";
import { loadKeyFile, SecretBox } from "../sandbox/secrets.js";
import { type SandboxInfo, sandboxInfo } from "../sandbox/server.js";
import { UsageError } from "./args.js";

/** The port a data folder's sandbox listens on until it remembers another. */
export const DEFAULT_SANDBOX_PORT = 8787;

/** Beside the database, so a data folder and its address travel together. */
export const portFile = (db: string) => `${db}.port`;

/**
 * The port a sandbox of this database listens on: `$AGENTRUNTIME_SANDBOX_PORT` (0: any free
 * port), else the one the data folder remembers, else 8787.
 */
export function sandboxPort(
  db: string,
  env: NodeJS.ProcessEnv,
  command: string,
): { port: number; remembered: number | undefined } {
  const remembered = rememberedPort(db);
  const fromEnv = env.AGENTRUNTIME_SANDBOX_PORT;
  if (fromEnv !== undefined && fromEnv !== "") {
    const port = Number(fromEnv);
    if (!/^\d+$/.test(fromEnv) || port > 65535) {
      throw new UsageError(
        `AGENTRUNTIME_SANDBOX_PORT must be a whole number from 0 to 65535, not "${fromEnv}"`,
        command,
      );
    }
    return { port, remembered };
  }
  return { port: remembered ?? DEFAULT_SANDBOX_PORT, remembered };
}

function rememberedPort(db: string): number | undefined {
  if (db === ":memory:" || !existsSync(portFile(db))) return undefined;
  const text = readFileSync(portFile(db), "utf8").trim();
  const port = Number(text);
  // A damaged file is ignored rather than fatal: the default port still works.
  return /^\d+$/.test(text) && port >= 1 && port <= 65535 ? port : undefined;
}

/** Remembers where this database's sandbox listens, so its URLs stay the same next time. */
export function rememberPort(db: string, url: string): void {
  if (db === ":memory:") return;
  const port = new URL(url).port;
  if (rememberedPort(db) !== Number(port)) writeFileSync(portFile(db), `${port}\n`);
}

/** What answers on a loopback port, seen from a sandbox database. */
export type SandboxAtPort =
  | { kind: "free" }
  | { kind: "ours"; info: SandboxInfo }
  | { kind: "other"; what: string };

/**
 * Whether the sandbox of `db` already listens on `port` of loopback. Its own contributor
 * token is accepted only by a sandbox of the same database, so that is the test.
 */
export async function findSandbox(db: string, port: number): Promise<SandboxAtPort> {
  const url = `http://127.0.0.1:${port}`;
  const info = existsSync(db) && existsSync(`${db}.key`) ? readSandboxInfo(db, url) : undefined;
  const answer = await get(`${url}/v1/workflows?limit=1`, info?.tokens.contributor ?? "none");
  if (answer === "refused") return { kind: "free" };
  if (answer === "silent") return { kind: "other", what: "another program" };
  const first = info?.workflows[0]?.id;
  if (answer.status === 200 && first && answer.body.includes(first)) return { kind: "ours", info };
  return {
    kind: "other",
    what: /"code"\s*:\s*"unauthenticated"/.test(answer.body)
      ? "a sandbox of another data folder"
      : "another program",
  };
}

function readSandboxInfo(db: string, url: string): SandboxInfo {
  const store = new SandboxDatabase({
    path: db,
    box: new SecretBox(loadKeyFile(`${db}.key`, false)),
    ingressBase: () => url,
  });
  try {
    return sandboxInfo(store, url);
  } finally {
    store.close();
  }
}

/** One GET with no keep-alive, so a command that found nothing does not stay up for a socket. */
function get(
  url: string,
  token: string,
): Promise<{ status: number; body: string } | "refused" | "silent"> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        agent: false,
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(3000),
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          if (body.length < 4096) body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", () => resolve("silent"));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) =>
      resolve(error.code === "ECONNREFUSED" ? "refused" : "silent"),
    );
    req.end();
  });
}

/** The sentence for a port another program holds, and what to do about it. */
export function portHeldMessage(
  port: number,
  what: string,
  db: string,
  fix: "variable" | "flag",
): string {
  const move =
    fix === "flag"
      ? "choose another with --port <n> (0 picks a free one; the data folder then remembers it)"
      : "move this data folder's sandbox to another port with AGENTRUNTIME_SANDBOX_PORT=<n> (0 picks a free one; the folder then remembers it)";
  return `port ${port} on 127.0.0.1 is held by ${what}, not by the sandbox of ${db}. Stop that, or ${move}. Webhook URLs handed out earlier point at port ${port}.`;
}
