import { randomFillSync } from "node:crypto";
import type { Delivery, Run } from "../contract/schemas.js";
import { idText } from "./ids.js";

const randomPool = Buffer.alloc(16 * 256);
let randomAt = randomPool.length;

/**
 * A UUIDv7 (RFC 9562): the millisecond first, then 74 random bits. Ingress rows get these so
 * their unique id indexes grow at one end: a random UUID dirties a random index page per row,
 * which made each group commit write (and fsync) several times the rows' own bytes.
 */
export function timeOrderedId(now = Date.now()): string {
  if (randomAt === randomPool.length) {
    randomFillSync(randomPool);
    randomAt = 0;
  }
  const bytes = randomPool.subarray(randomAt, randomAt + 16);
  randomAt += 16;
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  return idText(bytes);
}

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

/**
 * A run row as ingress writes it: the body as sent (its only copy) and the subscription's
 * overlay, from which the store renders the run's input and steps when it is read.
 */
export interface RunRecord {
  id: string;
  project_id: string;
  workflow_id: string;
  subscription_id: string;
  status: Run["status"];
  error: string | null;
  created_at: string;
  payload: string;
  /** A `TriggerOverlay` as JSON, or null when the subscription adds nothing. */
  overlay: string | null;
}

/** The rows one ingress attempt writes: always a delivery, and a run when accepted. */
export interface IngressRecord {
  run: RunRecord | null;
  delivery: NewDelivery;
}

// start_params and steps are the pre-4 layout, kept for rows written before it.
// Ids go in through id_bytes (see ids.ts); the connection must have registerIdFunctions.
export const INSERT_RUN = `INSERT INTO runs (id, project_id, workflow_id, subscription_id, status, start_params, steps, error, created_at, payload, overlay)
  VALUES (id_bytes(@id), @project_id, id_bytes(@workflow_id), id_bytes(@subscription_id), @status, '', '', @error, @created_at, @payload, @overlay)`;
export const INSERT_DELIVERY = `INSERT INTO deliveries (id, subscription_id, received_at, status, outcome, reason, run_id, body_sha256, body_bytes)
  VALUES (id_bytes(@id), id_bytes(@subscription_id), @received_at, @status, @outcome, @reason, id_bytes(@run_id), @body_sha256, @body_bytes)`;
