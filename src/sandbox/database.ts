import { createHash } from "node:crypto";
import Database from "better-sqlite3";
import {
  type ApiKey,
  type Delivery,
  type Extras,
  type Run,
  type Subscription,
  type Workflow,
  WorkflowStep,
} from "../contract/schemas.js";
import { INSERT_DELIVERY, INSERT_RUN, type IngressRecord } from "./ingress-rows.js";
import {
  DELIVERY_COLUMNS,
  DELIVERY_FROM,
  LIST_QUERIES,
  RUN_COLUMNS,
  SUBSCRIPTION_COLUMNS,
  SUBSCRIPTION_FROM,
} from "./list-queries.js";
import { migrate } from "./migrations.js";
import { ApiProblem, problems, storageProblem } from "./problems.js";
import { renderRun, type TriggerOverlay, triggerOverlay } from "./runs.js";
import type { SecretBox } from "./secrets.js";

export type Role = "project_viewer" | "project_contributor";
export interface User {
  id: string;
  project_id: string;
  name: string;
  role: Role;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** What ingress needs to check a request, read in one query. */
export interface IngressTarget {
  subscription: Subscription;
  project_id: string;
  pat_hash: string;
  signing_secret: string;
  /** The secret before the last rotation, and until when it still verifies. */
  previous: { secret: string; expiresAt: number } | null;
  workflow: Workflow;
  /** What the subscription puts around every body, as its runs store it (JSON, or null). */
  overlay: string | null;
  /** The last bearer token whose digest matched `pat_hash`, so the next needs no hashing. */
  acceptedBearer?: Buffer;
}

export interface NewSubscription {
  id: string;
  project_id: string;
  workflow_id: string;
  name: string;
  automation_pat_id: string;
  signing_secret: string;
  signing_secret_hint: string;
  extras: Extras;
  now: string;
}

/** Ingress attempts that matched no subscription, counted per day, status and reason. */
export interface UnmatchedIngress {
  day: string;
  status: number;
  reason: string;
  attempts: number;
}

interface SubscriptionRow {
  id: string;
  workflow_id: string;
  name: string;
  automation_pat_id: string;
  pat_hint: string;
  signing_secret_hint: string;
  extras: string;
  enabled: number;
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

interface WorkflowRow {
  id: string;
  name: string;
  status: Workflow["status"];
  run_setup_defaults: string;
  steps: string;
}

interface RunRow {
  id: string;
  project_id: string;
  workflow_id: string;
  subscription_id: string;
  status: Run["status"];
  /** The pre-4 layout: JSON of the whole start params and steps ("" since). */
  start_params: string;
  steps: string;
  error: string | null;
  created_at: string;
  /** Since migration 4: the body as sent and the overlay's JSON. */
  payload: string | null;
  overlay: string | null;
}

type DeliveryRow = Delivery & { seq: number; payload: string | null };

const NO_OVERLAY: TriggerOverlay = { beneath: {}, above: {} };

/** Cursors are opaque to callers: the sequence number of the last row they saw. */
function encodeCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`).toString("base64url");
}

function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return Number.MAX_SAFE_INTEGER;
  const match = /^seq:(\d{1,15})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) {
    throw new ApiProblem(
      400,
      "validation_failed",
      "cursor is not one this server issued; pass the next_cursor of the previous page, or leave it out to start again.",
    );
  }
  return Number(match[1]);
}

/**
 * The sandbox's SQLite database. Every method is synchronous, so a request's reads and
 * writes inside one `transaction()` cannot interleave with another request's. It remembers
 * whether its last write failed for want of storage, which `/healthz` reports.
 */
export class SandboxDatabase {
  readonly db: Database.Database;
  readonly #box: SecretBox;
  readonly #ingressBase: () => string;

  constructor(options: { path: string; box: SecretBox; ingressBase: () => string }) {
    this.db = new Database(options.path);
    // Only a new database takes it. A commit writes each page it changed whole into the WAL, so
    // 4 KiB pages keep a group commit small: 16 KiB pages stored a delivery in 11% fewer bytes
    // but cut ingress from 0.11 to 0.07 of a bare server at 10 connections (npm run bench).
    this.db.pragma("page_size = 4096");
    this.db.pragma("journal_mode = WAL");
    // A commit is on disk before it returns: a 202 promises that a power cut loses nothing.
    this.db.pragma("synchronous = FULL");
    this.db.pragma("foreign_keys = ON");
    this.db.pragma("busy_timeout = 5000");
    migrate(this.db);
    this.#box = options.box;
    this.#ingressBase = options.ingressBase;
  }

  readonly #statements = new Map<string, Database.Statement>();

  /** Prepared once per SQL text: preparing is a large share of a request's cost otherwise. */
  #sql(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Closing the last connection checkpoints the WAL into the database file. */
  close(): void {
    if (this.db.open) this.db.close();
  }

  // One wrapper for every transaction: building a new one per call costs as much as a small insert.
  readonly #transaction = (work: () => unknown) => work();
  #inTransaction: Database.Transaction<(work: () => unknown) => unknown> | undefined;
  #writesFailing = false;

  /**
   * Runs `work` in one IMMEDIATE transaction (the write lock taken at BEGIN), or in a savepoint
   * inside one. A write the storage cannot take throws 503 `storage_unavailable`.
   */
  transaction<T>(work: () => T): T {
    this.#inTransaction ??= this.db.transaction(this.#transaction);
    if (this.db.inTransaction) return this.#inTransaction(work) as T;
    try {
      const result = this.#inTransaction.immediate(work) as T;
      this.#writesFailing = false;
      return result;
    } catch (error) {
      throw this.#failed(error);
    }
  }

  /** The error to throw for one that escaped a write; a storage failure is remembered. */
  #failed(error: unknown): unknown {
    const problem = storageProblem(error);
    if (problem) this.#writesFailing = true;
    return problem ?? error;
  }

  /**
   * Whether a write can commit now. After a failed write it commits a probe row larger than
   * a batch of deliveries writes, then removes it, so the answer follows the disk.
   */
  writable(): boolean {
    if (!this.#writesFailing) return true;
    try {
      this.transaction(() =>
        this.#sql("INSERT INTO storage_probe VALUES (zeroblob(262144))").run(),
      );
      this.transaction(() => this.#sql("DELETE FROM storage_probe").run());
      return true;
    } catch (error) {
      if (storageProblem(error)) return false;
      throw error;
    }
  }

  seal(plaintext: string): string {
    return this.#box.seal(plaintext);
  }

  open(sealed: string): string {
    return this.#box.open(sealed);
  }

  #page<Row extends { seq: number }, T>(
    sql: string,
    params: Record<string, unknown>,
    limit: number,
    cursor: string | undefined,
    map: (row: Row) => T,
  ): Page<T> {
    const rows = this.#sql(sql).all({
      ...params,
      before: decodeCursor(cursor),
      take: limit + 1,
    }) as Row[];
    const more = rows.length > limit;
    const shown = more ? rows.slice(0, limit) : rows;
    const last = shown.at(-1);
    return {
      items: shown.map(map),
      next_cursor: more && last ? encodeCursor(last.seq) : null,
    };
  }

  // ---- credentials and users ----

  userByTokenHash(tokenHash: string): User | undefined {
    return this.#sql("SELECT id, project_id, name, role FROM users WHERE token_hash = ?").get(
      tokenHash,
    ) as User | undefined;
  }

  isEmpty(): boolean {
    return this.#sql("SELECT 1 FROM projects LIMIT 1").get() === undefined;
  }

  putCredential(name: string, plaintext: string): void {
    this.#sql("INSERT OR REPLACE INTO sandbox_credentials (name, secret) VALUES (?, ?)").run(
      name,
      this.seal(plaintext),
    );
  }

  credentials(): Map<string, string> {
    const rows = this.#sql("SELECT name, secret FROM sandbox_credentials").all() as {
      name: string;
      secret: string;
    }[];
    return new Map(rows.map((row) => [row.name, this.open(row.secret)]));
  }

  // ---- workflows ----

  #workflow(row: WorkflowRow): Workflow {
    return {
      id: row.id,
      name: row.name,
      status: row.status,
      run_setup_defaults: JSON.parse(row.run_setup_defaults),
      steps: WorkflowStep.array().parse(JSON.parse(row.steps)),
    };
  }

  listWorkflows(projectId: string, limit: number, cursor?: string): Page<Workflow> {
    return this.#page<WorkflowRow & { seq: number }, Workflow>(
      LIST_QUERIES.workflows,
      { projectId },
      limit,
      cursor,
      (row) => this.#workflow(row),
    );
  }

  getWorkflow(projectId: string, id: string): Workflow | undefined {
    const row = this.#sql(
      "SELECT id, name, status, run_setup_defaults, steps FROM workflows WHERE project_id = ? AND id = ?",
    ).get(projectId, id) as WorkflowRow | undefined;
    return row && this.#workflow(row);
  }

  // ---- API keys (PATs) ----

  listApiKeys(projectId: string, limit: number, cursor?: string): Page<ApiKey> {
    return this.#page<ApiKeyRow, ApiKey>(
      LIST_QUERIES.apiKeys,
      { projectId },
      limit,
      cursor,
      apiKeyFromRow,
    );
  }

  /** One PAT of the project with what a create needs: its digest and sealed vault secret. */
  apiKeyForCreate(
    projectId: string,
    where: { id: string } | { tokenHash: string },
  ): (ApiKey & { token_hash: string; vault_secret: string | null }) | undefined {
    const [column, value] = "id" in where ? ["id", where.id] : ["token_hash", where.tokenHash];
    const row = this.#sql(
      `SELECT seq, id, name, hint, vault_secret IS NOT NULL AS in_vault, created_at, token_hash, vault_secret
         FROM api_keys WHERE project_id = ? AND ${column} = ?`,
    ).get(projectId, value) as
      | (ApiKeyRow & { token_hash: string; vault_secret: string | null })
      | undefined;
    return (
      row && { ...apiKeyFromRow(row), token_hash: row.token_hash, vault_secret: row.vault_secret }
    );
  }

  // ---- subscriptions ----

  #subscription(row: SubscriptionRow): Subscription {
    const ingressPath = `/v1/inbound-webhooks/${row.id}`;
    return {
      id: row.id,
      workflow_id: row.workflow_id,
      name: row.name,
      ingress_path: ingressPath,
      ingress_url: this.#ingressBase() + ingressPath,
      automation_pat_id: row.automation_pat_id,
      automation_pat_hint: row.pat_hint,
      signing_secret_hint: row.signing_secret_hint,
      extras: JSON.parse(row.extras),
      enabled: row.enabled === 1,
      // An overlap that has ended is no longer news to anyone reading the subscription.
      previous_secret_expires_at:
        row.previous_secret_expires_at && Date.parse(row.previous_secret_expires_at) > Date.now()
          ? row.previous_secret_expires_at
          : null,
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  nameTaken(workflowId: string, name: string, exceptId?: string): boolean {
    return (
      this.#sql(
        "SELECT 1 FROM subscriptions WHERE workflow_id = ? AND name_key = ? AND id <> ?",
      ).get(workflowId, nameKey(name), exceptId ?? "") !== undefined
    );
  }

  insertSubscription(input: NewSubscription): Subscription {
    this.#sql(
      `INSERT INTO subscriptions (id, project_id, workflow_id, name, name_key, automation_pat_id,
           signing_secret, signing_secret_hint, extras, created_at, updated_at)
         VALUES (@id, @project_id, @workflow_id, @name, @name_key, @automation_pat_id,
           @signing_secret, @signing_secret_hint, @extras, @now, @now)`,
    ).run({
      ...input,
      name_key: nameKey(input.name),
      signing_secret: this.seal(input.signing_secret),
      extras: JSON.stringify(input.extras),
    });
    return this.getSubscription(input.project_id, input.id) as Subscription;
  }

  listSubscriptions(
    projectId: string,
    filter: { workflowId?: string | undefined },
    limit: number,
    cursor?: string,
  ): Page<Subscription> {
    return this.#page<SubscriptionRow & { seq: number }, Subscription>(
      filter.workflowId === undefined
        ? LIST_QUERIES.subscriptions
        : LIST_QUERIES.subscriptionsOfWorkflow,
      { projectId, workflowId: filter.workflowId },
      limit,
      cursor,
      (row) => this.#subscription(row),
    );
  }

  getSubscription(projectId: string, id: string): Subscription | undefined {
    const row = this.#sql(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM ${SUBSCRIPTION_FROM} WHERE s.project_id = ? AND s.id = ?`,
    ).get(projectId, id) as SubscriptionRow | undefined;
    return row && this.#subscription(row);
  }

  updateSubscription(
    projectId: string,
    id: string,
    change: { name: string; extras: Extras; enabled: boolean; now: string },
  ): Subscription {
    this.#targets.delete(id);
    this.#sql(
      `UPDATE subscriptions SET name = @name, name_key = @name_key, extras = @extras, enabled = @enabled,
         updated_at = @now
         WHERE project_id = @projectId AND id = @id`,
    ).run({
      projectId,
      id,
      name: change.name,
      name_key: nameKey(change.name),
      extras: JSON.stringify(change.extras),
      enabled: change.enabled ? 1 : 0,
      now: change.now,
    });
    return this.getSubscription(projectId, id) as Subscription;
  }

  /**
   * Replaces the signing secret. The old one keeps verifying until `previousExpiresAt` (not
   * at all when null); every secret that stops verifying is kept, sealed, for the doctor.
   */
  rotateSecret(
    projectId: string,
    id: string,
    change: { secret: string; previousExpiresAt: string | null; now: string },
  ): Subscription {
    this.#targets.delete(id);
    const row = this.#sql(
      "SELECT signing_secret, previous_signing_secret FROM subscriptions WHERE project_id = ? AND id = ?",
    ).get(projectId, id) as { signing_secret: string; previous_signing_secret: string | null };
    const retire = this.#sql(
      "INSERT INTO retired_secrets (subscription_id, secret, retired_at) VALUES (?, ?, ?)",
    );
    if (row.previous_signing_secret) retire.run(id, row.previous_signing_secret, change.now);
    if (change.previousExpiresAt === null) retire.run(id, row.signing_secret, change.now);
    this.#sql(
      `UPDATE subscriptions SET signing_secret = @secret, signing_secret_hint = @hint,
         previous_signing_secret = @previous, previous_secret_expires_at = @expires, updated_at = @now
       WHERE project_id = @projectId AND id = @id`,
    ).run({
      projectId,
      id,
      secret: this.seal(change.secret),
      hint: `…${change.secret.slice(-4)}`,
      previous: change.previousExpiresAt === null ? null : row.signing_secret,
      expires: change.previousExpiresAt,
      now: change.now,
    });
    return this.getSubscription(projectId, id) as Subscription;
  }

  /** Secrets this subscription no longer accepts, newest first, for diagnosis only. */
  retiredSecrets(id: string): string[] {
    return (
      this.#sql(
        "SELECT secret FROM retired_secrets WHERE subscription_id = ? ORDER BY rowid DESC",
      ).all(id) as { secret: string }[]
    ).map((row) => this.open(row.secret));
  }

  deleteSubscription(projectId: string, id: string): boolean {
    this.#targets.delete(id);
    return this.transaction(
      () =>
        this.#sql("DELETE FROM subscriptions WHERE project_id = ? AND id = ?").run(projectId, id)
          .changes === 1,
    );
  }

  readonly #targets = new Map<string, IngressTarget>();

  /** Ingress reads this on every request, so it is cached until the subscription changes. */
  ingressTarget(id: string): IngressTarget | undefined {
    const cached = this.#targets.get(id);
    if (cached) return cached;
    const target = this.#readIngressTarget(id);
    if (target) {
      if (this.#targets.size >= 10_000) this.#targets.clear();
      this.#targets.set(id, target);
    }
    return target;
  }

  #readIngressTarget(id: string): IngressTarget | undefined {
    const row = this.#sql(
      `SELECT ${SUBSCRIPTION_COLUMNS}, s.project_id, s.signing_secret, k.token_hash AS pat_hash,
         s.previous_signing_secret
       FROM ${SUBSCRIPTION_FROM} WHERE s.id = ?`,
    ).get(id) as
      | (SubscriptionRow & {
          project_id: string;
          signing_secret: string;
          pat_hash: string;
          previous_signing_secret: string | null;
        })
      | undefined;
    if (!row) return undefined;
    const subscription = this.#subscription(row);
    const workflow = this.#cachedWorkflow(row.project_id, row.workflow_id);
    return {
      subscription,
      project_id: row.project_id,
      pat_hash: row.pat_hash,
      signing_secret: this.open(row.signing_secret),
      previous:
        row.previous_signing_secret && row.previous_secret_expires_at
          ? {
              secret: this.open(row.previous_signing_secret),
              expiresAt: Date.parse(row.previous_secret_expires_at),
            }
          : null,
      workflow,
      overlay: overlayJson(triggerOverlay(workflow, subscription.extras)),
    };
  }

  // ---- runs and deliveries ----

  /**
   * Writes ingress records in one transaction, each in a savepoint of its own, and answers
   * per record: null once committed, or the error that kept it out.
   */
  writeIngressRecords(records: readonly IngressRecord[]): (unknown | null)[] {
    const insertRun = this.#sql(INSERT_RUN);
    const insertDelivery = this.#sql(INSERT_DELIVERY);
    try {
      const failures = this.transaction(() => {
        const failures = records.map((record) => {
          // Once SQLite has cancelled the transaction, a savepoint would commit on its own.
          if (!this.db.inTransaction) return problems.storageUnavailable();
          try {
            this.transaction(() => {
              if (record.run) insertRun.run(record.run);
              insertDelivery.run(record.delivery);
            });
            return null;
          } catch (error) {
            return this.#failed(error);
          }
        });
        if (!this.db.inTransaction) throw failures.find((failure) => failure !== null);
        return failures;
      });
      if (failures.some((failure) => storageProblem(failure))) this.#writesFailing = true;
      return failures;
    } catch (error) {
      return records.map(() => error);
    }
  }

  #run(row: RunRow): Run {
    if (row.payload !== null) {
      const workflow = this.#cachedWorkflow(row.project_id, row.workflow_id);
      const run = renderRun(workflow, {
        id: row.id,
        subscription_id: row.subscription_id,
        webhook_payload: JSON.parse(row.payload),
        overlay: row.overlay === null ? NO_OVERLAY : JSON.parse(row.overlay),
        created_at: row.created_at,
      });
      return { ...run, status: row.status, error: row.error };
    }
    const startParams = JSON.parse(row.start_params);
    return {
      id: row.id,
      workflow_id: row.workflow_id,
      subscription_id: row.subscription_id,
      status: row.status,
      start_params: startParams,
      input: startParams.trigger_payload,
      steps: JSON.parse(row.steps),
      error: row.error,
      created_at: row.created_at,
    };
  }

  readonly #workflows = new Map<string, Workflow>();

  // Workflows never change once seeded, so each is read once for runs and ingress.
  #cachedWorkflow(projectId: string, id: string): Workflow {
    let workflow = this.#workflows.get(id);
    if (!workflow) {
      workflow = this.getWorkflow(projectId, id);
      if (!workflow) throw new Error(`workflow ${id} is referred to but not stored`);
      this.#workflows.set(id, workflow);
    }
    return workflow;
  }

  listRuns(
    projectId: string,
    filter: { subscriptionId?: string | undefined; workflowId?: string | undefined },
    limit: number,
    cursor?: string,
  ): Page<Run> {
    return this.#page<RunRow & { seq: number }, Run>(
      runsQuery(filter),
      { projectId, subscriptionId: filter.subscriptionId, workflowId: filter.workflowId },
      limit,
      cursor,
      (row) => this.#run(row),
    );
  }

  getRun(projectId: string, id: string): Run | undefined {
    const row = this.#sql(
      `SELECT ${RUN_COLUMNS} FROM runs WHERE project_id = ? AND id = id_bytes(?)`,
    ).get(projectId, id) as RunRow | undefined;
    return row && this.#run(row);
  }

  getDelivery(id: string): Delivery | undefined {
    const row = this.#sql(
      `SELECT ${DELIVERY_COLUMNS} FROM ${DELIVERY_FROM} WHERE d.id = id_bytes(?)`,
    ).get(id) as DeliveryRow | undefined;
    return row && deliveryFromRow(row);
  }

  listDeliveries(subscriptionId: string, limit: number, cursor?: string): Page<Delivery> {
    return this.#page<DeliveryRow, Delivery>(
      LIST_QUERIES.deliveries,
      { subscriptionId },
      limit,
      cursor,
      deliveryFromRow,
    );
  }

  /** Adds to the per-day counts of ingress attempts that matched no subscription. */
  countUnmatchedIngress(counts: readonly UnmatchedIngress[]): void {
    const add = this.#sql(
      `INSERT INTO unmatched_ingress (day, status, reason, attempts) VALUES (@day, @status, @reason, @attempts)
       ON CONFLICT (day, status, reason) DO UPDATE SET attempts = attempts + excluded.attempts`,
    );
    this.transaction(() => {
      for (const count of counts) add.run(count);
    });
  }

  // ---- idempotency ----

  /** A remembered create answer, or undefined; entries older than 24 h are forgotten first. */
  idempotentAnswer(
    userId: string,
    key: string,
    now: Date,
  ): { request_hash: string; response: unknown } | undefined {
    const cutoff = new Date(now.getTime() - 24 * 3600 * 1000).toISOString();
    this.#sql("DELETE FROM idempotency_keys WHERE created_at < ?").run(cutoff);
    const row = this.#sql(
      "SELECT request_hash, response FROM idempotency_keys WHERE user_id = ? AND key = ?",
    ).get(userId, key) as { request_hash: string; response: string } | undefined;
    return row && { request_hash: row.request_hash, response: JSON.parse(this.open(row.response)) };
  }

  rememberAnswer(userId: string, key: string, requestHash: string, response: unknown, now: string) {
    this.#sql(
      "INSERT INTO idempotency_keys (user_id, key, request_hash, response, created_at) VALUES (?, ?, ?, ?, ?)",
    ).run(userId, key, requestHash, this.seal(JSON.stringify(response)), now);
  }
}

interface ApiKeyRow {
  seq: number;
  id: string;
  name: string;
  hint: string;
  in_vault: number;
  created_at: string;
}

function apiKeyFromRow(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    hint: row.hint,
    in_vault: row.in_vault === 1,
    created_at: row.created_at,
  };
}

/**
 * A delivery as the contract shows it. An accepted delivery's body digest is taken from its
 * run's stored body when read, so ingress hashes nothing that may never be looked at.
 */
function deliveryFromRow({ seq: _seq, payload, ...delivery }: DeliveryRow): Delivery {
  if (delivery.body_sha256 !== null || payload === null) return delivery;
  return { ...delivery, body_sha256: createHash("sha256").update(payload, "utf8").digest("hex") };
}

function overlayJson(overlay: TriggerOverlay): string | null {
  const empty = (part: object) => Object.keys(part).length === 0;
  return empty(overlay.beneath) && empty(overlay.above) ? null : JSON.stringify(overlay);
}

/** The runs query for the filters given: each combination has its own index. */
function runsQuery(filter: {
  subscriptionId?: string | undefined;
  workflowId?: string | undefined;
}) {
  if (filter.subscriptionId === undefined) {
    return filter.workflowId === undefined ? LIST_QUERIES.runs : LIST_QUERIES.runsOfWorkflow;
  }
  return filter.workflowId === undefined
    ? LIST_QUERIES.runsOfSubscription
    : LIST_QUERIES.runsOfSubscriptionAndWorkflow;
}

/** Names are unique per workflow regardless of letter case ("Shopify" and "shopify" clash). */
function nameKey(name: string): string {
  return name.normalize("NFC").toLowerCase();
}
