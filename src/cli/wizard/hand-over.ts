import * as ui from "@clack/prompts";
import { waitForNextDelivery } from "../../client/deliveries.js";
import { deliveryReport } from "../../handoff/delivery-fixes.js";
import { cleanLine, unmarkForPerson } from "../../untrusted/mark.js";
import { patShapeProblem } from "../../untrusted/secret-shapes.js";
import { curlTestFor, testBodyFor } from "../../wizard/machine.js";
import type { StepView } from "../../wizard/steps.js";
import type { TestReport } from "../../wizard/types.js";
import { reportOfTest, sendTestDelivery, type TestDelivery } from "../test-delivery.js";
import type { Guide } from "./guide.js";
import { ask, choose, printCopyable } from "./terminal.js";

/** The secret is printed bare, once; after a restart it is prepared again (still once). */
export async function reveal(guide: Guide, _view: StepView): Promise<void> {
  if (!guide.secret) {
    return guide.send(
      { type: "REVEAL_AGAIN" },
      {
        doing: "Preparing the signing secret…",
        outcome: (step) =>
          step === "awaitingReveal" ? "Signing secret ready" : "The signing secret is lost",
      },
    );
  }
  if (guide.flags.json) guide.result.signing_secret = guide.secret;
  else if (guide.interactive) {
    printCopyable(
      guide.io.stdout,
      "Signing secret (shown once; copy it into your secrets manager now):",
      guide.secret,
    );
  }
  guide.secretShown = guide.flags.json || guide.interactive;
  await guide.send({ type: "SECRET_REVEALED" });
}

/** AgentRuntime's ingress URL for the webhook now, falling back to the one from create. */
async function currentIngressUrl(guide: Guide): Promise<string> {
  const subscription = guide.snapshot.context.subscription;
  if (!subscription) return "";
  try {
    return (await guide.deps.backend.client.inboundWebhooks.get(subscription.id)).ingress_url;
  } catch {
    return subscription.ingress_url;
  }
}

/** Prints the ingress URL and the curl test once, each on lines of its own. */
async function printHandOver(guide: Guide): Promise<void> {
  if (guide.handedOver || !guide.interactive) return;
  guide.handedOver = true;
  const context = guide.snapshot.context;
  if (context.secretLost && context.problem) guide.warn(context.problem.message);
  const ingressUrl = await currentIngressUrl(guide);
  printCopyable(guide.io.stdout, "Ingress URL (senders POST here):", ingressUrl);
  const demoPat = sandboxPat(guide);
  if (demoPat) {
    printCopyable(
      guide.io.stdout,
      `AGENTRUNTIME_PAT, the PAT of "${context.apiKey?.name}" (shown because this is a local sandbox):`,
      demoPat,
    );
  }
  printCopyable(
    guide.io.stdout,
    "Test it with curl: set AGENTRUNTIME_SIGNING_SECRET and AGENTRUNTIME_PAT, then run:",
    curlTestFor(context, ingressUrl),
  );
}

/**
 * The chosen key's demo PAT, known only on the local sandbox (started here or found running
 * on this data folder); against any other AgentRuntime there is none.
 */
function sandboxPat(guide: Guide): string | undefined {
  const keyId = guide.snapshot.context.apiKey?.id;
  return guide.deps.backend.sandbox?.api_keys.find((key) => key.id === keyId)?.pat || undefined;
}

/** The PAT for a test request: pasted in this run, $AGENTRUNTIME_PAT, or the demo key's. */
function knownPat(guide: Guide): string | undefined {
  return guide.pastedPat ?? (guide.io.env.AGENTRUNTIME_PAT?.trim() || sandboxPat(guide));
}

/**
 * The last step: in a terminal, wait for the person's own curl test, send a signed one, or
 * finish; with flags (or `--yes`), send the test when asked or when the PAT is known.
 */
export async function handOver(guide: Guide, _view: StepView): Promise<void> {
  await printHandOver(guide);
  if (!guide.interactive || guide.flags.yes || guide.flags.sendTest !== undefined) {
    if (guide.flags.sendTest !== false) await signedTest(guide);
    return finish(guide);
  }
  const canSign = Boolean(guide.secret);
  const choice = await choose("What next?", [
    {
      value: "wait",
      label: "Wait for my own curl test (up to 45 s)",
    },
    ...(canSign ? [{ value: "send", label: "Send a signed test request now" }] : []),
    { value: "finish", label: "Finish" },
  ]);
  if (choice === "wait") {
    return guide.send(
      { type: "WAIT_FOR_TEST" },
      { doing: "Waiting for your curl test…", outcome: () => "Waited for your curl test" },
    );
  }
  if (choice === "send") {
    await signedTest(guide);
    return;
  }
  await finish(guide);
}

async function finish(guide: Guide): Promise<void> {
  guide.secret = undefined;
  guide.pastedPat = undefined;
  await guide.send({ type: "FINISH" });
}

/** Signs and sends one test request with the secret and PAT held in this process. */
async function signedTest(guide: Guide): Promise<void> {
  const context = guide.snapshot.context;
  const secret = guide.secret;
  if (!secret || !context.subscription) return;
  let pat = knownPat(guide);
  if (!pat && guide.interactive) {
    pat = await ask(
      ui.password({
        message: `Paste the PAT of "${context.apiKey?.name}" to sign the test request (used once, not stored)`,
        validate: (value) => patShapeProblem(value ?? ""),
      }),
    );
  }
  if (!pat) {
    guide.io.stderr.write(
      "No test request sent: set AGENTRUNTIME_PAT to the automation PAT to send one.\n",
    );
    return;
  }
  const spin = guide.interactive ? ui.spinner() : undefined;
  spin?.start("Sending a signed test request…");
  const test = await sendTestDelivery(guide.deps.backend.client, {
    ingressUrl: await currentIngressUrl(guide),
    body: testBodyFor(context),
    secret,
    pat,
  });
  spin?.stop(
    test.status === 202
      ? "The test request started a run"
      : `The test request was refused (${test.status})`,
  );
  guide.result.test = test;
  if (guide.interactive) showDelivery(test);
  // Recorded as this setup's latest news, so no wait or watch after it reports older requests.
  await guide.send({ type: "TEST_SENT", report: reportOfTest(test) });
  guide.reportShown = guide.snapshot.context.lastTest;
}

/** A run as the person reads it: the input the workflow received and what each step did. */
function runNote(
  run: { id: string; status: string; input: unknown; error: string | null },
  steps: string[],
): string {
  const lines = steps.map((step) => `  ${step}`).join("\n");
  // A report a model also reads carries marks; the person sees the text as it was sent.
  return unmarkForPerson(
    `Run ${run.id}: ${run.status}\nInput the workflow received:\n${JSON.stringify(run.input, null, 2)}\n\nSteps:\n${lines}${run.error ? `\n${cleanLine(run.error, 400)}` : ""}`,
  );
}

function showDelivery(test: TestDelivery): void {
  if (test.run) {
    const steps = test.run.steps.map((step) => cleanLine(`${step.name}: ${step.output}`, 400));
    ui.note(runNote(test.run, steps), "The run");
  } else ui.log.error(`AgentRuntime answered ${test.status} ${test.code ?? ""}`);
}

/** The person's own test as it arrived (once): accepted with its run, or rejected with the fix. */
export function showTestReport(guide: Guide): void {
  if (!guide.interactive) return;
  const context = guide.snapshot.context;
  const test = context.lastTest;
  if (test !== null && test === guide.reportShown) return;
  guide.reportShown = test;
  if (!test) {
    guide.warn(`The test could not be watched: ${context.problem?.message ?? "unknown error"}`);
    return;
  }
  showReport(guide, test);
}

/**
 * While the embedded sandbox is kept up after the setup, every request that reaches the
 * webhook is shown as it arrives, until `signal` (Ctrl+C) ends the wait.
 */
export async function watchArrivals(guide: Guide, signal: AbortSignal): Promise<void> {
  const subscription = guide.snapshot.context.subscription;
  if (!subscription) return;
  // Every delivery to this webhook came from this setup; those already shown are not news.
  let afterId: string | null = guide.snapshot.context.lastDeliveryId;
  while (!signal.aborted) {
    const next = await waitForNextDelivery(guide.deps.backend.client, subscription.id, {
      afterId,
      timeoutMs: 60_000,
      signal,
    }).catch(() => null);
    if (signal.aborted) return;
    if (!next) continue;
    afterId = next.delivery.id;
    showReport(guide, deliveryReport(next.delivery, next.run, "person"));
  }
}

function showReport(guide: Guide, test: TestReport): void {
  if (test.timed_out) {
    guide.warn("No test request arrived in time.");
    return;
  }
  if (test.accepted && test.run) {
    ui.log.success(`Your test request was accepted (${test.status}).`);
    ui.note(runNote(test.run, test.run.steps), "The run");
    return;
  }
  ui.log.error(`Your test request was rejected: ${test.status} ${test.reason}.`);
  ui.log.info(`Fix: ${test.fix}`);
}
