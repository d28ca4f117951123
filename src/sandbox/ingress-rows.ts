import type { Delivery, Run } from "../contract/schemas.js";

/** A delivery row as ingress writes it. */
export interface NewDelivery {
  id: string;
  subscription_id: string;
  received_at: string;
  status: number;
  outcome: Delivery["outcome"];
  reason: string | null;
  run_id: string | null;
  body_sha256: string | null;
  body_bytes: number;
}

/** A run row as ingress writes it, its JSON columns already serialised. */
export interface RunRecord {
  id: string;
  project_id: string;
  workflow_id: string;
  subscription_id: string;
  status: Run["status"];
  start_params: string;
  steps: string;
  error: string | null;
  created_at: string;
}

/** The rows one ingress attempt writes: always a delivery, and a run when accepted. */
export interface IngressRecord {
  run: RunRecord | null;
  delivery: NewDelivery;
}

export const INSERT_RUN = `INSERT INTO runs (id, project_id, workflow_id, subscription_id, status, start_params, steps, error, created_at)
  VALUES (@id, @project_id, @workflow_id, @subscription_id, @status, @start_params, @steps, @error, @created_at)`;
export const INSERT_DELIVERY = `INSERT INTO deliveries (id, subscription_id, received_at, status, outcome, reason, run_id, body_sha256, body_bytes)
  VALUES (@id, @subscription_id, @received_at, @status, @outcome, @reason, @run_id, @body_sha256, @body_bytes)`;

/** A run as its row; `input` is not stored because it is `start_params.trigger_payload`. */
export function runRecord(projectId: string, run: Run): RunRecord {
  return {
    id: run.id,
    project_id: projectId,
    workflow_id: run.workflow_id,
    subscription_id: run.subscription_id,
    status: run.status,
    start_params: JSON.stringify(run.start_params),
    steps: JSON.stringify(run.steps),
    error: run.error,
    created_at: run.created_at,
  };
}

/** What the writer thread is started with. */
export interface WriterThreadData {
  path: string;
  checkpointMs: number;
}

/** A message to the writer thread. */
export type WriterRequest =
  | { type: "write"; id: number; records: IngressRecord[] }
  | { type: "close" };

/** A message from the writer thread: a failure message or null per record written. */
export type WriterReply =
  | { type: "written"; id: number; failures: (string | null)[] }
  | { type: "closed" };
