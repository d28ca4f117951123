import type { WizardStep } from "./machine.js";

/**
 * What a person reads at each step (the card's heading, the demo's and the terminal's line),
 * apart from the instruction a model reads in prompts/wizard/<step>.md. Written to the person,
 * with no tool, action or step names. A table by step, so a new step is a type error here.
 */
export const PERSON_LINES: Record<WizardStep, string> = {
  start: "Starting the setup…",
  loadingWorkflow: "Checking the workflow open in Workflow Studio…",
  loadingWorkflows: "Loading your workflows…",
  choosingWorkflow: "Which workflow should outside events start?",
  loadingNames: 'Loading the names already used on "{{workflow_name}}"…',
  naming: "Name this inbound webhook",
  loadingKeys: "Loading the project's API keys…",
  noKeys: "This project has no API key yet. Create one under Settings → API keys, then look again.",
  choosingKey: "Which API key will the sender use?",
  pastingPat:
    'Paste the PAT of "{{api_key_name}}" ({{api_key_hint}}) on the private page, never in the chat.',
  extras: "Anything to add to every run? Most people skip this.",
  confirming: "Create this inbound webhook?",
  createFailed:
    "The inbound webhook was not created. Nothing was lost: try again (it never creates a second one), go back, or cancel.",
  unavailable: "AgentRuntime could not be reached. Try again when it is back.",
  creating: "Creating the inbound webhook…",
  revealing: "Preparing the private page for the signing secret…",
  awaitingReveal:
    "Copy the signing secret from the private page into your secrets manager: it is shown once.",
  handingOver: "Test it with curl",
  waitingForTest: "Waiting for your test request…",
  sendingTest: "Sending a signed test request…",
  testReported: "{{test_report}}",
  done: 'All set: "{{name}}" starts "{{workflow_name}}" for every signed request.',
  cancelled: "Setup cancelled: nothing more will be created.",
};
