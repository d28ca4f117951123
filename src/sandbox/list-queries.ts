/** The columns a subscription is read with, and the join that brings its PAT's hint. */
export const SUBSCRIPTION_COLUMNS = `s.seq, s.id, s.workflow_id, s.name, s.automation_pat_id, k.hint AS pat_hint,
  s.signing_secret_hint, s.extras, s.enabled, s.previous_secret_expires_at, s.created_at, s.updated_at`;
export const SUBSCRIPTION_FROM = "subscriptions s JOIN api_keys k ON k.id = s.automation_pat_id";

/** The columns a run is read with, both layouts' (see migration 4), ids as text (migration 6). */
export const RUN_COLUMNS = `id_text(id) AS id, project_id, id_text(workflow_id) AS workflow_id,
  id_text(subscription_id) AS subscription_id, status, start_params, steps, error, created_at,
  payload, overlay`;

/** A delivery with its run's body, which an accepted delivery's digest is taken from. */
export const DELIVERY_COLUMNS = `d.seq, id_text(d.id) AS id, id_text(d.subscription_id) AS subscription_id,
  d.received_at, d.status, d.outcome, d.reason, id_text(d.run_id) AS run_id, d.body_sha256,
  d.body_bytes, r.payload`;
export const DELIVERY_FROM = "deliveries d LEFT JOIN runs r ON r.id = d.run_id";

/**
 * Every list the sandbox answers, one SQL text per combination of filters. Each is chosen so
 * SQLite walks an index for its filters and its `seq DESC` order: a list costs the same at
 * 100k stored rows as at 1k. `test/sandbox/query-plans.test.ts` checks each with
 * `EXPLAIN QUERY PLAN`; a new list belongs here so that test sees it.
 */
export const LIST_QUERIES = {
  workflows: `SELECT seq, id, name, status, run_setup_defaults, steps FROM workflows
    WHERE project_id = @projectId AND seq < @before ORDER BY seq DESC LIMIT @take`,
  apiKeys: `SELECT seq, id, name, hint, vault_secret IS NOT NULL AS in_vault, created_at FROM api_keys
    WHERE project_id = @projectId AND seq < @before ORDER BY seq DESC LIMIT @take`,
  subscriptions: subscriptions("subscriptions_by_project", "s.project_id = @projectId"),
  subscriptionsOfWorkflow: subscriptions(
    "subscriptions_by_workflow",
    "s.workflow_id = @workflowId AND s.project_id = @projectId",
  ),
  runs: runs("runs_by_project", "project_id = @projectId"),
  runsOfSubscription: runs(
    "runs_by_subscription",
    "subscription_id = id_bytes(@subscriptionId) AND project_id = @projectId",
  ),
  runsOfWorkflow: runs(
    "runs_by_workflow",
    "workflow_id = id_bytes(@workflowId) AND project_id = @projectId",
  ),
  // A subscription belongs to one workflow, so its index narrows the most.
  runsOfSubscriptionAndWorkflow: runs(
    "runs_by_subscription",
    "subscription_id = id_bytes(@subscriptionId) AND workflow_id = id_bytes(@workflowId) AND project_id = @projectId",
  ),
  deliveries: `SELECT ${DELIVERY_COLUMNS} FROM ${DELIVERY_FROM}
    WHERE d.subscription_id = id_bytes(@subscriptionId) AND d.seq < @before ORDER BY d.seq DESC LIMIT @take`,
} as const;

/** The name of one list query. */
export type ListQuery = keyof typeof LIST_QUERIES;

function subscriptions(index: string, where: string): string {
  return `SELECT ${SUBSCRIPTION_COLUMNS}
    FROM subscriptions s INDEXED BY ${index} JOIN api_keys k ON k.id = s.automation_pat_id
    WHERE ${where} AND s.seq < @before ORDER BY s.seq DESC LIMIT @take`;
}

// INDEXED BY pins the index: without statistics SQLite may pick the project's index, which
// holds every row, over a narrower one (issue 11 measured 114 ms per page at 100k runs).
function runs(index: string, where: string): string {
  return `SELECT seq, ${RUN_COLUMNS} FROM runs INDEXED BY ${index} WHERE ${where} AND seq < @before ORDER BY seq DESC LIMIT @take`;
}
