import { fromPromise } from "xstate";
import type { AgentRuntimeClient } from "../client/client.js";
import { waitForNextDelivery } from "../client/deliveries.js";
import { AgentRuntimeError } from "../client/errors.js";
import type { CreateSubscriptionResponse, Workflow } from "../contract/schemas.js";
import { inputFieldsOf, inputTypesOf } from "../contract/workflow-input.js";
import { deliveryReport } from "../handoff/delivery-fixes.js";
import { cleanLine } from "../untrusted/mark.js";
import { type CreateInput, type RevealInput, type TestInput, wizardMachine } from "./machine.js";
import {
  type ApiKeyChoice,
  type CreatedSubscription,
  type RevealHandle,
  WizardActorError,
  type WorkflowChoice,
} from "./types.js";
import type { MemoryVault } from "./vaults.js";

export interface WizardHostDeps {
  client: AgentRuntimeClient;
  /** Pasted PATs, by wizard id, until create uses them. */
  pats: MemoryVault;
  /** New signing secrets, by wizard id, until they are revealed. */
  secrets: MemoryVault;
  /** Hands the secret to the person the host's way (a one-time page, the terminal). */
  reveal(input: RevealInput, secret: string): Promise<RevealHandle>;
  /** How long the last step waits for the person's own test request (default 45 s). */
  testWaitMs?: number;
}

/** Client errors keep their contract code, so the machine can route on it. */
async function api<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AgentRuntimeError)
      throw new WizardActorError(
        error.code,
        PERSON_WORDS[error.code] ?? cleanLine(error.message, 400),
      );
    throw error;
  }
}

/** What a person is told about a refused PAT, instead of the API's field names. */
const PERSON_WORDS: Readonly<Record<string, string>> = {
  pat_mismatch:
    "AgentRuntime refused the pasted PAT: it is not the PAT of the chosen API key. Paste that key's pat_… token, or choose the key it belongs to.",
  pat_secret_not_in_vault:
    "This API key's PAT is not in Vault (or its Vault copy is out of date), so it has to be pasted once for this setup.",
};

function workflowChoice(workflow: Workflow): WorkflowChoice {
  return {
    id: workflow.id,
    name: cleanLine(workflow.name),
    status: workflow.status,
    input_fields: inputFieldsOf(workflow),
    input_types: inputTypesOf(workflow),
    default_fields: Object.keys(workflow.run_setup_defaults),
  };
}

async function allPages<T>(
  load: (cursor?: string) => Promise<{ items: T[]; next: string | null }>,
  max = 10,
) {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < max; page += 1) {
    const answer = await load(cursor);
    items.push(...answer.items);
    if (!answer.next) break;
    cursor = answer.next;
  }
  return items;
}

function created(answer: CreateSubscriptionResponse): CreatedSubscription {
  return {
    id: answer.subscription.id,
    name: cleanLine(answer.subscription.name),
    workflow_id: answer.subscription.workflow_id,
    ingress_url: answer.ingress_url,
    signing_secret_hint: answer.subscription.signing_secret_hint,
    automation_pat_hint: answer.subscription.automation_pat_hint,
  };
}

function createBody(input: CreateInput, bearer?: string) {
  return {
    workflow_id: input.workflowId,
    name: input.name,
    automation_pat_id: input.apiKeyId,
    ...(bearer ? { automation_bearer: bearer } : {}),
    extras: input.extras,
  };
}

/** Create, with the pasted PAT taken for this one request; the secret waits for its reveal. */
function createSubscriptionActor(deps: WizardHostDeps) {
  const { client, pats, secrets } = deps;
  return fromPromise(async ({ input }: { input: CreateInput }) => {
    // Taken before the call: the pasted PAT is used for this one request, whatever happens.
    const bearer = input.pastePat ? pats.take(input.wizardId) : undefined;
    if (input.pastePat && !bearer) {
      throw new WizardActorError(
        "pat_not_held",
        "The pasted PAT is no longer held; paste it again.",
      );
    }
    const answer = await api(() =>
      client.inboundWebhooks.create(createBody(input, bearer), {
        idempotencyKey: input.idempotencyKey,
      }),
    );
    secrets.put(input.wizardId, answer.signing_secret);
    return created(answer);
  });
}

/** The secret for its one reveal; after a restart the same idempotent create replays it. */
function prepareRevealActor(deps: WizardHostDeps) {
  const { client, secrets } = deps;
  return fromPromise(async ({ input }: { input: RevealInput }) => {
    let secret = secrets.take(input.wizardId);
    if (!secret && !input.pastePat) {
      // After a restart the secret is gone from memory; the same idempotent create replays it.
      secret = (
        await api(() =>
          client.inboundWebhooks.create(createBody(input), {
            idempotencyKey: input.idempotencyKey,
          }),
        )
      ).signing_secret;
    }
    if (!secret) {
      throw new WizardActorError(
        "secret_unavailable",
        "The signing secret was lost before it was shown (the wizard restarted). Delete this webhook and create it again.",
      );
    }
    return deps.reveal(input, secret);
  });
}

/**
 * The wizard machine with its actors bound to an AgentRuntime client. Every actor is safe to
 * run again after a restore: reads are reads, and create carries the wizard's idempotency key.
 */
export function provideWizard(deps: WizardHostDeps) {
  const { client, pats } = deps;
  return wizardMachine.provide({
    guards: {
      patHeld: ({ context }) => pats.has(context.wizardId),
    },
    actors: {
      loadWorkflow: fromPromise(async ({ input }: { input: { workflowId: string } }) =>
        workflowChoice(await api(() => client.workflows.get(input.workflowId))),
      ),
      listWorkflows: fromPromise(async () =>
        (
          await allPages(async (cursor) => {
            const page = await api(() => client.workflows.list({ limit: 200, cursor }));
            return { items: page.workflows, next: page.next_cursor };
          })
        ).map(workflowChoice),
      ),
      listNames: fromPromise(async ({ input }: { input: { workflowId: string } }) =>
        (
          await allPages(async (cursor) => {
            const page = await api(() =>
              client.inboundWebhooks.list({ workflow_id: input.workflowId, limit: 200, cursor }),
            );
            return { items: page.subscriptions, next: page.next_cursor };
          })
        ).map((subscription) => subscription.name),
      ),
      listApiKeys: fromPromise(async () =>
        (
          await allPages(async (cursor) => {
            const page = await api(() => client.apiKeys.list({ limit: 200, cursor }));
            return { items: page.api_keys, next: page.next_cursor };
          })
        ).map(
          (key): ApiKeyChoice => ({
            id: key.id,
            name: cleanLine(key.name),
            hint: key.hint,
            in_vault: key.in_vault,
          }),
        ),
      ),
      createSubscription: createSubscriptionActor(deps),
      waitForTest: fromPromise(
        async ({ input, signal }: { input: TestInput; signal: AbortSignal }) => {
          const next = await api(() =>
            waitForNextDelivery(client, input.subscriptionId, {
              afterId: input.afterDeliveryId,
              timeoutMs: deps.testWaitMs ?? 45_000,
              signal,
            }),
          );
          return deliveryReport(next?.delivery ?? null, next?.run ?? null, "person");
        },
      ),
      sendTest: fromPromise(async ({ input }: { input: TestInput }) => {
        const answer = await api(() => client.inboundWebhooks.sendTest(input.subscriptionId));
        return deliveryReport(answer.delivery, answer.run, "person");
      }),
      prepareReveal: prepareRevealActor(deps),
    },
  });
}

export type ProvidedWizard = ReturnType<typeof provideWizard>;
