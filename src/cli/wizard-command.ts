import { join } from "node:path";
import * as ui from "@clack/prompts";
import { openLocalSetupStore } from "../setup-store/sqlite.js";
import { provideWizard } from "../wizard/actors.js";
import { stepOf } from "../wizard/machine.js";
import { WizardService } from "../wizard/service.js";
import { MemoryVault } from "../wizard/vaults.js";
import { backendFlags, defaultDataDir, UsageError } from "./args.js";
import { type Backend, openBackend } from "./backend.js";
import { answersGiven, parseWizardFlags } from "./wizard/flags.js";
import { Guide, GuideStop, type Io, personLineOf, stopWords } from "./wizard/guide.js";
import { watchArrivals } from "./wizard/hand-over.js";
import { STEP_HANDLERS } from "./wizard/steps.js";
import { choose, Interrupted } from "./wizard/terminal.js";

export const WIZARD_HELP = `Usage: agentruntime-webhooks wizard [options]

Walks you through creating an inbound webhook: pick a saved workflow, name the webhook,
choose an API key (or paste its PAT once), create it, see the signing secret once, and try
the curl test. In a terminal it asks (with Back at every step and Change at the summary); in scripts, give
the answers as flags.

Exit codes: 0 created, 1 failed, 2 a missing or wrong answer, 130 stopped (Ctrl+C or Esc).

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
  --yes                        ask nothing that flags answered and no optional question:
                               no extras unless given, create without confirming, and send
                               the test when the PAT is known
  --send-test / --no-send-test send a signed test request after creating (default: ask;
                               in scripts, send when the PAT is known)

Output and connection:
  --json                       print one JSON result on stdout (includes the signing secret,
                               once); progress goes to stderr
  --api-url <url>, --token <t> AgentRuntime to use (default $AGENTRUNTIME_API_URL and
                               $AGENTRUNTIME_TOKEN; without them, the embedded sandbox)
  --sandbox-db <path>          the embedded sandbox's database
  --wizard-db <path>           where the wizard's steps are kept (default <data folder>/wizards.db);
                               in a terminal, an unfinished setup there is offered to continue
  -h, --help                   show this help
`;

/** Pasted PATs and unrevealed secrets live in memory no longer than this. */
const VAULT_TTL_MS = 15 * 60 * 1000;

/**
 * The guided setup in a terminal: the wizard machine, asked through prompts or answered by
 * flags. The signing secret is printed once, and kept in this process only to send the test.
 */
export async function runWizardCommand(argv: string[], io: Io): Promise<number | undefined> {
  const { flags, values, help } = parseWizardFlags(argv);
  if (help) {
    io.stdout.write(WIZARD_HELP);
    return 0;
  }
  const interactive =
    Boolean(
      (process.stdin as { isTTY?: boolean }).isTTY && (io.stdout as { isTTY?: boolean }).isTTY,
    ) && !flags.json;
  if (flags.patStdin && interactive) {
    throw new UsageError(
      "--pat-stdin reads a piped PAT; in a terminal the guide asks for it instead",
      "wizard",
    );
  }
  if (interactive) ui.intro("Inbound webhook setup");
  const say = (line: string) => (interactive ? ui.log.info(line) : io.stderr.write(`${line}\n`));
  const backend = await openBackend("wizard", backendFlags(values), io.env, say);
  const { store, setups } = await openLocalSetupStore(
    flags.wizardDb ?? join(defaultDataDir(io.env), "wizards.db"),
  );
  const pats = new MemoryVault(VAULT_TTL_MS);
  const secrets = new MemoryVault(VAULT_TTL_MS);
  let guide: Guide | undefined;
  const service = new WizardService({
    machine: provideWizard({
      client: backend.client,
      pats,
      secrets,
      reveal: async (_input, secret) => {
        if (guide) guide.secret = secret;
        return { kind: "local" };
      },
    }),
    setups,
  });
  const onSignal = () => guide?.interrupt();
  process.on("SIGINT", onSignal);
  try {
    guide = await openGuide({ service, setups, pats, backend, flags, io, interactive });
    return await runGuide(guide, backend);
  } catch (error) {
    if (error instanceof Interrupted) return stopped(guide, io, interactive);
    if (!(error instanceof GuideStop)) throw error;
    io.stderr.write(`agentruntime-webhooks wizard: ${error.message}\n`);
    return error.exitCode;
  } finally {
    process.off("SIGINT", onSignal);
    if (guide) guide.secret = undefined;
    pats.clear();
    secrets.clear();
    service.stopAll();
    // A step taken as Ctrl+C came in is stored, so a restart offers to continue from it.
    await service.flush().catch(() => {});
    await store.close();
    await backend.close();
  }
}

type GuideDeps = Guide["deps"];

/** A new setup, or (in a terminal, asked) the unfinished one this data folder's guide left. */
async function openGuide(deps: GuideDeps): Promise<Guide> {
  const { service, setups, flags, interactive } = deps;
  const unfinished =
    interactive && !answersGiven(flags) ? await Guide.unfinished(setups) : undefined;
  if (unfinished) {
    const found = await service.get(unfinished);
    if (found.kind === "accepted" && found.snapshot.status === "active") {
      const context = found.snapshot.context;
      const what = [context.workflow?.name, context.name].filter(Boolean).join(", ");
      const choice = await choose(
        `An unfinished setup${what ? ` (${what})` : ""} stopped at: ${personLineOf(unfinished, found.snapshot)}`,
        [
          { value: "continue", label: "Continue where it stopped" },
          { value: "fresh", label: "Start fresh" },
        ],
      );
      if (choice === "continue") return new Guide(unfinished, found.snapshot, deps);
      await service.send(unfinished, { type: "CANCEL" });
    }
  }
  const started = await service.start({
    allowPick: true,
    ...(flags.sender ? { sender: flags.sender } : {}),
  });
  return new Guide(started.id, started.snapshot, deps);
}

/** Asks step by step until the setup ends; then prints the result. */
async function runGuide(guide: Guide, backend: Backend): Promise<number> {
  if (guide.interactive) await guide.remember();
  for (let turn = 0; turn < 200 && guide.snapshot.status === "active"; turn += 1) {
    const view = guide.view();
    const problem = guide.snapshot.context.problem;
    if (problem && guide.interactive && view.step !== "createFailed" && view.step !== "unavailable")
      guide.warn(problem.message);
    await STEP_HANDLERS[stepOf(guide.snapshot)](guide, view);
  }
  if (guide.interactive) await guide.forget();
  const subscription = guide.snapshot.context.subscription;
  if (guide.view().status === "cancelled" || !subscription) {
    const reason = guide.snapshot.context.problem?.message;
    if (guide.interactive) ui.cancel(reason ?? "Setup cancelled; nothing was created.");
    if (reason) throw new GuideStop(reason, 1);
    if (!guide.interactive)
      guide.io.stderr.write(
        "agentruntime-webhooks wizard: Setup cancelled; nothing was created.\n",
      );
    return 130;
  }
  return finished(guide, backend, subscription);
}

async function finished(
  guide: Guide,
  backend: Backend,
  subscription: NonNullable<Guide["snapshot"]["context"]["subscription"]>,
): Promise<number> {
  const { io, flags } = guide;
  const current = await backend.client.inboundWebhooks
    .get(subscription.id)
    .catch(() => subscription);
  const result = {
    wizard_id: guide.id,
    subscription: { ...subscription, ingress_url: current.ingress_url },
    curl_test: guide
      .view()
      .card.curl_test?.replaceAll(subscription.ingress_url, current.ingress_url),
    ...guide.result,
  };
  if (flags.json) io.stdout.write(`${JSON.stringify(result)}\n`);
  else if (guide.interactive) {
    ui.outro(`"${subscription.name}" is ready. Senders POST to the ingress URL above.`);
    if (backend.embedded) await keepSandboxRunning(guide, backend.embedded.url);
  } else {
    io.stdout.write(`Created "${subscription.name}": ${current.ingress_url}\n`);
  }
  return 0;
}

/** Ctrl+C or Esc: say what happened and what the person holds; the setup can be continued. */
function stopped(guide: Guide | undefined, io: Io, interactive: boolean): number {
  const words = guide ? stopWords(guide) : "Stopped: nothing was created.";
  if (interactive) ui.cancel(words);
  else io.stderr.write(`agentruntime-webhooks wizard: ${words}\n`);
  return 130;
}

/** The embedded sandbox lives in this process; keep it up (showing arrivals) until Ctrl+C. */
async function keepSandboxRunning(guide: Guide, url: string): Promise<void> {
  guide.io.stdout.write(
    `\nThe embedded sandbox keeps running at ${url} so you can run the curl test from another terminal; each request that reaches the webhook is shown here.\nPress Ctrl+C to stop it.\n`,
  );
  const stopped = new AbortController();
  const stop = () => stopped.abort();
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  try {
    await watchArrivals(guide, stopped.signal);
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}
