import type { Subscription, Workflow } from "../contract/schemas.js";
import {
  inputFieldsOf,
  inputTypesOf,
  sampleBody,
  suppliedFields,
} from "../contract/workflow-input.js";
import { buildArgvSafeCurl } from "../signing/curl.js";
import { markdownLine, markUntrusted } from "../untrusted/mark.js";

/** Who reads the guide: a model (names marked as untrusted) or a person (names as Markdown text). */
type GuideReader = "model" | "person";

/** How a dotted field is sent, shown with the first one the workflow reads. */
function nesting(fields: readonly string[]): string {
  const dotted = fields.find((field) => field.includes("."));
  if (!dotted) return "";
  const nested = dotted.split(".").reduceRight((inner, part) => `{"${part}": ${inner}}`, "…");
  return `; a dotted field is a nested object (\`${dotted}\` is \`${nested}\`)`;
}

/**
 * A short Markdown document for the team that will send the webhooks: where to POST, which
 * headers, the signing recipe in curl, Node and Python, a sample body, and the rotation
 * policy. It names the secret and the PAT only by environment variable and hint.
 */
export function buildSenderGuide(
  subscription: Subscription,
  workflow: Workflow,
  reader: GuideReader,
): string {
  const fixed = suppliedFields(subscription.extras, Object.keys(workflow.run_setup_defaults));
  const types = inputTypesOf(workflow);
  const sample = sampleBody(inputFieldsOf(workflow), fixed, types);
  const body = JSON.stringify(sample);
  const url = subscription.ingress_url;
  const fields = inputFieldsOf(workflow).filter(
    (field) => !fixed.includes(field.split(".")[0] as string),
  );
  // Names are typed by people: marked for a model, escaped for a person's Markdown.
  const shown = reader === "model" ? markUntrusted : markdownLine;
  const name = shown(subscription.name);
  const workflowName = shown(workflow.name);
  const overlap = subscription.previous_secret_expires_at
    ? `A rotation is under way: the previous secret still verifies until ${subscription.previous_secret_expires_at}; switch to the new one before then.`
    : "No rotation is under way.";
  return `# Sending events to "${name}"

Each request starts a run of the AgentRuntime workflow "${workflowName}", with the JSON body as its input.

## Where and how

- **POST** \`${url}\`
- Body: a JSON object, UTF-8, at most 1 MiB${nesting(fields)}. The workflow reads ${fields.length ? fields.map((f) => `\`${f}\` (${types[f] ?? "string"})`).join(", ") : "no particular fields"}.

| header | value |
|---|---|
| \`Content-Type\` | \`application/json\` |
| \`Authorization\` | \`Bearer <automation PAT>\`: the API key ending in \`${subscription.automation_pat_hint.slice(-4)}\` |
| \`X-Agentruntime-Signature\` | \`sha256=\` + the lowercase hex HMAC-SHA256 of the **raw body bytes**, keyed with the signing secret (ends in \`${subscription.signing_secret_hint.slice(-4)}\`) |

Sign exactly the bytes you send: serialize the body once, sign it, and send those bytes. Other spacing, a re-serialized body or a trailing newline do not verify.
Keep the signing secret and the PAT in a secrets manager; the recipes below read them from \`AGENTRUNTIME_SIGNING_SECRET\` and \`AGENTRUNTIME_PAT\`.

## Sample body

\`\`\`json
${JSON.stringify(sample, null, 2)}
\`\`\`

## curl

For bash, curl 7.55 or newer and python3. The signature is Python's \`hmac\`, reading the secret from the environment. Unlike the shorter curl test the setup shows, this recipe also keeps the PAT out of curl's arguments (which other users of the machine can see with \`ps\`): curl reads the Authorization header from a file descriptor.

\`\`\`bash
${buildArgvSafeCurl({ ingressUrl: url, body }).trimEnd()}
\`\`\`

## Node.js (18 or newer)

\`\`\`js
import { createHmac } from "node:crypto";

const body = JSON.stringify(${JSON.stringify(sample)});
const signature =
  "sha256=" + createHmac("sha256", process.env.AGENTRUNTIME_SIGNING_SECRET).update(body, "utf8").digest("hex");
const response = await fetch(${JSON.stringify(url)}, {
  method: "POST",
  headers: {
    "Content-Type": "application/json",
    Authorization: \`Bearer \${process.env.AGENTRUNTIME_PAT}\`,
    "X-Agentruntime-Signature": signature,
  },
  body,
});
console.log(response.status, await response.text());
\`\`\`

## Python (standard library)

\`\`\`python
import hashlib, hmac, json, os, urllib.request

body = json.dumps(${JSON.stringify(sample)}, separators=(",", ":")).encode("utf-8")
signature = "sha256=" + hmac.new(os.environ["AGENTRUNTIME_SIGNING_SECRET"].encode(), body, hashlib.sha256).hexdigest()
request = urllib.request.Request(
    ${JSON.stringify(url)},
    data=body,
    method="POST",
    headers={
        "Content-Type": "application/json",
        "Authorization": "Bearer " + os.environ["AGENTRUNTIME_PAT"],
        "X-Agentruntime-Signature": signature,
    },
)
with urllib.request.urlopen(request) as response:
    print(response.status, response.read().decode())
\`\`\`

## Answers

| status | meaning | what to do |
|---|---|---|
| 202 | accepted: \`{"run_id", "delivery_id"}\` | nothing |
| 400 / 422 | the body is not JSON (a byte order mark counts), nests deeper than 64 levels (\`json_too_deep\`), or is not a JSON object | send one JSON object (nested objects are fine, up to 64 levels), UTF-8 without a BOM |
| 408 \`request_timeout\` | the body did not arrive within 10 seconds | send the whole body at once |
| 401 \`invalid_automation_token\` | wrong or missing PAT | send the PAT above as a Bearer token |
| 401 \`invalid_signature\` | the signature does not match the body | sign the exact bytes sent; ask the webhook's owner to run the signature doctor |
| 404 | no such webhook | check the URL |
| 413 / 415 | body too large, or not \`application/json\` | fix the request |
| 503 \`subscription_paused\` | paused by its owner | retry after the \`Retry-After\` seconds |

Every answer carries an \`X-Delivery-Id\` header: quote it when asking for help.

## Secret rotation

The owner can rotate the signing secret with an overlap: for the overlap they choose (an hour, say), both the previous and the new secret verify, so switch to the new secret within that window; after it, only the new one does. ${overlap}
`;
}
