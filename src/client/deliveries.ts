import type { Delivery, Run } from "../contract/schemas.js";
import type { AgentRuntimeClient } from "./client.js";

export interface NextDelivery {
  delivery: Delivery;
  run: Run | null;
}

/**
 * Polls for the first delivery to a webhook after `afterId` (after the newest one now, when
 * undefined), up to `timeoutMs`. Resolves with it and its run, or null on time-out.
 */
export async function waitForNextDelivery(
  client: AgentRuntimeClient,
  subscriptionId: string,
  options: {
    /** Only deliveries after this one; null: from the first; undefined: from now. */
    afterId?: string | null | undefined;
    timeoutMs: number;
    pollMs?: number;
    signal?: AbortSignal;
    onWait?: (waitedMs: number) => Promise<void> | void;
  },
): Promise<NextDelivery | null> {
  const baseline =
    options.afterId === null
      ? undefined
      : (options.afterId ??
        (await client.deliveries.list(subscriptionId, { limit: 1 })).deliveries[0]?.id);
  const started = Date.now();
  for (;;) {
    const { deliveries } = await client.deliveries.list(subscriptionId, { limit: 50 });
    // Newest first: everything before the baseline is new, and the last of those came next.
    const index =
      baseline === undefined ? deliveries.length : deliveries.findIndex((d) => d.id === baseline);
    const next = (index === -1 ? deliveries : deliveries.slice(0, index)).at(-1);
    if (next)
      return { delivery: next, run: next.run_id ? await client.runs.get(next.run_id) : null };
    const waited = Date.now() - started;
    if (waited >= options.timeoutMs || options.signal?.aborted) return null;
    await options.onWait?.(waited);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}
