import { request } from "node:http";
import { signBody } from "../../src/signing/signature.js";

/** What the bad requests are aimed at: a live webhook, a paused one and a deleted one. */
export interface IngressTargets {
  base: string;
  live: { url: string; secret: string; pat: string };
  paused: { url: string; secret: string; pat: string };
  deletedUrl: string;
  /** A PAT of the same project that is not the live webhook's. */
  otherPat: string;
  /** A user token, which is not an automation PAT. */
  userToken: string;
  /** The sandbox's largest accepted body. */
  maxBodyBytes: number;
}

/** One raw HTTP request, as bytes on the wire allow and fetch would not send. */
export interface RawIngressRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  body: Buffer;
  /** Send only this many body bytes, then wait: a sender that stalls. */
  stallAfter?: number;
}

/** What came back, and the delivery it names. */
export interface RawAnswer {
  status: number;
  code: string | undefined;
  deliveryId: string | undefined;
}

/** One kind of bad input: how to build it and the answer the contract requires. */
export interface BadIngress {
  name: string;
  status: number;
  code: string;
  /** False when the attempt names no subscription: then it is counted, not stored. */
  stored: boolean;
  build(targets: IngressTargets): RawIngressRequest;
}

const JSON_TYPE = { "content-type": "application/json" };

/** A request to the live webhook that a good sender would send, with parts replaced. */
function good(
  targets: IngressTargets,
  body: Buffer | string,
  change: {
    headers?: Record<string, string | string[] | undefined>;
    method?: string;
    url?: string;
  } = {},
): RawIngressRequest {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8");
  const headers: Record<string, string | string[]> = {};
  const all = {
    ...JSON_TYPE,
    authorization: `Bearer ${targets.live.pat}`,
    "x-agentruntime-signature": signBody(bytes, targets.live.secret),
    ...change.headers,
  };
  for (const [name, value] of Object.entries(all)) if (value !== undefined) headers[name] = value;
  return {
    method: change.method ?? "POST",
    url: change.url ?? targets.live.url,
    headers,
    body: bytes,
  };
}

const signedBad = (
  name: string,
  status: number,
  code: string,
  body: Buffer | string,
): BadIngress => ({
  name,
  status,
  code,
  stored: true,
  build: (targets) => good(targets, body),
});

const wrongMethods = [
  "PUT",
  "OPTIONS",
  "PROPFIND",
  "MKCOL",
  "COPY",
  "MOVE",
  "LOCK",
  "REPORT",
  "SEARCH",
  "PURGE",
  "LINK",
].map(
  (method): BadIngress => ({
    name: `method ${method}`,
    status: 405,
    code: "method_not_allowed",
    stored: true,
    build: (targets) => good(targets, "{}", { method }),
  }),
);

const tooLarge: BadIngress[] = [
  {
    name: "Content-Length over the limit",
    status: 413,
    code: "payload_too_large",
    stored: true,
    build: (targets) => good(targets, Buffer.alloc(targets.maxBodyBytes + 1, 0x20)),
  },
  {
    name: "chunked body over the limit",
    status: 413,
    code: "payload_too_large",
    stored: true,
    build: (targets) => {
      const sent = good(targets, Buffer.alloc(targets.maxBodyBytes * 2, 0x20));
      return { ...sent, headers: { ...sent.headers, "transfer-encoding": "chunked" } };
    },
  },
  {
    name: "a large JSON string",
    status: 413,
    code: "payload_too_large",
    stored: true,
    build: (targets) => good(targets, JSON.stringify({ a: "x".repeat(targets.maxBodyBytes) })),
  },
];

const badMediaTypes = [
  ["no Content-Type", undefined],
  ["text/plain", "text/plain"],
  ["application/xml", "application/xml"],
  ["form encoded", "application/x-www-form-urlencoded"],
  ["multipart", "multipart/form-data; boundary=x"],
  ["text/json", "text/json"],
  ["latin-1 charset", "application/json; charset=iso-8859-1"],
  ["UTF-16 charset", "application/json; charset=utf-16"],
  ["application/json+evil", "application/json+evil"],
  ["application/jsonx", "application/jsonx"],
  ["empty Content-Type", ""],
].map(
  ([name, type]): BadIngress => ({
    name: `media type: ${name}`,
    status: 415,
    code: "unsupported_media_type",
    stored: true,
    build: (targets) => good(targets, "{}", { headers: { "content-type": type } }),
  }),
);
const encodings = ["gzip", "identity", "br"].map(
  (encoding): BadIngress => ({
    name: `Content-Encoding ${encoding}`,
    status: 415,
    code: "unsupported_media_type",
    stored: true,
    build: (targets) => good(targets, "{}", { headers: { "content-encoding": encoding } }),
  }),
);

const noSubscription: BadIngress[] = [
  ["an unknown UUID", () => "6f1c8a50-8f2e-4c1e-9d8a-1b2c3d4e5f60"],
  ["the nil UUID", () => "00000000-0000-0000-0000-000000000000"],
  ["not a UUID", () => "not-a-uuid"],
  ["a 12 KB id", () => "x".repeat(12_000)],
  ["a broken percent-encoding", () => "%E0%A4%A"],
  ["an encoded NUL", () => "%00"],
  ["an encoded slash", () => "a%2Fb"],
  ["a UUID with a space", () => "6f1c8a50-8f2e-4c1e-9d8a-1b2c3d4e5f60%20"],
  ["an SQL fragment", () => "'%20OR%201=1--"],
].map(
  ([name, id]): BadIngress => ({
    name: `no subscription: ${name as string}`,
    status: 404,
    code: "not_found",
    stored: false,
    build: (targets) =>
      good(targets, "{}", { url: `${targets.base}/v1/inbound-webhooks/${(id as () => string)()}` }),
  }),
);
noSubscription.push({
  name: "no subscription: a deleted webhook",
  status: 404,
  code: "not_found",
  stored: false,
  build: (targets) => good(targets, "{}", { url: targets.deletedUrl }),
});

const badBearers: BadIngress[] = [
  ["no Authorization", undefined],
  ["an empty Bearer", "Bearer "],
  ["Basic credentials", "Basic dXNlcjpwYXNz"],
  ["another PAT of the project", (t: IngressTargets) => `Bearer ${t.otherPat}`],
  ["a user token", (t: IngressTargets) => `Bearer ${t.userToken}`],
  ["the PAT with a suffix", (t: IngressTargets) => `Bearer ${t.live.pat}x`],
  ["the PAT cut short", (t: IngressTargets) => `Bearer ${t.live.pat.slice(0, -1)}`],
  ["two spaces after Bearer", (t: IngressTargets) => `Bearer  ${t.live.pat}`],
  ["the PAT without Bearer", (t: IngressTargets) => t.live.pat],
  ["the PAT twice", (t: IngressTargets) => [`Bearer ${t.live.pat}`, `Bearer ${t.live.pat}`]],
  ["a Token scheme", (t: IngressTargets) => `Token ${t.live.pat}`],
].map(
  ([name, value]): BadIngress => ({
    name: `bearer: ${name as string}`,
    status: 401,
    code: "invalid_automation_token",
    stored: true,
    build: (targets) =>
      good(targets, "{}", {
        headers: {
          authorization:
            typeof value === "function" ? value(targets) : (value as string | undefined),
        },
      }),
  }),
);

const body = Buffer.from('{"order_id":"1"}');
const badSignatures: BadIngress[] = [
  ["no signature", () => undefined],
  ["an empty signature", () => ""],
  ["no sha256= prefix", (t: IngressTargets) => signBody(body, t.live.secret).slice(7)],
  ["sha1=", (t: IngressTargets) => signBody(body, t.live.secret).replace("sha256=", "sha1=")],
  [
    "uppercase hex",
    (t: IngressTargets) => `sha256=${signBody(body, t.live.secret).slice(7).toUpperCase()}`,
  ],
  ["a digest cut short", (t: IngressTargets) => signBody(body, t.live.secret).slice(0, -2)],
  [
    "base64 instead of hex",
    (t: IngressTargets) =>
      `sha256=${Buffer.from(signBody(body, t.live.secret).slice(7), "hex").toString("base64")}`,
  ],
  [
    "a space after sha256=",
    (t: IngressTargets) => signBody(body, t.live.secret).replace("=", "= "),
  ],
  ["another body's signature", (t: IngressTargets) => signBody('{"order_id":"2"}', t.live.secret)],
  ["the body plus a newline", (t: IngressTargets) => signBody(`${body}\n`, t.live.secret)],
  ["another secret", () => signBody(body, "whsec_not-this-webhooks-secret")],
  ["the paused webhook's secret", (t: IngressTargets) => signBody(body, t.paused.secret)],
  [
    "two signatures in one header",
    (t: IngressTargets) => `${signBody(body, t.live.secret)},${signBody(body, t.live.secret)}`,
  ],
  [
    "two signature headers",
    (t: IngressTargets) => [signBody(body, t.live.secret), signBody(body, t.live.secret)],
  ],
  ["the PAT as the signature", (t: IngressTargets) => `sha256=${t.live.pat}`],
].map(
  ([name, value]): BadIngress => ({
    name: `signature: ${name as string}`,
    status: 401,
    code: "invalid_signature",
    stored: true,
    build: (targets) =>
      good(targets, body, {
        headers: {
          "x-agentruntime-signature": (
            value as (t: IngressTargets) => string | string[] | undefined
          )(targets),
        },
      }),
  }),
);

const invalidJson: BadIngress[] = [
  ["an empty body", ""],
  ["an open brace", "{"],
  ["single quotes", "{'order_id':'1'}"],
  ["a trailing comma", '{"order_id":"1",}'],
  ["a comment", '{"order_id":"1"} // note'],
  ["two objects", "{}{}"],
  ["NaN", '{"n":NaN}'],
  ["Infinity", '{"n":Infinity}'],
  ["a hex number", '{"n":0x10}'],
  ["a leading zero", '{"n":01}'],
  ["a plus sign", '{"n":+1}'],
  ["a raw tab in a string", '{"s":"a\tb"}'],
  ["unquoted keys", "{order_id:1}"],
  ["undefined", "undefined"],
  ["XML", "<order id='1'/>"],
].map(([name, text]) => signedBad(`invalid JSON: ${name}`, 400, "invalid_json", text as string));
invalidJson.push(
  signedBad(
    "invalid JSON: a UTF-8 byte order mark",
    400,
    "invalid_json",
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("{}")]),
  ),
  signedBad(
    "invalid JSON: invalid UTF-8 bytes",
    400,
    "invalid_json",
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
  ),
  signedBad("invalid JSON: UTF-16 text", 400, "invalid_json", Buffer.from('{"a":1}', "utf16le")),
  signedBad(
    "invalid JSON: an overlong UTF-8 slash",
    400,
    "invalid_json",
    Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]),
  ),
);

const tooDeep: BadIngress[] = [
  ["65 nested arrays", `{"a":${"[".repeat(64)}${"]".repeat(64)}}`],
  ["65 nested objects", `${'{"a":'.repeat(65)}1${"}".repeat(65)}`],
  ["100,000 nested arrays", `${"[".repeat(100_000)}${"]".repeat(100_000)}`],
  ["100,000 nested objects", `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}`],
  ["deep inside a wide object", `{"a":1,"b":[1,2,3],"c":${"[".repeat(80)}${"]".repeat(80)}}`],
].map(([name, text]) => signedBad(`too deep: ${name}`, 400, "json_too_deep", text as string));

const notObjects: BadIngress[] = [
  ["an array", "[]"],
  ["an array of objects", '[{"order_id":"1"}]'],
  ["a string", '"order"'],
  ["a number", "42"],
  ["a float", "1.5e3"],
  ["true", "true"],
  ["null", "null"],
  ["a padded array", "  [1, 2]  "],
].map(([name, text]) =>
  signedBad(`not an object: ${name}`, 422, "payload_not_object", text as string),
);

const other: BadIngress[] = [
  {
    name: "a paused webhook",
    status: 503,
    code: "subscription_paused",
    stored: true,
    build: (targets) => {
      const bytes = Buffer.from('{"order_id":"1"}');
      return {
        method: "POST",
        url: targets.paused.url,
        headers: {
          ...JSON_TYPE,
          authorization: `Bearer ${targets.paused.pat}`,
          "x-agentruntime-signature": signBody(bytes, targets.paused.secret),
        },
        body: bytes,
      };
    },
  },
  {
    name: "a body that stalls after its first bytes",
    status: 408,
    code: "request_timeout",
    stored: true,
    build: (targets) => ({ ...good(targets, '{"order_id":"1"}'), stallAfter: 3 }),
  },
  {
    name: "a body that stalls before any byte",
    status: 408,
    code: "request_timeout",
    stored: true,
    build: (targets) => ({ ...good(targets, '{"order_id":"1"}'), stallAfter: 0 }),
  },
];

/** Every kind of bad ingress input the hardening suite and report try, in the contract's order. */
export const BAD_INGRESS: readonly BadIngress[] = [
  ...wrongMethods,
  ...tooLarge,
  ...badMediaTypes,
  ...encodings,
  ...noSubscription,
  ...badBearers,
  ...badSignatures,
  ...invalidJson,
  ...tooDeep,
  ...notObjects,
  ...other,
];

/** Sends one raw request and reads the answer's status, error code and delivery id. */
export function sendRaw(raw: RawIngressRequest): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const stalled = raw.stallAfter !== undefined;
    const headers = { ...raw.headers };
    if (stalled || !("transfer-encoding" in headers))
      headers["content-length"] = String(raw.body.length);
    const req = request(raw.url, { method: raw.method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (chunk: Buffer) => parts.push(chunk));
      res.on("end", () => {
        let code: string | undefined;
        try {
          code = JSON.parse(Buffer.concat(parts).toString("utf8"))?.error?.code;
        } catch {
          code = undefined;
        }
        const deliveryId = res.headers["x-delivery-id"];
        resolve({
          status: res.statusCode ?? 0,
          code,
          deliveryId: typeof deliveryId === "string" ? deliveryId : undefined,
        });
      });
    });
    // The server may answer and close before the whole body is written (413); the answer still counts.
    req.on("error", reject);
    if (stalled) {
      req.write(raw.body.subarray(0, raw.stallAfter));
      return;
    }
    req.end(raw.body);
  });
}
