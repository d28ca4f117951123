import type { Database } from "better-sqlite3";
import { registerIdFunctions } from "./ids.js";

/** Versioned schema changes, applied in order, each in its own transaction. Never edit one that shipped. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('project_viewer', 'project_contributor')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  CREATE TABLE workflows (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    project_id TEXT NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('saved', 'draft')),
    run_setup_defaults TEXT NOT NULL,
    steps TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE api_keys (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    project_id TEXT NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    hint TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    vault_secret TEXT,
    created_at TEXT NOT NULL
  );
  CREATE TABLE subscriptions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    project_id TEXT NOT NULL REFERENCES projects(id),
    workflow_id TEXT NOT NULL REFERENCES workflows(id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    automation_pat_id TEXT NOT NULL REFERENCES api_keys(id),
    signing_secret TEXT NOT NULL,
    signing_secret_hint TEXT NOT NULL,
    extras TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (workflow_id, name_key)
  );
  CREATE TABLE runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    project_id TEXT NOT NULL REFERENCES projects(id),
    workflow_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    status TEXT NOT NULL,
    start_params TEXT NOT NULL,
    steps TEXT NOT NULL,
    error TEXT,
    created_at TEXT NOT NULL
  );
  CREATE INDEX runs_by_subscription ON runs (subscription_id, seq);
  CREATE INDEX runs_by_workflow ON runs (workflow_id, seq);
  CREATE TABLE deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    subscription_id TEXT NOT NULL,
    received_at TEXT NOT NULL,
    status INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'rejected')),
    reason TEXT,
    run_id TEXT,
    body_sha256 TEXT,
    body_bytes INTEGER NOT NULL
  );
  CREATE INDEX deliveries_by_subscription ON deliveries (subscription_id, seq);
  CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
  );
  CREATE TABLE sandbox_credentials (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL
  );
  `,
  // 2: pause and resume, and secret rotation with an overlap window.
  `
  ALTER TABLE subscriptions ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE subscriptions ADD COLUMN previous_signing_secret TEXT;
  ALTER TABLE subscriptions ADD COLUMN previous_secret_expires_at TEXT;
  CREATE TABLE retired_secrets (
    subscription_id TEXT NOT NULL,
    secret TEXT NOT NULL,
    retired_at TEXT NOT NULL
  );
  CREATE INDEX retired_secrets_by_subscription ON retired_secrets (subscription_id);
  `,
  // 3: ingress that matches no subscription is counted per day, never stored per request.
  `
  CREATE TABLE unmatched_ingress (
    day TEXT NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    PRIMARY KEY (day, status, reason)
  ) WITHOUT ROWID;
  `,
  // 4: an index for every list filter, newest first, so lists hold at 100k rows.
  `
  CREATE INDEX workflows_by_project ON workflows (project_id, seq);
  CREATE INDEX api_keys_by_project ON api_keys (project_id, seq);
  CREATE INDEX subscriptions_by_project ON subscriptions (project_id, seq);
  CREATE INDEX subscriptions_by_workflow ON subscriptions (workflow_id, seq);
  CREATE INDEX runs_by_project ON runs (project_id, seq);
  CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
  `,
  // 5: a run keeps the body once, as sent, and what its subscription put around it; its
  // input and steps are rendered on read. Older rows keep start_params and steps.
  `
  ALTER TABLE runs ADD COLUMN payload TEXT;
  ALTER TABLE runs ADD COLUMN overlay TEXT;
  `,
  // 6: run and delivery ids (not project ids, which a foreign key compares as text) are kept
  // as 16 bytes (see ids.ts); their indexes shrink with them.
  `
  UPDATE runs SET id = id_bytes(id), workflow_id = id_bytes(workflow_id),
    subscription_id = id_bytes(subscription_id);
  UPDATE deliveries SET id = id_bytes(id), subscription_id = id_bytes(subscription_id),
    run_id = id_bytes(run_id);
  `,
  // 7: how far the ingress copier of earlier versions had got in their ingress log. Like 6, it
  // can run again over its own result.
  `
  CREATE TABLE IF NOT EXISTS ingress_log_position (
    only INTEGER PRIMARY KEY CHECK (only = 1),
    segment INTEGER NOT NULL,
    offset INTEGER NOT NULL
  );
  `,
  // 8: ingress commits straight to SQLite, so the log's position goes; a failed write is
  // checked again by committing a probe row (see SandboxDatabase.writable). Can run again.
  `
  DROP TABLE IF EXISTS ingress_log_position;
  CREATE TABLE IF NOT EXISTS storage_probe (filler BLOB NOT NULL);
  `,
];

/** Brings the database to the newest schema; `PRAGMA user_version` records how far it got. */
export function migrate(db: Database): { from: number; to: number } {
  registerIdFunctions(db);
  const from = db.pragma("user_version", { simple: true }) as number;
  if (from > MIGRATIONS.length) {
    throw new Error(
      `the database is at schema version ${from}, newer than this program knows (${MIGRATIONS.length}); upgrade agentruntime-webhooks`,
    );
  }
  for (let version = from; version < MIGRATIONS.length; version += 1) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
  return { from, to: MIGRATIONS.length };
}
