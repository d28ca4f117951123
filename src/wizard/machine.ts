import { and, assign, fromPromise, not, setup } from "xstate";
import { senderSample } from "../contract/workflow-input.js";
import { buildCurlTemplate } from "../signing/curl.js";
import { looksLikeSecret } from "../text/untrusted.js";
import {
  type ApiKeyChoice,
  type CreatedSubscription,
  ExtrasAnswer,
  type RevealHandle,
  type Scalar,
  SubscriptionName,
  type TestReport,
  type WizardExtras,
  type WizardProblem,
  type WorkflowChoice,
} from "./types.js";

export interface WizardInput {
  wizardId: string;
  /** The workflow open in Studio, if the host knows one. */
  workflowId?: string | undefined;
  /** Who will send the webhooks ("Shopify"), for name suggestions. */
  sender?: string | undefined;
  /** Whether the host lets the person pick another workflow. */
  allowPick: boolean;
}

export interface WizardContext {
  wizardId: string;
  allowPick: boolean;
  sender: string | null;
  requestedWorkflowId: string | null;
  workflow: WorkflowChoice | null;
  workflowOptions: WorkflowChoice[];
  takenNames: string[];
  name: string | null;
  nameSuggestions: string[];
  apiKeyOptions: ApiKeyChoice[];
  apiKey: ApiKeyChoice | null;
  /** The person pastes the chosen key's PAT once (the key is not in the vault, or they prefer it). */
  pastePat: boolean;
  extras: WizardExtras;
  /** Set once the person has seen the summary: a later PAT paste returns to it. */
  answersComplete: boolean;
  subscription: CreatedSubscription | null;
  reveal: RevealHandle | null;
  secretRevealed: boolean;
  secretLost: boolean;
  curlTest: string | null;
  /** The last test request's outcome, and the delivery to wait after next time. */
  lastTest: TestReport | null;
  lastDeliveryId: string | null;
  /** Which loading step to retry from `unavailable`. */
  resume: "loadingWorkflow" | "loadingWorkflows" | "loadingNames" | "loadingKeys" | null;
  problem: WizardProblem | null;
}

export type WizardEvent =
  | { type: "PICK_WORKFLOW"; workflowId: string }
  | { type: "SET_NAME"; name: string }
  | { type: "CHOOSE_KEY"; apiKeyId: string }
  | { type: "PASTE_INSTEAD"; apiKeyId: string }
  | { type: "PAT_PASTED" }
  | { type: "SET_EXTRAS"; extras: WizardExtras }
  | { type: "SKIP_EXTRAS" }
  | { type: "CONFIRM" }
  | { type: "RETRY" }
  | { type: "BACK" }
  | { type: "CANCEL" }
  | { type: "SECRET_REVEALED" }
  | { type: "SECRET_LOST" }
  /** The host lost the page or handle (a restart): prepare the reveal again, still once. */
  | { type: "REVEAL_AGAIN" }
  | { type: "WAIT_FOR_TEST" }
  | { type: "SEND_TEST" }
  | { type: "FINISH" };

export interface CreateInput {
  wizardId: string;
  idempotencyKey: string;
  workflowId: string;
  name: string;
  apiKeyId: string;
  pastePat: boolean;
  extras: WizardExtras;
}

export interface TestInput {
  subscriptionId: string;
  afterDeliveryId: string | null;
}

export interface RevealInput extends CreateInput {
  subscription: CreatedSubscription;
  curlTest: string;
}

/** The documentation's answer when there is no saved workflow to subscribe. */
export const OPEN_SAVED_WORKFLOW = "Open a saved workflow in Workflow Studio first.";

const notImplemented = (name: string) =>
  fromPromise<never, unknown>(async () => {
    throw new Error(`the wizard host did not provide the ${name} actor`);
  });

const codeOf = (error: unknown): string =>
  typeof error === "object" &&
  error !== null &&
  typeof (error as { code?: unknown }).code === "string"
    ? (error as { code: string }).code
    : "unexpected";

const problemOf = (error: unknown): WizardProblem => ({
  code: codeOf(error),
  message: error instanceof Error ? error.message : String(error),
});

const nameKey = (name: string) => name.trim().normalize("NFC").toLowerCase();

function slug(text: string): string {
  return text
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
}

/** Up to three free names built from the sender and the workflow. */
export function suggestNames(
  workflowName: string,
  sender: string | null,
  taken: readonly string[],
): string[] {
  const from = slug(sender ?? "");
  const workflow = slug(workflowName);
  const candidates = [
    from && `${from}-events`,
    from && workflow && `${from}-${workflow}`.slice(0, 64),
    workflow && `${workflow}-webhook`.slice(0, 64),
    workflow && `${workflow}-inbound`.slice(0, 64),
  ].filter((name): name is string => Boolean(name));
  const takenKeys = new Set(taken.map(nameKey));
  return [...new Set(candidates)].filter((name) => !takenKeys.has(nameKey(name))).slice(0, 3);
}

/**
 * The guided inbound-webhook setup. The machine, not a model, decides what comes next:
 * it cannot create without a saved workflow, a valid free name and a PAT, and it reveals
 * the signing secret at most once. Its context holds answers and hints, never a secret:
 * a pasted PAT and a new signing secret live with the host, outside any snapshot.
 */
export const wizardMachine = setup({
  types: {
    context: {} as WizardContext,
    events: {} as WizardEvent,
    input: {} as WizardInput,
  },
  actors: {
    loadWorkflow: notImplemented("loadWorkflow") as unknown as ReturnType<
      typeof fromPromise<WorkflowChoice, { workflowId: string }>
    >,
    listWorkflows: notImplemented("listWorkflows") as unknown as ReturnType<
      typeof fromPromise<WorkflowChoice[], Record<string, never>>
    >,
    listNames: notImplemented("listNames") as unknown as ReturnType<
      typeof fromPromise<string[], { workflowId: string }>
    >,
    listApiKeys: notImplemented("listApiKeys") as unknown as ReturnType<
      typeof fromPromise<ApiKeyChoice[], Record<string, never>>
    >,
    createSubscription: notImplemented("createSubscription") as unknown as ReturnType<
      typeof fromPromise<CreatedSubscription, CreateInput>
    >,
    prepareReveal: notImplemented("prepareReveal") as unknown as ReturnType<
      typeof fromPromise<RevealHandle, RevealInput>
    >,
    waitForTest: notImplemented("waitForTest") as unknown as ReturnType<
      typeof fromPromise<TestReport, TestInput>
    >,
    sendTest: notImplemented("sendTest") as unknown as ReturnType<
      typeof fromPromise<TestReport, TestInput>
    >,
  },
  guards: {
    /** Whether the host holds a pasted PAT for this wizard; hosts provide the real check. */
    patHeld: () => false,
    hasRequestedWorkflow: ({ context }) => context.requestedWorkflowId !== null,
    allowPick: ({ context }) => context.allowPick,
    loadedWorkflowIsSaved: ({ event }) =>
      (event as unknown as { output: WorkflowChoice }).output.status === "saved",
    isKnownSavedWorkflow: ({ context, event }) =>
      event.type === "PICK_WORKFLOW" &&
      context.workflowOptions.some((w) => w.id === event.workflowId && w.status === "saved"),
    isValidFreeName: ({ context, event }) =>
      event.type === "SET_NAME" &&
      SubscriptionName.safeParse(event.name).success &&
      !looksLikeSecret(event.name) &&
      !context.takenNames.map(nameKey).includes(nameKey(event.name)),
    isKnownKey: ({ context, event }) =>
      (event.type === "CHOOSE_KEY" || event.type === "PASTE_INSTEAD") &&
      context.apiKeyOptions.some((key) => key.id === event.apiKeyId),
    chosenKeyInVault: ({ context, event }) =>
      event.type === "CHOOSE_KEY" &&
      context.apiKeyOptions.some((key) => key.id === event.apiKeyId && key.in_vault),
    hasKeys: ({ event }) => (event as unknown as { output: ApiKeyChoice[] }).output.length > 0,
    validExtras: ({ event }) =>
      event.type === "SET_EXTRAS" && ExtrasAnswer.safeParse(event.extras).success,
    needsPaste: ({ context }) => context.pastePat,
    readyToCreate: ({ context }) =>
      context.workflow?.status === "saved" &&
      context.name !== null &&
      SubscriptionName.safeParse(context.name).success &&
      context.apiKey !== null &&
      context.subscription === null,
    errorIs: ({ event }, codes: readonly string[]) =>
      codes.includes(codeOf((event as unknown as { error: unknown }).error)),
    resumeIs: ({ context }, step: WizardContext["resume"]) => context.resume === step,
    notYetRevealed: ({ context }) => !context.secretRevealed,
    /** AgentRuntime can sign a test only as a sender whose PAT is in its vault. */
    canServerTest: ({ context }) => context.apiKey?.in_vault === true && !context.pastePat,
  },
  actions: {
    clearProblem: assign({ problem: null }),
    noteTest: assign({
      lastTest: ({ event }) => testReportOf((event as unknown as { output: TestReport }).output),
      lastDeliveryId: ({ context, event }) =>
        (event as unknown as { output: TestReport }).output.delivery_id ?? context.lastDeliveryId,
      problem: null,
    }),
    noteProblem: assign({
      problem: ({ event }) => problemOf((event as unknown as { error: unknown }).error),
    }),
  },
}).createMachine({
  id: "wizard",
  context: ({ input }) => ({
    wizardId: input.wizardId,
    allowPick: input.allowPick,
    sender: input.sender?.trim() ? input.sender.trim().slice(0, 64) : null,
    requestedWorkflowId: input.workflowId ?? null,
    workflow: null,
    workflowOptions: [],
    takenNames: [],
    name: null,
    nameSuggestions: [],
    apiKeyOptions: [],
    apiKey: null,
    pastePat: false,
    extras: { use_run_setup_defaults: false, trigger_payload: {} },
    answersComplete: false,
    subscription: null,
    reveal: null,
    secretRevealed: false,
    secretLost: false,
    curlTest: null,
    lastTest: null,
    lastDeliveryId: null,
    resume: null,
    problem: null,
  }),
  initial: "setup",
  states: {
    setup: {
      initial: "start",
      on: {
        CANCEL: { target: "cancelled", actions: assign({ problem: null }) },
      },
      states: {
        start: {
          always: [
            { guard: "hasRequestedWorkflow", target: "loadingWorkflow" },
            { guard: "allowPick", target: "loadingWorkflows" },
            {
              target: "#wizard.cancelled",
              actions: assign({ problem: { code: "no_workflow", message: OPEN_SAVED_WORKFLOW } }),
            },
          ],
        },
        loadingWorkflow: {
          invoke: {
            id: "loadWorkflow",
            src: "loadWorkflow",
            input: ({ context }) => ({ workflowId: context.requestedWorkflowId as string }),
            onDone: [
              {
                guard: "loadedWorkflowIsSaved",
                target: "loadingNames",
                actions: assign({
                  workflow: ({ event }) => workflowOf(event.output),
                  problem: null,
                }),
              },
              {
                guard: "allowPick",
                target: "loadingWorkflows",
                actions: assign({
                  problem: { code: "workflow_is_draft", message: OPEN_SAVED_WORKFLOW },
                }),
              },
              {
                target: "#wizard.cancelled",
                actions: assign({
                  problem: { code: "workflow_is_draft", message: OPEN_SAVED_WORKFLOW },
                }),
              },
            ],
            onError: [
              {
                guard: { type: "errorIs", params: ["workflow_not_found"] },
                target: "loadingWorkflows",
                actions: assign({
                  problem: { code: "workflow_not_found", message: OPEN_SAVED_WORKFLOW },
                }),
              },
              {
                target: "unavailable",
                actions: ["noteProblem", assign({ resume: "loadingWorkflow" })],
              },
            ],
          },
        },
        loadingWorkflows: {
          always: {
            guard: ({ context }) => !context.allowPick,
            target: "#wizard.cancelled",
          },
          invoke: {
            id: "listWorkflows",
            src: "listWorkflows",
            input: () => ({}),
            onDone: {
              target: "choosingWorkflow",
              actions: assign({ workflowOptions: ({ event }) => event.output.map(workflowOf) }),
            },
            onError: {
              target: "unavailable",
              actions: ["noteProblem", assign({ resume: "loadingWorkflows" })],
            },
          },
        },
        choosingWorkflow: {
          on: {
            PICK_WORKFLOW: {
              guard: "isKnownSavedWorkflow",
              target: "loadingNames",
              actions: assign({
                workflow: ({ context, event }) =>
                  context.workflowOptions.find((w) => w.id === event.workflowId) ?? null,
                problem: null,
              }),
            },
          },
        },
        loadingNames: {
          invoke: {
            id: "listNames",
            src: "listNames",
            input: ({ context }) => ({ workflowId: (context.workflow as WorkflowChoice).id }),
            onDone: {
              target: "naming",
              actions: assign({
                takenNames: ({ event }) => event.output,
                nameSuggestions: ({ context, event }) =>
                  suggestNames(
                    (context.workflow as WorkflowChoice).name,
                    context.sender,
                    event.output,
                  ),
              }),
            },
            onError: {
              target: "unavailable",
              actions: ["noteProblem", assign({ resume: "loadingNames" })],
            },
          },
        },
        naming: {
          on: {
            SET_NAME: {
              guard: "isValidFreeName",
              target: "loadingKeys",
              actions: assign({ name: ({ event }) => event.name.trim(), problem: null }),
            },
            BACK: { guard: "allowPick", target: "loadingWorkflows", actions: "clearProblem" },
          },
        },
        loadingKeys: {
          invoke: {
            id: "listApiKeys",
            src: "listApiKeys",
            input: () => ({}),
            onDone: [
              {
                guard: "hasKeys",
                target: "choosingKey",
                actions: assign({ apiKeyOptions: ({ event }) => event.output.map(apiKeyOf) }),
              },
              { target: "noKeys", actions: assign({ apiKeyOptions: [] }) },
            ],
            onError: {
              target: "unavailable",
              actions: ["noteProblem", assign({ resume: "loadingKeys" })],
            },
          },
        },
        noKeys: {
          on: {
            RETRY: "loadingKeys",
            BACK: "naming",
          },
        },
        choosingKey: {
          on: {
            CHOOSE_KEY: [
              {
                guard: "chosenKeyInVault",
                target: "extras",
                actions: assign({
                  apiKey: ({ context, event }) =>
                    context.apiKeyOptions.find((k) => k.id === event.apiKeyId) ?? null,
                  pastePat: false,
                  problem: null,
                }),
              },
              {
                guard: "isKnownKey",
                target: "pastingPat",
                actions: assign({
                  apiKey: ({ context, event }) =>
                    context.apiKeyOptions.find((k) => k.id === event.apiKeyId) ?? null,
                  pastePat: true,
                  problem: null,
                }),
              },
            ],
            PASTE_INSTEAD: {
              guard: "isKnownKey",
              target: "pastingPat",
              actions: assign({
                apiKey: ({ context, event }) =>
                  context.apiKeyOptions.find((k) => k.id === event.apiKeyId) ?? null,
                pastePat: true,
                problem: null,
              }),
            },
            BACK: { target: "naming", actions: "clearProblem" },
          },
        },
        pastingPat: {
          on: {
            PAT_PASTED: { guard: "patHeld", target: "confirmingOrExtras", actions: "clearProblem" },
            BACK: { target: "choosingKey", actions: "clearProblem" },
          },
        },
        confirmingOrExtras: {
          // After a paste that create asked for, the answers are complete: back to the summary.
          always: [
            { guard: ({ context }) => context.answersComplete, target: "confirming" },
            { target: "extras" },
          ],
        },
        extras: {
          on: {
            SET_EXTRAS: {
              guard: "validExtras",
              target: "confirming",
              actions: assign({ extras: ({ event }) => ExtrasAnswer.parse(event.extras) }),
            },
            SKIP_EXTRAS: "confirming",
            BACK: "choosingKey",
          },
        },
        confirming: {
          entry: assign({ answersComplete: true }),
          on: {
            CONFIRM: [
              { guard: and(["needsPaste", not("patHeld")]), target: "pastingPat" },
              { guard: "readyToCreate", target: "#wizard.creating", actions: "clearProblem" },
            ],
            BACK: "extras",
          },
        },
        createFailed: {
          on: {
            RETRY: "#wizard.creating",
            BACK: "confirming",
          },
        },
        unavailable: {
          on: {
            RETRY: [
              { guard: { type: "resumeIs", params: "loadingWorkflow" }, target: "loadingWorkflow" },
              {
                guard: { type: "resumeIs", params: "loadingWorkflows" },
                target: "loadingWorkflows",
              },
              { guard: { type: "resumeIs", params: "loadingNames" }, target: "loadingNames" },
              { guard: { type: "resumeIs", params: "loadingKeys" }, target: "loadingKeys" },
            ],
          },
        },
      },
    },
    creating: {
      // A restored snapshot lands here again; a pasted PAT does not survive a restart.
      always: { guard: and(["needsPaste", not("patHeld")]), target: "#wizard.setup.pastingPat" },
      invoke: {
        id: "createSubscription",
        src: "createSubscription",
        input: ({ context }) => createInputOf(context),
        onDone: {
          target: "revealing",
          actions: assign({
            // Field by field: whatever else a host's answer carries never enters the context.
            subscription: ({ event }) => createdOf(event.output),
            curlTest: ({ context, event }) =>
              buildCurlTemplate({
                ingressUrl: event.output.ingress_url,
                body: JSON.stringify(
                  senderSample(
                    context.workflow?.input_fields ?? [],
                    context.workflow?.default_fields ?? [],
                    context.extras,
                  ),
                ),
              }),
            problem: null,
          }),
        },
        onError: [
          {
            guard: {
              type: "errorIs",
              params: ["pat_secret_not_in_vault", "pat_mismatch", "pat_not_held"],
            },
            target: "#wizard.setup.pastingPat",
            actions: ["noteProblem", assign({ pastePat: true })],
          },
          {
            guard: { type: "errorIs", params: ["name_taken"] },
            target: "#wizard.setup.loadingNames",
            actions: "noteProblem",
          },
          {
            guard: { type: "errorIs", params: ["workflow_is_draft", "workflow_not_found"] },
            target: "#wizard.setup.loadingWorkflows",
            actions: "noteProblem",
          },
          {
            guard: { type: "errorIs", params: ["api_key_not_found"] },
            target: "#wizard.setup.loadingKeys",
            actions: "noteProblem",
          },
          { target: "#wizard.setup.createFailed", actions: "noteProblem" },
        ],
      },
    },
    revealing: {
      invoke: {
        id: "prepareReveal",
        src: "prepareReveal",
        input: ({ context }) => ({
          ...createInputOf(context),
          subscription: context.subscription as CreatedSubscription,
          curlTest: context.curlTest as string,
        }),
        onDone: {
          target: "awaitingReveal",
          actions: assign({ reveal: ({ event }) => event.output }),
        },
        onError: { target: "handingOver", actions: ["noteProblem", assign({ secretLost: true })] },
      },
    },
    awaitingReveal: {
      on: {
        SECRET_REVEALED: {
          guard: "notYetRevealed",
          target: "handingOver",
          actions: assign({ secretRevealed: true, reveal: null }),
        },
        SECRET_LOST: { target: "handingOver", actions: assign({ secretLost: true, reveal: null }) },
        REVEAL_AGAIN: {
          guard: "notYetRevealed",
          target: "revealing",
          actions: assign({ reveal: null }),
        },
      },
    },
    handingOver: {
      on: {
        FINISH: "done",
        WAIT_FOR_TEST: "waitingForTest",
        SEND_TEST: { guard: "canServerTest", target: "sendingTest" },
      },
    },
    waitingForTest: {
      invoke: {
        id: "waitForTest",
        src: "waitForTest",
        input: ({ context }) => testInputOf(context),
        onDone: { target: "testReported", actions: "noteTest" },
        onError: { target: "testReported", actions: ["noteProblem", assign({ lastTest: null })] },
      },
    },
    sendingTest: {
      invoke: {
        id: "sendTest",
        src: "sendTest",
        input: ({ context }) => testInputOf(context),
        onDone: { target: "testReported", actions: "noteTest" },
        onError: { target: "testReported", actions: ["noteProblem", assign({ lastTest: null })] },
      },
    },
    testReported: {
      on: {
        FINISH: "done",
        WAIT_FOR_TEST: "waitingForTest",
        SEND_TEST: { guard: "canServerTest", target: "sendingTest" },
      },
    },
    done: { type: "final" },
    cancelled: { type: "final" },
  },
});

function workflowOf(workflow: WorkflowChoice): WorkflowChoice {
  return {
    id: workflow.id,
    name: workflow.name,
    status: workflow.status,
    input_fields: [...workflow.input_fields],
    default_fields: [...workflow.default_fields],
  };
}

function apiKeyOf(key: ApiKeyChoice): ApiKeyChoice {
  return { id: key.id, name: key.name, hint: key.hint, in_vault: key.in_vault };
}

function createdOf(subscription: CreatedSubscription): CreatedSubscription {
  return {
    id: subscription.id,
    name: subscription.name,
    workflow_id: subscription.workflow_id,
    ingress_url: subscription.ingress_url,
    signing_secret_hint: subscription.signing_secret_hint,
    automation_pat_hint: subscription.automation_pat_hint,
  };
}

function testInputOf(context: WizardContext): TestInput {
  return {
    subscriptionId: (context.subscription as CreatedSubscription).id,
    afterDeliveryId: context.lastDeliveryId,
  };
}

/** Field by field, like every other answer that enters the context. */
function testReportOf(report: TestReport): TestReport {
  return {
    timed_out: report.timed_out,
    delivery_id: report.delivery_id,
    accepted: report.accepted,
    status: report.status,
    reason: report.reason,
    fix: report.fix,
    run: report.run && {
      id: report.run.id,
      status: report.run.status,
      input: report.run.input,
      steps: [...report.run.steps],
      error: report.run.error,
    },
  };
}

function createInputOf(context: WizardContext): CreateInput {
  return {
    wizardId: context.wizardId,
    // One key per wizard: a create retried after a crash or a timeout replays the first answer.
    idempotencyKey: `wizard-${context.wizardId}`,
    workflowId: (context.workflow as WorkflowChoice).id,
    name: context.name as string,
    apiKeyId: (context.apiKey as ApiKeyChoice).id,
    pastePat: context.pastePat,
    extras: context.extras,
  };
}

export type WizardMachine = typeof wizardMachine;
export type { Scalar };
