import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as ui from "@clack/prompts";
import { senderSample } from "../contract/workflow-input.js";
import { provideWizard } from "../wizard/host.js";
import { stepOf, type WizardEvent, type WizardSnapshot } from "../wizard/machine.js";
import { WizardService } from "../wizard/service.js";
import { describeStep, type StepView } from "../wizard/steps.js";
import { WizardStore } from "../wizard/store.js";
import type { Scalar } from "../wizard/types.js";
import { MemoryVault } from "../wizard/vaults.js";
import {
  BACKEND_FLAGS,
  backendFlags,
  defaultDataDir,
  parseCommandArgs,
  UsageError,
} from "./args.js";
import { openBackend } from "./backend.js";
import { sendTestDelivery, type TestDelivery } from "./test-delivery.js";

export const WIZARD_HELP = `Usage: agentruntime-webhooks wizard [options]

Walks you through creating an inbound webhook: pick a saved workflow, name the webhook,
choose an API key (or paste its PAT once), create it, see the signing secret once, and try
the curl test. In a terminal it asks; in scripts, give the answers as flags.

Answers:
  --workflow <id|name>         the saved workflow to start
  --sender <name>              who sends the events (for suggested names), e.g. Shopify
  --name <name>                the webhook's name
  --api-key <id|name>          the API key senders will use
  --paste-pat                  paste that key's PAT once even if it is in Vault; a PAT is
                               read from $AGENTRUNTIME_PASTE_PAT or, with --pat-stdin, stdin
  --pat-stdin                  read the PAT to paste from standard input
  --use-run-setup-defaults     merge the workflow's saved run setup defaults into the input
  --trigger-payload <k=v,...>  fixed input fields (a JSON object also works)
  --yes                        create without asking for confirmation
  --send-test / --no-send-test send a signed test request after creating (default: ask;
                               in scripts, send when the PAT is known)

Output and connection:
  --json                       print one JSON result on stdout (includes the signing secret,
                               once); progress goes to stderr
  --api-url <url>, --token <t> AgentRuntime to use (default $AGENTRUNTIME_API_URL and
                               $AGENTRUNTIME_TOKEN; without them, the embedded sandbox)
  --sandbox-db <path>          the embedded sandbox's database
  --wizard-db <path>           where the wizard's steps are kept (default <data folder>/wizards.db)
  -h, --help                   show this help
`;

type Io = { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; env: NodeJS.ProcessEnv };

interface Flags {
  workflow?: string | undefined;
  sender?: string | undefined;
  name?: string | undefined;
  apiKey?: string | undefined;
  pastePat: boolean;
  patStdin: boolean;
  useRunSetupDefaults: boolean;
  triggerPayload?: Record<string, Scalar> | undefined;
  yes: boolean;
  sendTest: boolean | undefined;
  json: boolean;
}

class WizardStop extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

function parseTriggerPayload(raw: string | undefined): Record<string, Scalar> | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === "") return {};
  if (text.startsWith("{")) {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
      throw new Error("not an object");
    return parsed as Record<string, Scalar>;
  }
  const entries = text.split(",").map((pair) => {
    const at = pair.indexOf("=");
    if (at < 1) throw new Error(`"${pair}" is not key=value`);
    return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()] as const;
  });
  return Object.fromEntries(entries);
}

/** Matches a flag value against option ids first, then labels (case ignored). */
function pick(view: StepView, action: string, wanted: string | undefined): string | undefined {
  if (wanted === undefined) return undefined;
  const options = view.answers.find((answer) => answer.action === action)?.options ?? [];
  const byId = options.find((option) => option.value === wanted);
  const byLabel = options.find((option) => option.label.toLowerCase() === wanted.toLowerCase());
  return (byId ?? byLabel)?.value;
}

function optionList(view: StepView, action: string): string {
  return (view.answers.find((answer) => answer.action === action)?.options ?? [])
    .map((option) => `${option.label} (${option.value})`)
    .join(", ");
}

/**
 * The guided setup in a terminal: the wizard machine, asked through prompts or answered by
 * flags. The signing secret is printed once, and kept in this process only to send the test.
 */
export async function runWizardCommand(argv: string[], io: Io): Promise<number | undefined> {
  const command = "wizard";
  const { values } = parseCommandArgs(command, argv, {
    workflow: { type: "string" },
    sender: { type: "string" },
    name: { type: "string" },
    "api-key": { type: "string" },
    "paste-pat": { type: "boolean" },
    "pat-stdin": { type: "boolean" },
    "use-run-setup-defaults": { type: "boolean" },
    "trigger-payload": { type: "string" },
    yes: { type: "boolean", short: "y" },
    "send-test": { type: "boolean" },
    "no-send-test": { type: "boolean" },
    json: { type: "boolean" },
    ...BACKEND_FLAGS,
    "wizard-db": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout.write(WIZARD_HELP);
    return 0;
  }
  let triggerPayload: Record<string, Scalar> | undefined;
  try {
    triggerPayload = parseTriggerPayload(values["trigger-payload"]);
  } catch (error) {
    throw new UsageError(
      `--trigger-payload must be key=value pairs separated by commas, or a JSON object (${(error as Error).message})`,
      command,
    );
  }
  const flags: Flags = {
    workflow: values.workflow,
    sender: values.sender,
    name: values.name,
    apiKey: values["api-key"],
    pastePat: values["paste-pat"] ?? false,
    patStdin: values["pat-stdin"] ?? false,
    useRunSetupDefaults: values["use-run-setup-defaults"] ?? false,
    triggerPayload,
    yes: values.yes ?? false,
    sendTest: values["send-test"] ? true : values["no-send-test"] ? false : undefined,
    json: values.json ?? false,
  };
  const interactive =
    Boolean(
      (process.stdin as { isTTY?: boolean }).isTTY && (io.stdout as { isTTY?: boolean }).isTTY,
    ) && !flags.json;
  const progress = (line: string) => {
    if (interactive) ui.log.info(line);
    else io.stderr.write(`${line}\n`);
  };
  if (flags.patStdin && interactive) {
    throw new UsageError(
      "--pat-stdin reads a piped PAT; in a terminal the guide asks for it instead",
      command,
    );
  }

  if (interactive) ui.intro("Inbound webhook setup");
  const backend = await openBackend(command, backendFlags(values), io.env, progress);
  const store = new WizardStore({
    path: values["wizard-db"] ?? join(defaultDataDir(io.env), "wizards.db"),
  });
  const pats = new MemoryVault(15 * 60 * 1000);
  const secrets = new MemoryVault(15 * 60 * 1000);
  let shownSecret: string | undefined;
  const service = new WizardService({
    machine: provideWizard({
      client: backend.client,
      pats,
      secrets,
      reveal: async (_input, secret) => {
        shownSecret = secret;
        return { kind: "local" };
      },
    }),
    store,
  });

  let exitCode = 0;
  let result: Record<string, unknown> = {};
  try {
    const started = await service.start({
      allowPick: true,
      ...(flags.sender ? { sender: flags.sender } : {}),
    });
    const id = started.id;
    let snapshot: WizardSnapshot = started.snapshot;
    let patSource: string | undefined;
    const send = async (event: WizardEvent, busy?: string): Promise<void> => {
      const spin = busy && interactive ? ui.spinner() : undefined;
      if (busy) {
        if (spin) spin.start(busy);
        else io.stderr.write(`${busy}\n`);
      }
      const outcome = await service.send(id, event);
      spin?.stop(busy?.replace(/…$/, ": done"));
      if (outcome.kind !== "accepted" && outcome.kind !== "refused")
        throw new WizardStop("The wizard was lost.", 1);
      snapshot = outcome.snapshot;
    };

    for (let guard = 0; guard < 100 && snapshot.status === "active"; guard += 1) {
      const view = describeStep(id, snapshot);
      const step = stepOf(snapshot);
      const problem = snapshot.context.problem;
      if (problem && interactive && step !== "createFailed" && step !== "unavailable")
        ui.log.warn(problem.message);
      switch (step) {
        case "choosingWorkflow": {
          let workflowId = pick(view, "pick_workflow", flags.workflow);
          if (flags.workflow && !workflowId) {
            throw new WizardStop(
              `--workflow "${flags.workflow}" is not a saved workflow here. Saved workflows: ${optionList(view, "pick_workflow")}.`,
              2,
            );
          }
          if (!workflowId && !interactive) {
            throw new WizardStop(
              `Say which workflow with --workflow. Saved workflows: ${optionList(view, "pick_workflow")}.`,
              2,
            );
          }
          workflowId ??= await ask(
            ui.select({
              message: "Which saved workflow should external events start?",
              options: (view.answers[0]?.options ?? []).map((option) => ({
                value: option.value,
                label: option.label,
              })),
            }),
          );
          await send({ type: "PICK_WORKFLOW", workflowId });
          flags.workflow = undefined;
          break;
        }
        case "naming": {
          const suggestion = view.answers[0]?.options?.[0]?.value;
          let name = flags.name;
          flags.name = undefined;
          if (name === undefined && !interactive)
            throw new WizardStop("Give the webhook a name with --name.", 2);
          name ??= await ask(
            ui.text({
              message: `Name this inbound webhook for "${snapshot.context.workflow?.name}"`,
              placeholder: suggestion,
              defaultValue: suggestion,
              validate: (value) => {
                const candidate = value?.trim() || suggestion || "";
                const event: WizardEvent = { type: "SET_NAME", name: candidate };
                if (snapshot.can(event)) return undefined;
                return snapshot.context.takenNames.some(
                  (n: string) => n.toLowerCase() === candidate.toLowerCase(),
                )
                  ? "That name is already used on this workflow."
                  : "Use 1 to 64 characters, without control characters.";
              },
            }),
          );
          const event: WizardEvent = { type: "SET_NAME", name: name.trim() || suggestion || "" };
          if (!snapshot.can(event)) {
            throw new WizardStop(
              `"${name}" cannot be the name: it must be 1 to 64 characters and not already used on this workflow.`,
              2,
            );
          }
          await send(event);
          break;
        }
        case "noKeys":
          throw new WizardStop(view.say, 1);
        case "choosingKey": {
          let keyId = pick(view, "choose_api_key", flags.apiKey);
          if (flags.apiKey && !keyId) {
            throw new WizardStop(
              `--api-key "${flags.apiKey}" is not an API key here. Keys: ${optionList(view, "choose_api_key")}.`,
              2,
            );
          }
          flags.apiKey = undefined;
          if (!keyId && !interactive)
            throw new WizardStop(
              `Say which API key with --api-key. Keys: ${optionList(view, "choose_api_key")}.`,
              2,
            );
          keyId ??= await ask(
            ui.select({
              message: "Which API key (PAT) will the sender use?",
              options: (view.answers[0]?.options ?? []).map((option) => ({
                value: option.value,
                label: option.label,
                hint: option.detail,
              })),
            }),
          );
          await send(
            flags.pastePat
              ? { type: "PASTE_INSTEAD", apiKeyId: keyId }
              : { type: "CHOOSE_KEY", apiKeyId: keyId },
          );
          break;
        }
        case "pastingPat": {
          const key = snapshot.context.apiKey;
          const tail = key?.hint.slice(-4) ?? "";
          // A refused PAT is an answer, not an outage: a script gets one request and exit 2.
          if (patSource && !interactive) {
            throw new WizardStop(
              `The PAT in ${patSource} is not the PAT of "${key?.name}" (AgentRuntime refused it): set it to the pat_… token of that key, which ends in ${tail}.`,
              2,
            );
          }
          let pat = flags.patStdin
            ? readFileSync(0, "utf8").trim()
            : patSource === undefined
              ? io.env.AGENTRUNTIME_PASTE_PAT?.trim()
              : undefined;
          if (pat) patSource = flags.patStdin ? "standard input" : "AGENTRUNTIME_PASTE_PAT";
          flags.patStdin = false;
          if (!pat && !interactive) {
            throw new WizardStop(
              `The key "${key?.name}" is not in Vault, so its PAT must be pasted once: set AGENTRUNTIME_PASTE_PAT or pipe it with --pat-stdin.`,
              2,
            );
          }
          pat ??= await ask(
            ui.password({
              message: `Paste the PAT of "${key?.name}" (ends in ${tail}); it is used once and not stored`,
              validate: (value) =>
                /^pat_[A-Za-z0-9_-]{16,}$/.test(value ?? "") && (value ?? "").endsWith(tail)
                  ? undefined
                  : `That is not the PAT of "${key?.name}" (it starts with pat_ and ends in ${tail}).`,
            }),
          );
          pats.put(id, pat);
          pat = undefined;
          await send({ type: "PAT_PASTED" });
          if (stepOf(snapshot) === "pastingPat") pats.clear();
          break;
        }
        case "extras": {
          let extras = {
            use_run_setup_defaults: flags.useRunSetupDefaults,
            trigger_payload: flags.triggerPayload ?? {},
          };
          if (interactive && !flags.useRunSetupDefaults && flags.triggerPayload === undefined) {
            const useDefaults = await ask(
              ui.confirm({
                message: "Merge the workflow's saved Run setup defaults into each run's input?",
                initialValue: false,
              }),
            );
            const fixed = await ask(
              ui.text({
                message:
                  "Input fields to fix for every run (key=value, comma separated; empty for none)",
                placeholder: "source=shopify",
                defaultValue: "",
                validate: (value) => {
                  try {
                    parseTriggerPayload(value ?? "");
                    return undefined;
                  } catch {
                    return "Write key=value pairs separated by commas.";
                  }
                },
              }),
            );
            extras = {
              use_run_setup_defaults: useDefaults,
              trigger_payload: parseTriggerPayload(fixed) ?? {},
            };
          }
          const event: WizardEvent =
            extras.use_run_setup_defaults || Object.keys(extras.trigger_payload).length > 0
              ? { type: "SET_EXTRAS", extras }
              : { type: "SKIP_EXTRAS" };
          if (!snapshot.can(event))
            throw new WizardStop(
              `--trigger-payload breaks the rules: ${view.answers[0]?.rules}.`,
              2,
            );
          await send(event);
          break;
        }
        case "confirming": {
          if (interactive) ui.note(summary(view), "About to create");
          const go =
            flags.yes ||
            (interactive && (await ask(ui.confirm({ message: "Create this inbound webhook?" }))));
          if (!go) {
            if (!interactive)
              throw new WizardStop(
                "Add --yes to create the webhook without a terminal to confirm in.",
                2,
              );
            await send({ type: "CANCEL" });
            break;
          }
          await send({ type: "CONFIRM" }, "Creating the inbound webhook…");
          break;
        }
        case "createFailed":
        case "unavailable": {
          const message = problem?.message ?? "AgentRuntime failed.";
          if (!interactive) throw new WizardStop(message, 1);
          ui.log.error(message);
          const choice = await ask(
            ui.select({
              message: "What now?",
              options: view.answers.map((answer) => ({
                value: answer.action,
                label: answer.label,
              })),
            }),
          );
          await send(
            choice === "retry"
              ? { type: "RETRY" }
              : choice === "back"
                ? { type: "BACK" }
                : { type: "CANCEL" },
            choice === "retry" ? "Trying again…" : undefined,
          );
          break;
        }
        case "awaitingReveal": {
          const subscription = snapshot.context.subscription;
          if (shownSecret && interactive) {
            ui.note(
              `${shownSecret}\n\nCopy it into your secrets manager now: it is not shown again.\nIngress URL: ${subscription?.ingress_url}`,
              "Signing secret (shown once)",
            );
          }
          result = { ...result, signing_secret: flags.json ? shownSecret : undefined };
          await send({ type: "SECRET_REVEALED" });
          break;
        }
        case "handingOver": {
          const context = snapshot.context;
          if (interactive) {
            // Printed bare, not in a box, so it can be copied and pasted as it is.
            ui.log.step(
              "Test it with curl: set AGENTRUNTIME_SIGNING_SECRET and AGENTRUNTIME_PAT, then run:",
            );
            io.stdout.write(`\n${context.curlTest ?? ""}\n`);
          }
          const test = await maybeSendTest({
            interactive,
            flags,
            io,
            context,
            secret: shownSecret,
            pat: testPat(backend.embedded, context.apiKey?.id, io.env),
            client: backend.client,
          });
          shownSecret = undefined;
          if (test) result = { ...result, test };
          await send({ type: "FINISH" });
          break;
        }
        default:
          throw new WizardStop(`The wizard stopped at an unexpected step (${step}).`, 1);
      }
    }

    const final = describeStep(id, snapshot);
    const subscription = snapshot.context.subscription;
    if (final.status === "cancelled" || !subscription) {
      const reason = snapshot.context.problem?.message ?? "Setup cancelled; nothing was created.";
      if (interactive) ui.cancel(reason);
      throw new WizardStop(
        reason,
        final.status === "cancelled" && !snapshot.context.problem ? 130 : 1,
      );
    }
    result = {
      wizard_id: id,
      subscription,
      curl_test: snapshot.context.curlTest,
      ...result,
    };
    if (flags.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else if (interactive) {
      ui.outro(`"${subscription.name}" is ready. Senders POST to ${subscription.ingress_url}`);
      if (backend.embedded) await keepSandboxRunning(backend.embedded.url, io);
    } else {
      io.stdout.write(`Created "${subscription.name}": ${subscription.ingress_url}\n`);
    }
  } catch (error) {
    if (!(error instanceof WizardStop)) throw error;
    if (!interactive || error.exitCode !== 130)
      io.stderr.write(`agentruntime-webhooks wizard: ${error.message}\n`);
    exitCode = error.exitCode;
  } finally {
    shownSecret = undefined;
    pats.clear();
    secrets.clear();
    service.stopAll();
    store.close();
    await backend.close();
  }
  return exitCode;
}

/** A prompt's answer, or a clean stop when the person pressed Ctrl+C or Esc. */
async function ask<T>(prompt: Promise<T>): Promise<Exclude<T, symbol>> {
  const answer = await prompt;
  if (ui.isCancel(answer)) throw new WizardStop("Setup cancelled; nothing was created.", 130);
  return answer as Exclude<T, symbol>;
}

function summary(view: StepView): string {
  const fields = view.card.fields;
  return [
    `Workflow:     ${fields.workflow}`,
    `Name:         ${fields.name}`,
    `API key:      ${fields.api_key}${fields.paste_pat ? " (PAT pasted once)" : ""}`,
    `Run setup defaults: ${fields.use_run_setup_defaults ? "merged" : "not merged"}`,
    `Fixed input:  ${fields.trigger_payload ?? "none"}`,
  ].join("\n");
}

/** The PAT for the test request: $AGENTRUNTIME_PAT, or the embedded sandbox's demo PAT. */
function testPat(
  embedded: { api_keys: { id: string; pat: string }[] } | undefined,
  keyId: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  return env.AGENTRUNTIME_PAT?.trim() || embedded?.api_keys.find((key) => key.id === keyId)?.pat;
}

async function maybeSendTest(options: {
  interactive: boolean;
  flags: Flags;
  io: Io;
  context: WizardSnapshot["context"];
  secret: string | undefined;
  pat: string | undefined;
  client: Parameters<typeof sendTestDelivery>[0];
}): Promise<TestDelivery | undefined> {
  const { interactive, flags, context, io } = options;
  if (flags.sendTest === false || !options.secret || !context.subscription) return undefined;
  let pat = options.pat;
  if (flags.sendTest === undefined && interactive) {
    const go = await ask(
      ui.confirm({ message: "Send a signed test request now and show the run it starts?" }),
    );
    if (!go) return undefined;
  }
  if (!pat && interactive) {
    pat = await ask(
      ui.password({
        message: `Paste the PAT of "${context.apiKey?.name}" to sign the test request (used once, not stored)`,
        validate: (value) =>
          /^pat_[A-Za-z0-9_-]{16,}$/.test(value ?? "") ? undefined : "That is not a PAT (pat_…).",
      }),
    );
  }
  if (!pat) {
    io.stderr.write(
      "No test request sent: set AGENTRUNTIME_PAT to the automation PAT to send one.\n",
    );
    return undefined;
  }
  const body = JSON.stringify(
    senderSample(
      context.workflow?.input_fields ?? [],
      context.workflow?.default_fields ?? [],
      context.extras,
    ),
  );
  const spin = interactive ? ui.spinner() : undefined;
  spin?.start("Sending a signed test request…");
  const test = await sendTestDelivery(options.client, {
    ingressUrl: context.subscription.ingress_url,
    body,
    secret: options.secret,
    pat,
  });
  spin?.stop(
    test.status === 202
      ? "The test request started a run"
      : `The test request was refused (${test.status})`,
  );
  if (interactive && test.run) {
    const steps = test.run.steps.map((step) => `  ${step.name}: ${step.output}`).join("\n");
    ui.note(
      `Run ${test.run.id}: ${test.run.status}\nInput the workflow received:\n${JSON.stringify(test.run.input, null, 2)}\n\nSteps:\n${steps}${test.run.error ? `\n${test.run.error}` : ""}`,
      "The run",
    );
  } else if (interactive) {
    ui.log.error(`AgentRuntime answered ${test.status} ${test.code ?? ""}`);
  }
  return test;
}

/** The embedded sandbox lives in this process; keep it up so the curl test can be run. */
async function keepSandboxRunning(url: string, io: Io): Promise<void> {
  io.stdout.write(
    `\nThe embedded sandbox keeps running at ${url} so you can run the curl test from another terminal.\nPress Ctrl+C to stop it.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
