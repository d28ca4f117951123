/**
 * `npm run hardening`: starts a sandbox as a real child process on 127.0.0.1 and prints the
 * evidence table: bad inputs, 10,000 signed deliveries, `kill -9` rounds, concurrent creates
 * with one idempotency key, storage under anonymous traffic, and secrets found per channel.
 * Every phase is bounded in count and in time. Exits 1 when any figure is not what it must be.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import Database from "better-sqlite3";
import { registerIdFunctions } from "../../src/sandbox/ids.js";
import { buildArgvSafeCurl, buildCurlTemplate, CURL_ENV } from "../../src/signing/curl.js";
import { signBody } from "../../src/signing/signature.js";
import { looksLikeSecret } from "../../src/untrusted/secret-shapes.js";
import {
  CLI_SCRIPT,
  killChildrenOnExit,
  makeTempDir,
  removeTempDir,
  runMain,
  table,
} from "../bench/common.js";
import { connectMcp, textOf } from "../helpers/mcp.js";
import type { TestSandbox } from "../helpers/sandbox.js";
import { callApi } from "../helpers/sandbox.js";
import { runWatched } from "./argv-watch.js";
import { BAD_INGRESS, type IngressTargets, sendRaw } from "./bad-ingress.js";

const DELIVERIES = 10_000;
const CONCURRENCY = 32;
const KILL_ROUNDS = 3;
const ANONYMOUS_REQUESTS = 2_000;
const SAME_KEY_CREATES = 20;
/** No phase may run longer than this; what it managed by then is reported. */
const PHASE_LIMIT_MS = 60_000;

interface SandboxChild {
  child: ChildProcess;
  url: string;
  contributor: string;
  shopifyId: string;
  vaultKey: { id: string; pat: string };
  otherPat: string;
  output: () => string;
}

/** Starts the sandbox CLI on a free loopback port and reads its JSON line; keeps all it logs. */
function startSandboxChild(db: string): Promise<SandboxChild> {
  const child = spawn(
    process.execPath,
    [CLI_SCRIPT, "sandbox", "--port", "0", "--json", "--db", db],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    output += text;
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) =>
      reject(new Error(`the sandbox exited (${code}) before listening:\n${output}`)),
    );
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    // The first line is the start-up answer, which prints the demo tokens on purpose.
    lines.once("line", (line) => {
      lines.on("line", (more) => {
        output += `${more}\n`;
      });
      const info = JSON.parse(line) as {
        url: string;
        tokens: { contributor: string };
        workflows: { id: string; name: string }[];
        api_keys: { id: string; in_vault: boolean; pat: string }[];
      };
      const vault = info.api_keys.find((key) => key.in_vault);
      const other = info.api_keys.find((key) => !key.in_vault);
      const shopify = info.workflows.find((workflow) => workflow.name === "Fulfil Shopify order");
      if (!vault || !other || !shopify) return reject(new Error("the sandbox has no demo data"));
      resolve({
        child,
        url: info.url,
        contributor: info.tokens.contributor,
        shopifyId: shopify.id,
        vaultKey: { id: vault.id, pat: vault.pat },
        otherPat: other.pat,
        output: () => output,
      });
    });
  });
}

function kill9(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  return exited;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

const api = (sandbox: SandboxChild, path: string, init: Parameters<typeof callApi>[3] = {}) =>
  callApi(sandbox.url, sandbox.contributor, path, init);

async function createHook(sandbox: SandboxChild, name: string) {
  const answer = await api(sandbox, "/v1/inbound-webhooks", {
    body: { workflow_id: sandbox.shopifyId, name, automation_pat_id: sandbox.vaultKey.id },
  });
  if (answer.status !== 201)
    throw new Error(`creating ${name} answered ${answer.status}: ${answer.text}`);
  return {
    id: answer.body.subscription.id as string,
    url: answer.body.ingress_url as string,
    secret: answer.body.signing_secret as string,
    pat: sandbox.vaultKey.pat,
  };
}

/** Runs `work(i)` for i in 0..count-1 with `concurrency` in flight, stopping at `deadline`. */
async function pool(
  count: number,
  concurrency: number,
  deadline: number,
  work: (i: number) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      const i = next;
      next += 1;
      await work(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return next;
}

async function postSigned(url: string, body: string, secret: string, pat: string) {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${pat}`,
      "x-agentruntime-signature": signBody(body, secret),
    },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  await response.arrayBuffer();
  return { status: response.status, deliveryId: response.headers.get("x-delivery-id") };
}

const fileSize = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/** Counts which of the known secrets, or anything secret-shaped, a text carries. */
function secretsIn(text: string, known: readonly string[], shapes: boolean): number {
  const found = known.filter((secret) => text.includes(secret)).length;
  return found + (shapes && found === 0 && looksLikeSecret(text) ? 1 : 0);
}

async function main(): Promise<number> {
  killChildrenOnExit();
  const dir = makeTempDir("arw-hardening-");
  const rows: string[][] = [["check", "figure", "must be", "ok"]];
  const add = (check: string, figure: string | number, must: string, ok: boolean) => {
    rows.push([check, String(figure), must, ok ? "yes" : "NO"]);
  };
  const db = join(dir, "sandbox.db");
  const sandbox = await startSandboxChild(db);
  const reader = () => {
    const connection = new Database(db, { readonly: true, fileMustExist: true });
    registerIdFunctions(connection);
    return connection;
  };
  const known: string[] = [sandbox.vaultKey.pat, sandbox.otherPat];

  // ---- bad input ----
  const live = await createHook(sandbox, "hardening-live");
  const paused = await createHook(sandbox, "hardening-paused");
  const deleted = await createHook(sandbox, "hardening-deleted");
  known.push(live.secret, paused.secret, deleted.secret);
  await api(sandbox, `/v1/inbound-webhooks/${paused.id}`, {
    method: "PATCH",
    body: { enabled: false },
  });
  await api(sandbox, `/v1/inbound-webhooks/${deleted.id}`, { method: "DELETE" });
  const targets: IngressTargets = {
    base: sandbox.url,
    live,
    paused,
    deletedUrl: deleted.url,
    otherPat: sandbox.otherPat,
    userToken: sandbox.contributor,
    maxBodyBytes: 1024 * 1024,
  };
  let wronglyAccepted = 0;
  let serverErrors = 0;
  let unexpected = 0;
  let unrecorded = 0;
  const answers = await Promise.all(
    BAD_INGRESS.map(async (kind) => ({ kind, answer: await sendRaw(kind.build(targets)) })),
  );
  {
    const check = reader();
    const byId = check.prepare("SELECT status, reason FROM deliveries WHERE id = id_bytes(?)");
    for (const { kind, answer } of answers) {
      if (answer.status >= 200 && answer.status < 300) wronglyAccepted += 1;
      if (answer.status >= 500 && kind.status < 500) serverErrors += 1;
      if (answer.status !== kind.status || answer.code !== kind.code) unexpected += 1;
      const row = kind.stored
        ? (byId.get(answer.deliveryId ?? "") as { status: number; reason: string } | undefined)
        : undefined;
      if (kind.stored && (row?.status !== kind.status || row.reason !== kind.code)) unrecorded += 1;
    }
    check.close();
  }
  const crashed = sandbox.child.exitCode !== null || sandbox.child.signalCode !== null;
  add(
    `bad ingress inputs tried (${BAD_INGRESS.length} kinds)`,
    BAD_INGRESS.length,
    "≥ 80",
    BAD_INGRESS.length >= 80,
  );
  add("  wrongly accepted", wronglyAccepted, "0", wronglyAccepted === 0);
  add("  answered 5xx (besides 503 for a paused webhook)", serverErrors, "0", serverErrors === 0);
  add("  other status or code than the contract's", unexpected, "0", unexpected === 0);
  add("  not recorded", unrecorded, "0", unrecorded === 0);
  add("  sandbox crashes", crashed ? 1 : 0, "0", !crashed);

  // ---- storage under anonymous requests ----
  {
    const sizes = () => fileSize(db) + fileSize(`${db}-wal`);
    const rows = () => {
      const check = reader();
      const n = (check.prepare("SELECT count(*) AS n FROM deliveries").get() as { n: number }).n;
      check.close();
      return n;
    };
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const before = { bytes: sizes(), rows: rows() };
    const longId = "x".repeat(12_000);
    await pool(ANONYMOUS_REQUESTS, CONCURRENCY, Date.now() + PHASE_LIMIT_MS, async (i) => {
      const response = await fetch(`${sandbox.url}/v1/inbound-webhooks/${longId}${i}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      await response.arrayBuffer();
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const grown = sizes() - before.bytes;
    const added = rows() - before.rows;
    add(
      `storage growth, ${ANONYMOUS_REQUESTS} anonymous 12 KB-id requests`,
      `${Math.round(grown / 1024)} KiB, ${added} rows`,
      "< 256 KiB, 0 rows",
      grown < 256 * 1024 && added === 0,
    );
  }

  // ---- 10,000 signed deliveries ----
  const acked = new Set<number>();
  const deadline = Date.now() + PHASE_LIMIT_MS;
  const sent = await pool(DELIVERIES, CONCURRENCY, deadline, async (i) => {
    const answer = await postSigned(
      live.url,
      JSON.stringify({ order_id: `load-${i}`, seq: i }),
      live.secret,
      live.pat,
    );
    if (answer.status === 202) acked.add(i);
  });
  {
    // Every 202 was answered after its commit, so the database itself is read at once.
    const check = reader();
    const seen = new Map<number, number>();
    for (const row of check
      .prepare("SELECT payload, start_params FROM runs WHERE subscription_id = id_bytes(?)")
      .iterate(live.id) as Iterable<{ payload: string | null; start_params: string }>) {
      // A run keeps the body as sent (`payload`); rows from before that kept it in start_params.
      const body = row.payload ?? JSON.stringify(JSON.parse(row.start_params).webhook_payload);
      const seq = JSON.parse(body)?.seq;
      if (typeof seq === "number") seen.set(seq, (seen.get(seq) ?? 0) + 1);
    }
    check.close();
    const lost = [...acked].filter((seq) => !seen.has(seq)).length;
    const doubled = [...seen.values()].filter((count) => count > 1).length;
    add("signed deliveries sent", sent, String(DELIVERIES), sent === DELIVERIES);
    add("  acknowledged (202)", acked.size, String(sent), acked.size === sent);
    add("  acknowledged but lost", lost, "0", lost === 0);
    add("  doubled", doubled, "0", doubled === 0);
  }

  // ---- kill -9 mid-load ----
  {
    const crashDb = join(dir, "crash.db");
    let target = await startSandboxChild(crashDb);
    const hook = await createHook(target, "hardening-crash");
    const ackedIds: string[] = [];
    let integrity = "ok";
    for (let round = 0; round < KILL_ROUNDS; round += 1) {
      const roundAcked: string[] = [];
      const killAt = 300 + round * 100;
      const deadlineAt = Date.now() + PHASE_LIMIT_MS / 3;
      let killing: Promise<void> | undefined;
      await pool(100_000, 16, deadlineAt, async (i) => {
        if (killing) return;
        try {
          // Each restart listens on a new port.
          const answer = await postSigned(
            `${target.url}/v1/inbound-webhooks/${hook.id}`,
            JSON.stringify({ order_id: `crash-${round}-${i}` }),
            hook.secret,
            hook.pat,
          );
          if (answer.status === 202 && answer.deliveryId) roundAcked.push(answer.deliveryId);
        } catch {
          // In flight when the process died: never acknowledged.
        }
        if (roundAcked.length >= killAt) killing ??= kill9(target.child);
      }).catch(() => {});
      await (killing ?? kill9(target.child));
      ackedIds.push(...roundAcked);
      target = await startSandboxChild(crashDb);
      const check = new Database(crashDb, { readonly: true });
      integrity =
        (check.pragma("integrity_check", { simple: true }) as string) === "ok"
          ? integrity
          : "damaged";
      check.close();
    }
    const check = new Database(crashDb, { readonly: true });
    registerIdFunctions(check);
    const has = check.prepare("SELECT 1 FROM deliveries WHERE id = id_bytes(?)");
    const lost = ackedIds.filter((id) => has.get(id) === undefined).length;
    check.close();
    await stop(target.child);
    add(
      `kill -9 rounds mid-load (${ackedIds.length} acknowledged)`,
      KILL_ROUNDS,
      String(KILL_ROUNDS),
      true,
    );
    add("  acknowledged but lost", lost, "0", lost === 0);
    add("  database integrity", integrity, "ok", integrity === "ok");
  }

  // ---- concurrent creates with one idempotency key ----
  {
    const body = {
      workflow_id: sandbox.shopifyId,
      name: "hardening-same-key",
      automation_pat_id: sandbox.vaultKey.id,
    };
    const created = await Promise.all(
      Array.from({ length: SAME_KEY_CREATES }, () =>
        api(sandbox, "/v1/inbound-webhooks", {
          body,
          headers: { "idempotency-key": "hardening-key-1" },
        }),
      ),
    );
    for (const answer of created)
      if (answer.body?.signing_secret) known.push(answer.body.signing_secret);
    const ids = new Set(created.map((answer) => answer.body?.subscription?.id).filter(Boolean));
    const listed = await api(sandbox, "/v1/inbound-webhooks?limit=100");
    const named = (listed.body.subscriptions as { name: string }[]).filter(
      (s) => s.name === body.name,
    ).length;
    add(
      `concurrent creates with one key (${SAME_KEY_CREATES})`,
      `${ids.size} id, ${named} stored`,
      "1 and 1",
      ids.size === 1 && named === 1,
    );
  }

  // ---- secrets per channel ----
  const planted = [
    "whsec_PLANTEDplantedPLANTEDplanted0000000000",
    "pat_PLANTEDplantedPLANTEDplanted000000000000",
  ];
  await postSigned(
    live.url,
    JSON.stringify({ order_id: "s-1", note: `sender pasted ${planted.join(" ")}` }),
    live.secret,
    live.pat,
  );

  // Every tool once, through a real MCP client, against this sandbox.
  const facade = { url: sandbox.url, tokens: { contributor: sandbox.contributor } } as TestSandbox;
  const wizardDb = join(dir, "wizards.db");
  const mcp = await connectMcp(facade, { wizardDb });
  const toolTexts: string[] = [];
  const call = async (name: string, args: Record<string, unknown>) => {
    const result = await mcp.call(name, args);
    toolTexts.push(`${textOf(result)}\n${JSON.stringify(result.structuredContent ?? null)}`);
    return result;
  };
  await call("list_workflows", {});
  await call("list_api_keys", {});
  await call("list_inbound_webhooks", {});
  await call("list_inbound_webhook_deliveries", { id: live.id, include_bodies: true });
  await call("wait_for_inbound_webhook_delivery", { id: live.id, timeout_seconds: 1 });
  await call("diagnose_inbound_webhook_signature", {
    id: live.id,
    body: '{"a":1}',
    signature: signBody('{"a":1}', "whsec_wrong"),
  });
  await call("get_inbound_webhook_sender_guide", { id: live.id });
  const made = await call("create_inbound_webhook", {
    workflow_id: sandbox.shopifyId,
    name: "hardening-tools",
    automation_pat_id: sandbox.vaultKey.id,
  });
  const madeId =
    (made.structuredContent as { subscription?: { id: string } } | undefined)?.subscription?.id ??
    live.id;
  await call("update_inbound_webhook", { id: madeId, name: "hardening-tools-2" });
  await call("send_inbound_webhook_test", { id: madeId });
  await call("rotate_inbound_webhook_secret", { id: madeId });
  await call("delete_inbound_webhook", { id: madeId });
  await call("send_inbound_webhook_test", { id: live.id, payload: { note: planted[1] } });

  // The guided setup with the key that is not in Vault, so a PAT is pasted into it.
  let wizardNote = "";
  try {
    let step = (
      await call("start_inbound_webhook_wizard", {
        workflow_id: sandbox.shopifyId,
        sender: "Hardening",
      })
    ).structuredContent as Record<string, unknown>;
    const otherKeyId = (
      (await api(sandbox, "/v1/api-keys")).body.api_keys as { id: string; in_vault: boolean }[]
    ).find((k) => !k.in_vault)?.id;
    for (let turn = 0; turn < 12 && step.status !== "done"; turn += 1) {
      const actions = ((step.answers as { action: string }[] | undefined) ?? []).map(
        (a) => a.action,
      );
      for (const key of ["paste_url", "reveal_url"]) {
        const url = step[key];
        if (typeof url === "string") {
          await fetch(url, {
            method: "POST",
            headers: {
              "content-type": "application/x-www-form-urlencoded",
              origin: new URL(url).origin,
            },
            body:
              key === "paste_url" ? new URLSearchParams({ secret: sandbox.otherPat }) : undefined,
          }).then((response) => response.text());
        }
      }
      const choice = (actions.includes("set_name") && {
        action: "set_name",
        value: "hardening-wizard",
      }) ||
        (actions.includes("choose_api_key") && { action: "choose_api_key", value: otherKeyId }) ||
        (actions.includes("set_extras") && { action: "set_extras" }) ||
        (actions.includes("confirm") && { action: "confirm" }) ||
        (actions.includes("finish") && { action: "finish" }) ||
        (actions.includes("continue") && { action: "continue" }) || {
          action: actions[0] ?? "continue",
        };
      step = (await call("answer_inbound_webhook_wizard", { wizard_id: step.wizard_id, ...choice }))
        .structuredContent as Record<string, unknown>;
      if (!step) break;
    }
    wizardNote = step?.status === "done" ? "" : ` (stopped at ${String(step?.step)})`;
  } catch (error) {
    wizardNote = ` (wizard not completed: ${error instanceof Error ? error.message : String(error)})`;
  }
  const mcpLog = mcp.logs.join("\n");
  await mcp.close();
  for (const answer of (await api(sandbox, "/v1/inbound-webhooks?limit=100")).body
    .subscriptions as { id: string }[])
    void answer;

  // API answers: every read a client makes, and a few errors. A sender's own body is returned
  // as sent, so here only real secrets count, not secret-shaped text a sender wrote.
  const apiTexts: string[] = [];
  for (const path of [
    "/v1/inbound-webhooks?limit=100",
    `/v1/inbound-webhooks/${live.id}`,
    `/v1/inbound-webhooks/${live.id}/deliveries?limit=100`,
    "/v1/runs?limit=100",
    "/v1/api-keys",
    "/v1/workflows",
    "/v1/inbound-webhooks/not-a-uuid",
  ]) {
    apiTexts.push((await api(sandbox, path)).text);
  }
  apiTexts.push(
    (
      await api(sandbox, "/v1/inbound-webhooks", {
        body: {
          workflow_id: sandbox.shopifyId,
          name: "x",
          automation_bearer: `${sandbox.otherPat}x`,
        },
      })
    ).text,
  );

  // Both curl recipes, run as a person would paste them, watching every process's arguments:
  // the sender guide's keeps both secrets out, the readable curl test only the signing secret.
  const curlEnv = { [CURL_ENV.signingSecret]: live.secret, [CURL_ENV.pat]: live.pat };
  const curl = await runWatched(
    buildCurlTemplate({ ingressUrl: live.url, body: '{"order_id":"curl-1"}' }),
    curlEnv,
  );
  const guideCurl = await runWatched(
    buildArgvSafeCurl({ ingressUrl: live.url, body: '{"order_id":"curl-2"}' }),
    curlEnv,
  );
  const curlOk = /HTTP 202/.test(curl.stdout) && /HTTP 202/.test(guideCurl.stdout);

  await stop(sandbox.child);
  const sandboxFiles = ["", "-wal", "-shm"].map((suffix) => `${db}${suffix}`);
  const dbBytes = (paths: string[]) =>
    paths
      .filter(existsSync)
      .map((path) => readFileSync(path).toString("latin1"))
      .join("\n");
  const channels: [string, number][] = [
    [
      "logs (sandbox after its start-up line, MCP server)",
      secretsIn(`${sandbox.output()}\n${mcpLog}`, known, true),
    ],
    ["sandbox database and WAL", secretsIn(dbBytes(sandboxFiles), known, false)],
    [`wizard state${wizardNote}`, secretsIn(dbBytes([wizardDb, `${wizardDb}-wal`]), known, false)],
    [
      `every tool result (${toolTexts.length} calls)`,
      toolTexts.reduce((sum, text) => sum + secretsIn(text, [...known, ...planted], true), 0),
    ],
    [
      `API answers (${apiTexts.length})`,
      apiTexts.reduce((sum, text) => sum + secretsIn(text, known, false), 0),
    ],
    [
      `argv during the sender guide's curl recipe${curlOk ? "" : " (a curl run failed)"}`,
      secretsIn(
        [guideCurl.wrapped, ...guideCurl.listings].join("\n"),
        [live.secret, live.pat],
        false,
      ),
    ],
    [
      `argv during the curl test, signing secret only${curlOk ? "" : " (a curl run failed)"}`,
      secretsIn([curl.wrapped, ...curl.listings].join("\n"), [live.secret], false),
    ],
  ];
  for (const [channel, found] of channels)
    add(
      `secrets found: ${channel}`,
      found,
      "0",
      found === 0 && (channel.includes("curl") ? curlOk : true),
    );

  process.stdout.write(`${table(rows)}\n`);
  removeTempDir();
  return rows.slice(1).every((row) => row[3] === "yes") ? 0 : 1;
}

runMain("hardening", main);
