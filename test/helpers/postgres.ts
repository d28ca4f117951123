import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

const BIN = process.env.POSTGRES_BIN ?? "/usr/lib/postgresql/15/bin";

export interface TestPostgres {
  /** A connection string for a new, empty database on this server. */
  createDatabase(): Promise<string>;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** PostgreSQL refuses to run as root; as root every server command runs as `postgres`. */
function run(args: string[]): void {
  const [command, ...rest] = args as [string, ...string[]];
  const asRoot = process.getuid?.() === 0;
  const result = asRoot
    ? spawnSync("runuser", ["-u", "postgres", "--", command, ...rest], { encoding: "utf8" })
    : spawnSync(command, rest, { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`${args.join(" ")} failed: ${result.stderr || result.stdout}`);
  }
}

/**
 * A throwaway PostgreSQL server (Debian's `postgresql`) in a temp folder on a free loopback
 * port, with no durability settings (tests only); `stop` removes every trace.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  if (!existsSync(join(BIN, "initdb"))) {
    throw new Error(
      `PostgreSQL is not installed at ${BIN}: install Debian's postgresql (apt-get install postgresql), or set POSTGRES_BIN`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "arw-pg-"));
  if (process.getuid?.() === 0)
    chownSync(dir, Number(execFileSync("id", ["-u", "postgres"]).toString()), 0);
  const data = join(dir, "data");
  run([
    join(BIN, "initdb"),
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "postgres",
    "-E",
    "UTF8",
    "--no-sync",
  ]);
  let port = 0;
  for (let attempt = 0; ; attempt += 1) {
    port = await freePort();
    try {
      run([
        join(BIN, "pg_ctl"),
        "-D",
        data,
        "-w",
        "-l",
        join(dir, "server.log"),
        "-o",
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`,
        "start",
      ]);
      break;
    } catch (error) {
      if (attempt >= 2) throw error;
    }
  }
  let count = 0;
  let stopped = false;
  return {
    async createDatabase() {
      count += 1;
      const name = `arw_test_${count}`;
      const admin = new pg.Client({
        connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
      });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        run([join(BIN, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
