import { and, assign, fromPromise, not, type SnapshotFrom, type StateValue, setup } from "xstate";
import { senderSample } from "../contract/workflow-input.js";
import { buildCurlTemplate } from "../signing/curl.js";
import { looksLikeSecret } from "../untrusted/mark.js";
import {
  type ApiKeyChoice,
  type CreatedSubscription,
  ExtrasAnswer,
  type RevealHandle,
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

/** Durable answers and hints only: where the wizard is and what it may do next live in states. */
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
  /** An answer, not a mode: the person pastes the key's PAT once (not in Vault, or preferred). */
  pastePat: boolean;
  extras: WizardExtras;
  subscription: CreatedSubscription | null;
  reveal: RevealHandle | null;
  /** A lasting outcome the hand-over must state: the secret was never shown. */
  secretLost: boolean;
  /** The last test request's outcome, and the delivery to wait after next time. */
  lastTest: TestReport | null;
  lastDeliveryId: string | null;
  problem: WizardProblem | null;
}

/** The answers the confirm step lets a person change before anything is created. */
export const EDITABLE_ANSWERS = ["name", "api_key", "extras"] as const;
export type EditableAnswer = (typeof EDITABLE_ANSWERS)[number];

export type WizardEvent =
  | { type: "PICK_WORKFLOW"; workflowId: string }
  | { type: "SET_NAME"; name: string }
  | { type: "CHOOSE_KEY"; apiKeyId: string }
  | { type: "PASTE_INSTEAD"; apiKeyId: string }
  | { type: "PAT_PASTED" }
  | { type: "SET_EXTRAS"; extras: WizardExtras }
  | { type: "SKIP_EXTRAS" }
  | { type: "CONFIRM" }
  /** At confirm: change one answer (an EditableAnswer; others are refused), then come back. */
  | { type: "EDIT"; answer: string }
  | { type: "RETRY" }
  | { type: "BACK" }
  | { type: "CANCEL" }
  | { type: "SECRET_REVEALED" }
  | { type: "SECRET_LOST" }
  /** The host lost the page or handle (a restart): prepare the reveal again, still once. */
  | { type: "REVEAL_AGAIN" }
  | { type: "WAIT_FOR_TEST" }
  | { type: "SEND_TEST" }
  /** A host signed and sent a test itself: its outcome is this setup's latest news. */
  | { type: "TEST_SENT"; report: TestReport }
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

/**
 * Every step a host can meet, in the order a setup usually meets them. A step is a state at
 * the step level; a step's sub-states (why it was entered) are modes, not steps.
 */
export const WIZARD_STEPS = [
  "start",
  "loadingWorkflow",
  "loadingWorkflows",
  "choosingWorkflow",
  "loadingNames",
  "naming",
  "loadingKeys",
  "noKeys",
  "choosingKey",
  "pastingPat",
  "extras",
  "confirming",
  "createFailed",
  "unavailable",
  "creating",
  "revealing",
  "awaitingReveal",
  "handingOver",
  "waitingForTest",
  "sendingTest",
  "testReported",
  "done",
  "cancelled",
] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number];

const isWizardStep = (key: string): key is WizardStep =>
  (WIZARD_STEPS as readonly string[]).includes(key);

/** The step a snapshot is at: the root's state, or the setup phase's, ignoring modes below. */
export function stepOf(snapshot: { value: StateValue }): WizardStep {
  let value = snapshot.value;
  if (typeof value !== "string") {
    const [key, inner] = Object.entries(value)[0] ?? [];
    value = key === "setup" && inner !== undefined ? inner : (key ?? "");
  }
  const key = typeof value === "string" ? value : (Object.keys(value)[0] ?? "");
  if (!isWizardStep(key)) throw new Error(`the wizard is at an unknown step (${key})`);
  return key;
}

/** The documentation's answer when there is no saved workflow to subscribe. */
export const OPEN_SAVED_WORKFLOW = "Open a saved workflow in Workflow Studio first.";

/** A stand-in that fails loudly: every host provides the real actor. */
const notProvided = <Output, Input>(name: string) =>
  fromPromise<Output, Input>(async () => {
    throw new Error(`the wizard host did not provide the ${name} actor`);
  });

const codeOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
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

/** Whether a name may be given: valid, not secret-shaped, and not taken (letter case ignored). */
export function nameRefusal(
  name: string,
  taken: readonly string[],
): "invalid" | "secret" | "taken" | null {
  if (!SubscriptionName.safeParse(name).success) return "invalid";
  if (looksLikeSecret(name)) return "secret";
  return taken.map(nameKey).includes(nameKey(name)) ? "taken" : null;
}

const PAT_TROUBLE = ["pat_secret_not_in_vault", "pat_mismatch", "pat_not_held"];

/**
 * The guided inbound-webhook setup. The machine, not a model, decides what comes next:
 * it cannot create without a saved workflow, a valid free name and a PAT, and it reveals
 * the signing secret at most once. Its context holds answers and hints, never a secret:
 * a pasted PAT and a new signing secret live with the host, outside any snapshot.
 * States tagged `busy` run an actor; hosts wait them out before describing the step.
 */
export const wizardMachine = setup({
  types: {
    context: {} as WizardContext,
    events: {} as WizardEvent,
    input: {} as WizardInput,
  },
  actors: {
    loadWorkflow: notProvided<WorkflowChoice, { workflowId: string }>("loadWorkflow"),
    listWorkflows: notProvided<WorkflowChoice[], Record<string, never>>("listWorkflows"),
    listNames: notProvided<string[], { workflowId: string }>("listNames"),
    listApiKeys: notProvided<ApiKeyChoice[], Record<string, never>>("listApiKeys"),
    createSubscription: notProvided<CreatedSubscription, CreateInput>("createSubscription"),
    prepareReveal: notProvided<RevealHandle, RevealInput>("prepareReveal"),
    waitForTest: notProvided<TestReport, TestInput>("waitForTest"),
    sendTest: notProvided<TestReport, TestInput>("sendTest"),
  },
  guards: {
    /** Whether the host holds a pasted PAT for this wizard; hosts provide the real check. */
    patHeld: () => false,
    hasRequestedWorkflow: ({ context }) => context.requestedWorkflowId !== null,
    allowPick: ({ context }) => context.allowPick,
    isSaved: (_, params: { workflow: WorkflowChoice }) => params.workflow.status === "saved",
    isKnownSavedWorkflow: ({ context, event }) =>
      event.type === "PICK_WORKFLOW" &&
      context.workflowOptions.some((w) => w.id === event.workflowId && w.status === "saved"),
    isValidFreeName: ({ context, event }) =>
      event.type === "SET_NAME" && nameRefusal(event.name, context.takenNames) === null,
    isKnownKey: ({ context, event }) =>
      (event.type === "CHOOSE_KEY" || event.type === "PASTE_INSTEAD") &&
      context.apiKeyOptions.some((key) => key.id === event.apiKeyId),
    chosenKeyInVault: ({ context, event }) =>
      event.type === "CHOOSE_KEY" &&
      context.apiKeyOptions.some((key) => key.id === event.apiKeyId && key.in_vault),
    isNotEmpty: (_, params: { items: readonly unknown[] }) => params.items.length > 0,
    validExtras: ({ event }) =>
      event.type === "SET_EXTRAS" && ExtrasAnswer.safeParse(event.extras).success,
    editing: ({ event }, params: { answer: EditableAnswer }) =>
      event.type === "EDIT" && event.answer === params.answer,
    needsPaste: ({ context }) => context.pastePat,
    readyToCreate: ({ context }) =>
      context.workflow?.status === "saved" &&
      context.name !== null &&
      SubscriptionName.safeParse(context.name).success &&
      context.apiKey !== null &&
      context.subscription === null,
    errorIs: (_, params: { error: unknown; codes: readonly string[] }) =>
      params.codes.includes(codeOf(params.error)),
    /** AgentRuntime can sign a test only as a sender whose PAT is in its vault. */
    canServerTest: ({ context }) => context.apiKey?.in_vault === true && !context.pastePat,
  },
  actions: {
    clearProblem: assign({ problem: null }),
    noteProblem: assign((_, params: { error: unknown }) => ({ problem: problemOf(params.error) })),
    noteTest: assign(({ context }, params: { report: TestReport }) => ({
      lastTest: testReportOf(params.report),
      lastDeliveryId: params.report.delivery_id ?? context.lastDeliveryId,
      problem: null,
    })),
    chooseKey: assign(({ context, event }, params: { pastePat: boolean }) => ({
      apiKey:
        event.type === "CHOOSE_KEY" || event.type === "PASTE_INSTEAD"
          ? (context.apiKeyOptions.find((k) => k.id === event.apiKeyId) ?? null)
          : context.apiKey,
      pastePat: params.pastePat,
      problem: null,
    })),
    setName: assign(({ context, event }) => ({
      name: event.type === "SET_NAME" ? event.name.trim() : context.name,
      problem: null,
    })),
    setExtras: assign(({ context, event }) => ({
      extras: event.type === "SET_EXTRAS" ? ExtrasAnswer.parse(event.extras) : context.extras,
      problem: null,
    })),
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
    subscription: null,
    reveal: null,
    secretLost: false,
    lastTest: null,
    lastDeliveryId: null,
    problem: null,
  }),
  initial: "setup",
  states: {
    setup: {
      initial: "start",
      on: {
        CANCEL: { target: "cancelled", actions: "clearProblem" },
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
          tags: ["busy"],
          invoke: {
            id: "loadWorkflow",
            src: "loadWorkflow",
            input: ({ context }) => ({ workflowId: context.requestedWorkflowId ?? "" }),
            onDone: [
              {
                guard: { type: "isSaved", params: ({ event }) => ({ workflow: event.output }) },
                target: "loadingNames",
                actions: assign({
                  workflow: ({ event }) => workflowOf(event.output),
                  problem: null,
                }),
              },
              {
                guard: "allowPick",
                target: "loadingWorkflows",
                actions: assign({ problem: ({ event }) => draftProblem(event.output) }),
              },
              {
                target: "#wizard.cancelled",
                actions: assign({ problem: ({ event }) => draftProblem(event.output) }),
              },
            ],
            onError: [
              {
                guard: {
                  type: "errorIs",
                  params: ({ event }) => ({ error: event.error, codes: ["workflow_not_found"] }),
                },
                target: "loadingWorkflows",
                actions: assign({
                  problem: { code: "workflow_not_found", message: OPEN_SAVED_WORKFLOW },
                }),
              },
              {
                target: "unavailable.workflow",
                actions: { type: "noteProblem", params: ({ event }) => ({ error: event.error }) },
              },
            ],
          },
        },
        loadingWorkflows: {
          tags: ["busy"],
          always: { guard: not("allowPick"), target: "#wizard.cancelled" },
          invoke: {
            id: "listWorkflows",
            src: "listWorkflows",
            input: () => ({}),
            onDone: {
              target: "choosingWorkflow",
              actions: assign({ workflowOptions: ({ event }) => event.output.map(workflowOf) }),
            },
            onError: {
              target: "unavailable.workflows",
              actions: { type: "noteProblem", params: ({ event }) => ({ error: event.error }) },
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
          tags: ["busy"],
          invoke: {
            id: "listNames",
            src: "listNames",
            input: ({ context }) => ({ workflowId: context.workflow?.id ?? "" }),
            onDone: {
              target: "naming",
              actions: assign({
                takenNames: ({ event }) => event.output,
                nameSuggestions: ({ context, event }) =>
                  suggestNames(context.workflow?.name ?? "", context.sender, event.output),
              }),
            },
            onError: {
              target: "unavailable.names",
              actions: { type: "noteProblem", params: ({ event }) => ({ error: event.error }) },
            },
          },
        },
        naming: {
          initial: "asking",
          on: {
            BACK: { guard: "allowPick", target: "loadingWorkflows", actions: "clearProblem" },
          },
          states: {
            asking: {
              on: {
                SET_NAME: {
                  guard: "isValidFreeName",
                  target: "#wizard.setup.loadingKeys",
                  actions: "setName",
                },
              },
            },
            /** Changing the name from the summary: the answer goes straight back to it. */
            editing: {
              on: {
                SET_NAME: {
                  guard: "isValidFreeName",
                  target: "#wizard.setup.confirming",
                  actions: "setName",
                },
                BACK: { target: "#wizard.setup.confirming", actions: "clearProblem" },
              },
            },
          },
        },
        loadingKeys: {
          tags: ["busy"],
          invoke: {
            id: "listApiKeys",
            src: "listApiKeys",
            input: () => ({}),
            onDone: [
              {
                guard: { type: "isNotEmpty", params: ({ event }) => ({ items: event.output }) },
                target: "choosingKey",
                actions: assign({ apiKeyOptions: ({ event }) => event.output.map(apiKeyOf) }),
              },
              { target: "noKeys", actions: assign({ apiKeyOptions: [] }) },
            ],
            onError: {
              target: "unavailable.keys",
              actions: { type: "noteProblem", params: ({ event }) => ({ error: event.error }) },
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
          initial: "asking",
          on: {
            BACK: { target: "naming", actions: "clearProblem" },
          },
          states: {
            asking: {
              on: {
                CHOOSE_KEY: [
                  {
                    guard: "chosenKeyInVault",
                    target: "#wizard.setup.extras",
                    actions: { type: "chooseKey", params: { pastePat: false } },
                  },
                  {
                    guard: "isKnownKey",
                    target: "#wizard.setup.pastingPat",
                    actions: { type: "chooseKey", params: { pastePat: true } },
                  },
                ],
                PASTE_INSTEAD: {
                  guard: "isKnownKey",
                  target: "#wizard.setup.pastingPat",
                  actions: { type: "chooseKey", params: { pastePat: true } },
                },
              },
            },
            /** Changing the key from the summary (or after a refused paste): back to the summary. */
            editing: {
              on: {
                CHOOSE_KEY: [
                  {
                    guard: "chosenKeyInVault",
                    target: "#wizard.setup.confirming",
                    actions: { type: "chooseKey", params: { pastePat: false } },
                  },
                  {
                    guard: "isKnownKey",
                    target: "#wizard.setup.pastingPat.forSummary",
                    actions: { type: "chooseKey", params: { pastePat: true } },
                  },
                ],
                PASTE_INSTEAD: {
                  guard: "isKnownKey",
                  target: "#wizard.setup.pastingPat.forSummary",
                  actions: { type: "chooseKey", params: { pastePat: true } },
                },
                BACK: { target: "#wizard.setup.confirming", actions: "clearProblem" },
              },
            },
          },
        },
        pastingPat: {
          initial: "beforeExtras",
          states: {
            beforeExtras: {
              on: {
                PAT_PASTED: {
                  guard: "patHeld",
                  target: "#wizard.setup.extras",
                  actions: "clearProblem",
                },
                BACK: { target: "#wizard.setup.choosingKey", actions: "clearProblem" },
              },
            },
            /** The answers are complete (create or the summary asked for the paste): back to it. */
            forSummary: {
              on: {
                PAT_PASTED: {
                  guard: "patHeld",
                  target: "#wizard.setup.confirming",
                  actions: "clearProblem",
                },
                BACK: { target: "#wizard.setup.choosingKey.editing", actions: "clearProblem" },
              },
            },
          },
        },
        extras: {
          initial: "asking",
          on: {
            BACK: { target: "choosingKey", actions: "clearProblem" },
          },
          states: {
            asking: {
              on: {
                SET_EXTRAS: {
                  guard: "validExtras",
                  target: "#wizard.setup.confirming",
                  actions: "setExtras",
                },
                SKIP_EXTRAS: { target: "#wizard.setup.confirming", actions: "clearProblem" },
              },
            },
            editing: {
              on: {
                SET_EXTRAS: {
                  guard: "validExtras",
                  target: "#wizard.setup.confirming",
                  actions: "setExtras",
                },
                SKIP_EXTRAS: {
                  target: "#wizard.setup.confirming",
                  actions: assign({
                    extras: { use_run_setup_defaults: false, trigger_payload: {} },
                    problem: null,
                  }),
                },
                BACK: { target: "#wizard.setup.confirming", actions: "clearProblem" },
              },
            },
          },
        },
        confirming: {
          on: {
            CONFIRM: [
              { guard: and(["needsPaste", not("patHeld")]), target: "pastingPat.forSummary" },
              { guard: "readyToCreate", target: "#wizard.creating", actions: "clearProblem" },
            ],
            EDIT: [
              { guard: { type: "editing", params: { answer: "name" } }, target: "naming.editing" },
              {
                guard: { type: "editing", params: { answer: "api_key" } },
                target: "choosingKey.editing",
              },
              {
                guard: { type: "editing", params: { answer: "extras" } },
                target: "extras.editing",
              },
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
        /** AgentRuntime could not answer; the sub-state is the load that RETRY runs again. */
        unavailable: {
          initial: "workflow",
          states: {
            workflow: { on: { RETRY: "#wizard.setup.loadingWorkflow" } },
            workflows: { on: { RETRY: "#wizard.setup.loadingWorkflows" } },
            names: { on: { RETRY: "#wizard.setup.loadingNames" } },
            keys: { on: { RETRY: "#wizard.setup.loadingKeys" } },
          },
        },
      },
    },
    creating: {
      tags: ["busy"],
      // A restored snapshot lands here again; a pasted PAT does not survive a restart.
      always: {
        guard: and(["needsPaste", not("patHeld")]),
        target: "#wizard.setup.pastingPat.forSummary",
      },
      invoke: {
        id: "createSubscription",
        src: "createSubscription",
        input: ({ context }) => createInputOf(context),
        onDone: {
          target: "revealing",
          actions: assign({
            // Field by field: whatever else a host's answer carries never enters the context.
            subscription: ({ event }) => createdOf(event.output),
            problem: null,
          }),
        },
        onError: [
          {
            guard: {
              type: "errorIs",
              params: ({ event }) => ({ error: event.error, codes: PAT_TROUBLE }),
            },
            target: "#wizard.setup.pastingPat.forSummary",
            actions: [
              { type: "noteProblem", params: ({ event }) => ({ error: event.error }) },
              assign({ pastePat: true }),
            ],
          },
          {
            guard: {
              type: "errorIs",
              params: ({ event }) => ({ error: event.error, codes: ["name_taken"] }),
            },
            target: "#wizard.setup.loadingNames",
            actions: { type: "noteProblem", params: ({ event }) => ({ error: event.error }) },
          },
          {
            guard: {
              type: "errorIs",
              params: ({ event }) => ({
                error: event.error,
                codes: ["workflow_is_draft", "workflow_not_found"],
              }),
            },
            target: "#wizard.setup.loadingWorkflows",
            actions: { type: "noteProblem", params: ({ event }) => ({ error: event.error }) },
          },
          {
            guard: {
              type: "errorIs",
              params: ({ event }) => ({ error: event.error, codes: ["api_key_not_found"] }),
            },
            target: "#wizard.setup.loadingKeys",
            actions: { type: "noteProblem", params: ({ event }) => ({ error: event.error }) },
          },
          {
            target: "#wizard.setup.createFailed",
            actions: { type: "noteProblem", params: ({ event }) => ({ error: event.error }) },
          },
        ],
      },
    },
    revealing: {
      tags: ["busy"],
      invoke: {
        id: "prepareReveal",
        src: "prepareReveal",
        input: ({ context }) => revealInputOf(context),
        onDone: {
          target: "awaitingReveal",
          actions: assign({ reveal: ({ event }) => event.output }),
        },
        onError: {
          target: "handingOver",
          actions: [
            { type: "noteProblem", params: ({ event }) => ({ error: event.error }) },
            assign({ secretLost: true }),
          ],
        },
      },
    },
    awaitingReveal: {
      on: {
        SECRET_REVEALED: { target: "handingOver", actions: assign({ reveal: null }) },
        SECRET_LOST: { target: "handingOver", actions: assign({ secretLost: true, reveal: null }) },
        REVEAL_AGAIN: { target: "revealing", actions: assign({ reveal: null }) },
      },
    },
    handingOver: {
      on: {
        FINISH: "done",
        WAIT_FOR_TEST: "waitingForTest",
        SEND_TEST: { guard: "canServerTest", target: "sendingTest" },
        TEST_SENT: {
          target: "testReported",
          actions: { type: "noteTest", params: ({ event }) => ({ report: event.report }) },
        },
      },
    },
    waitingForTest: {
      tags: ["busy"],
      invoke: {
        id: "waitForTest",
        src: "waitForTest",
        input: ({ context }) => testInputOf(context),
        onDone: {
          target: "testReported",
          actions: { type: "noteTest", params: ({ event }) => ({ report: event.output }) },
        },
        onError: {
          target: "testReported",
          actions: [
            { type: "noteProblem", params: ({ event }) => ({ error: event.error }) },
            assign({ lastTest: null }),
          ],
        },
      },
    },
    sendingTest: {
      tags: ["busy"],
      invoke: {
        id: "sendTest",
        src: "sendTest",
        input: ({ context }) => testInputOf(context),
        onDone: {
          target: "testReported",
          actions: { type: "noteTest", params: ({ event }) => ({ report: event.output }) },
        },
        onError: {
          target: "testReported",
          actions: [
            { type: "noteProblem", params: ({ event }) => ({ error: event.error }) },
            assign({ lastTest: null }),
          ],
        },
      },
    },
    testReported: {
      on: {
        FINISH: "done",
        WAIT_FOR_TEST: "waitingForTest",
        SEND_TEST: { guard: "canServerTest", target: "sendingTest" },
        TEST_SENT: {
          target: "testReported",
          actions: { type: "noteTest", params: ({ event }) => ({ report: event.report }) },
        },
      },
    },
    done: { type: "final" },
    cancelled: { type: "final" },
  },
});

/** A snapshot of the wizard, whichever host provided its actors. */
export type WizardSnapshot = SnapshotFrom<typeof wizardMachine>;

/** Whether an actor is at work; callers wait until it is not before describing the step. */
export const isBusy = (snapshot: Pick<WizardSnapshot, "hasTag">): boolean =>
  snapshot.hasTag("busy");

/** Whether the person has seen the signing secret: past the reveal, and it was not lost. */
export function secretRevealed(snapshot: WizardSnapshot): boolean {
  const step = stepOf(snapshot);
  return (
    snapshot.context.subscription !== null &&
    !snapshot.context.secretLost &&
    (step === "handingOver" ||
      step === "waitingForTest" ||
      step === "sendingTest" ||
      step === "testReported" ||
      step === "done")
  );
}

/** The JSON body a sender of this setup would post, typed as the workflow declares. */
export function testBodyFor(context: Pick<WizardContext, "workflow" | "extras">): string {
  return JSON.stringify(
    senderSample(
      context.workflow?.input_fields ?? [],
      context.workflow?.default_fields ?? [],
      context.extras,
      context.workflow?.input_types,
    ),
  );
}

/** The curl test for this setup's answers, sent to the given (current) ingress URL. */
export function curlTestFor(
  context: Pick<WizardContext, "workflow" | "extras">,
  ingressUrl: string,
): string {
  return buildCurlTemplate({ ingressUrl, body: testBodyFor(context) });
}

/** A draft workflow's problem names it, so the person knows which one to save. */
function draftProblem(workflow: WorkflowChoice): WizardProblem {
  return {
    code: "workflow_is_draft",
    message: `"${workflow.name}" is a draft. ${OPEN_SAVED_WORKFLOW}`,
  };
}

function workflowOf(workflow: WorkflowChoice): WorkflowChoice {
  return {
    id: workflow.id,
    name: workflow.name,
    status: workflow.status,
    input_fields: [...workflow.input_fields],
    ...(workflow.input_types ? { input_types: { ...workflow.input_types } } : {}),
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
    subscriptionId: context.subscription?.id ?? "",
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
    // Create is entered only when readyToCreate held, so these are set.
    workflowId: context.workflow?.id ?? "",
    name: context.name ?? "",
    apiKeyId: context.apiKey?.id ?? "",
    pastePat: context.pastePat,
    extras: context.extras,
  };
}

function revealInputOf(context: WizardContext): RevealInput {
  const subscription = context.subscription;
  if (!subscription) throw new Error("the wizard reached the reveal without a created webhook");
  // Derived, not stored: the curl test follows the answers and the ingress URL it is given.
  return {
    ...createInputOf(context),
    subscription,
    curlTest: curlTestFor(context, subscription.ingress_url),
  };
}

export type WizardMachine = typeof wizardMachine;
