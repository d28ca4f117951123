import type { AgentRuntimeClient } from "../client/client.js";
import { ApiError } from "../client/errors.js";

/** No subscription has this id: a change asked of it alters nothing. */
const NO_SUBSCRIPTION = "00000000-0000-4000-8000-000000000000";

/**
 * Throws AgentRuntime's `forbidden` when the token may only read, so a guided setup says so at
 * its start rather than at confirm. AgentRuntime has no call that names a token's role; it
 * checks the role of a write before anything else, so an empty change to a subscription that
 * does not exist answers 403 to a viewer and 404 (or 400) to a contributor, and changes nothing.
 * Any other answer lets the setup start, as it did before.
 */
export async function refuseReadOnlyToken(client: AgentRuntimeClient): Promise<void> {
  try {
    await client.inboundWebhooks.update(NO_SUBSCRIPTION, {});
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) throw error;
  }
}
