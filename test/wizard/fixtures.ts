import { fromPromise } from "xstate";
import { wizardMachine } from "../../src/wizard/machine.js";
import type {
  ApiKeyChoice,
  CreatedSubscription,
  RevealHandle,
  TestReport,
  WorkflowChoice,
} from "../../src/wizard/types.js";
import { WizardActorError } from "../../src/wizard/types.js";

export const SAVED: WorkflowChoice = {
  id: "11111111-1111-4111-8111-111111111111",
  name: "Fulfil Shopify order",
  status: "saved",
  input_fields: ["order_id", "customer.email", "warehouse"],
  default_fields: ["warehouse"],
};
export const DRAFT: WorkflowChoice = {
  ...SAVED,
  id: "22222222-2222-4222-8222-222222222222",
  name: "Draft",
  status: "draft",
};
export const VAULT_KEY: ApiKeyChoice = {
  id: "k-vault",
  name: "Automation key",
  hint: "pat_…abcd",
  in_vault: true,
};
export const LEGACY_KEY: ApiKeyChoice = {
  id: "k-legacy",
  name: "Legacy key",
  hint: "pat_…wxyz",
  in_vault: false,
};

/** Planted in actor answers: the machine must drop it, so no snapshot can carry it. */
export const PLANTED_SECRET = "whsec_PLANTEDplantedPLANTEDplanted0000000000";
export const PLANTED_PAT = "pat_PLANTEDplantedPLANTEDplanted000000000000";

export const CREATED = {
  id: "33333333-3333-4333-8333-333333333333",
  name: "shopify-orders",
  workflow_id: SAVED.id,
  ingress_url: "http://127.0.0.1:1/v1/inbound-webhooks/33333333-3333-4333-8333-333333333333",
  signing_secret_hint: "…0000",
  automation_pat_hint: "pat_…abcd",
  // a careless host might pass the whole create answer along
  signing_secret: PLANTED_SECRET,
  automation_bearer: PLANTED_PAT,
} as CreatedSubscription;

export const REJECTED_TEST: TestReport = {
  timed_out: false,
  delivery_id: "d-1",
  accepted: false,
  status: 401,
  reason: "invalid_signature",
  fix: "Sign the exact bytes sent.",
  run: null,
};
export const ACCEPTED_TEST: TestReport = {
  timed_out: false,
  delivery_id: "d-2",
  accepted: true,
  status: 202,
  reason: null,
  fix: null,
  run: {
    id: "r-1",
    status: "succeeded",
    input: { order_id: "1" },
    steps: ["Validate order: Order 1 accepted"],
    error: null,
  },
};

export const PAGE: RevealHandle = {
  kind: "page",
  url: "http://127.0.0.1:2/once/x",
  expires_at: "2026-11-27T12:00:00.000Z",
};

/** The machine with in-memory actors, for unit tests of its rules. */
export function machineWith(
  overrides: {
    patHeld?: () => boolean;
    loadWorkflow?: (id: string) => Promise<WorkflowChoice>;
    create?: () => Promise<CreatedSubscription>;
    keys?: ApiKeyChoice[];
    taken?: string[];
  } = {},
) {
  return wizardMachine.provide({
    guards: { patHeld: overrides.patHeld ?? (() => false) },
    actors: {
      loadWorkflow: fromPromise(async ({ input }: { input: { workflowId: string } }) => {
        if (overrides.loadWorkflow) return overrides.loadWorkflow(input.workflowId);
        const found = [SAVED, DRAFT].find((w) => w.id === input.workflowId);
        if (!found) throw new WizardActorError("workflow_not_found", "no such workflow");
        return found;
      }),
      listWorkflows: fromPromise(async () => [SAVED, DRAFT]),
      listNames: fromPromise(async () => overrides.taken ?? ["existing-hook"]),
      listApiKeys: fromPromise(async () => overrides.keys ?? [VAULT_KEY, LEGACY_KEY]),
      createSubscription: fromPromise(async () =>
        overrides.create ? overrides.create() : CREATED,
      ),
      prepareReveal: fromPromise(async () => PAGE),
      waitForTest: fromPromise(async () => REJECTED_TEST),
      sendTest: fromPromise(async () => ACCEPTED_TEST),
    },
  });
}
