import type { WorkflowStep } from "../contract/schemas.js";
import type { Role, SandboxDatabase } from "./database.js";
import { hashToken, hintOf, newId, newToken } from "./secrets.js";

interface DemoWorkflow {
  name: string;
  status: "saved" | "draft";
  run_setup_defaults: Record<string, unknown>;
  steps: WorkflowStep[];
}

const DEMO_WORKFLOWS: readonly DemoWorkflow[] = [
  {
    name: "Weekly report",
    status: "saved",
    run_setup_defaults: {},
    steps: [
      {
        name: "Build report",
        template: "Report for week {{input.week}}",
        required_input: [],
        input_types: { week: "integer" },
      },
    ],
  },
  {
    name: "Fulfil Shopify order",
    status: "saved",
    run_setup_defaults: { warehouse: "berlin-1", priority: "normal" },
    steps: [
      {
        name: "Validate order",
        template: "Order {{input.order_id}} accepted",
        required_input: ["order_id"],
      },
      {
        name: "Reserve stock",
        template: "Reserve {{input.quantity}} x {{input.sku}} in {{input.warehouse}}",
        required_input: [],
        input_types: { quantity: "integer" },
      },
      {
        name: "Notify customer",
        template:
          "Email {{input.customer.email}} (priority {{input.priority}}, from {{input.source}})",
        required_input: [],
        input_types: { "customer.email": "email" },
      },
    ],
  },
  {
    name: "Lead routing (draft)",
    status: "draft",
    run_setup_defaults: {},
    steps: [{ name: "Route lead", template: "Route {{input.lead_id}}", required_input: [] }],
  },
];

const DEMO_USERS: readonly { name: string; role: Role; credential: string }[] = [
  { name: "Dana (contributor)", role: "project_contributor", credential: "token:contributor" },
  { name: "Val (viewer)", role: "project_viewer", credential: "token:viewer" },
];

const DEMO_KEYS: readonly { name: string; inVault: boolean }[] = [
  { name: "Legacy CI key (not in Vault)", inVault: false },
  { name: "Automation key", inVault: true },
];

/**
 * Fills a new database: one project, a contributor and a viewer, and with `demo` also
 * two saved workflows and a draft, a PAT in the vault and a legacy PAT that is not.
 * Plaintext tokens and PATs are kept sealed so every start-up can print them again.
 */
export function seedDatabase(store: SandboxDatabase, kind: "demo" | "none", now: string): void {
  store.transaction(() => {
    const projectId = newId();
    const db = store.db;
    db.prepare("INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)").run(
      projectId,
      "Demo project",
      now,
    );
    for (const user of DEMO_USERS) {
      const token = newToken("usr_");
      db.prepare(
        "INSERT INTO users (id, project_id, name, role, token_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      ).run(newId(), projectId, user.name, user.role, hashToken(token), now);
      store.putCredential(user.credential, token);
    }
    if (kind === "none") return;
    for (const workflow of DEMO_WORKFLOWS) {
      db.prepare(
        `INSERT INTO workflows (id, project_id, name, status, run_setup_defaults, steps, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        newId(),
        projectId,
        workflow.name,
        workflow.status,
        JSON.stringify(workflow.run_setup_defaults),
        JSON.stringify(workflow.steps),
        now,
      );
    }
    for (const key of DEMO_KEYS) {
      const id = newId();
      const pat = newToken("pat_");
      db.prepare(
        `INSERT INTO api_keys (id, project_id, name, hint, token_hash, vault_secret, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        id,
        projectId,
        key.name,
        hintOf(pat, "pat_…"),
        hashToken(pat),
        key.inVault ? store.seal(pat) : null,
        now,
      );
      store.putCredential(`pat:${id}`, pat);
    }
  });
}
