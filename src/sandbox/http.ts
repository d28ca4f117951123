import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { ApiProblem, problems } from "./problems.js";

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

export function sendProblem(res: ServerResponse, problem: ApiProblem): void {
  sendJson(
    res,
    problem.status,
    { error: { code: problem.code, message: problem.message } },
    problem.headers,
  );
}

export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204, { "cache-control": "no-store" });
  res.end();
}

/** The request body read in full, or why it could not be. */
export interface BodyRead {
  bytes: Buffer;
  /** Bytes seen, even when the body was cut off for being too large. */
  size: number;
  tooLarge: boolean;
  /** The body did not arrive in full within the time allowed. */
  timedOut: boolean;
  /** The client went away before the body ended. */
  aborted: boolean;
}

/**
 * Reads a request body: a 413 as soon as it passes `maxBytes`, a timeout when it has not
 * ended after `timeoutMs`, and a disconnect reported as such rather than thrown.
 */
export function readBody(
  req: IncomingMessage,
  maxBytes: number,
  timeoutMs = Number.POSITIVE_INFINITY,
): Promise<BodyRead> {
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  const cut = { bytes: Buffer.alloc(0), tooLarge: false, timedOut: false, aborted: false };
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.resolve({ ...cut, size: declared, tooLarge: true });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (read: BodyRead) => {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
      resolve(read);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) finish({ ...cut, size, tooLarge: true });
      else chunks.push(chunk);
    };
    const onEnd = () => finish({ ...cut, bytes: Buffer.concat(chunks), size });
    const onClose = () => finish({ ...cut, size, aborted: true });
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("close", onClose);
    // A stream error is followed by 'close', which reports it; without a listener it would throw.
    req.on("error", () => {});
    if (Number.isFinite(timeoutMs)) {
      timer = setTimeout(() => finish({ ...cut, size, timedOut: true }), timeoutMs);
    }
  });
}

/** Ends a connection whose request body was left unread, once the answer has gone out. */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader("connection", "close");
  res.on("finish", () => req.socket.destroySoon());
}

/** `application/json` or `application/*+json`, UTF-8 or no charset, and no Content-Encoding. */
export function isJsonRequest(req: IncomingMessage): boolean {
  if (req.headers["content-encoding"] !== undefined) return false;
  const [mediaType = "", ...parameters] = (req.headers["content-type"] ?? "")
    .split(";")
    .map((part) => part.trim().toLowerCase());
  const json =
    mediaType === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
  const charset = parameters.find((parameter) => parameter.startsWith("charset="));
  return json && (charset === undefined || /^charset="?utf-8"?$/.test(charset));
}

/** The token of an `Authorization: Bearer <token>` header, or undefined when absent or malformed. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const values = req.headersDistinct.authorization;
  const only = values?.length === 1 ? values[0] : undefined;
  return only === undefined ? undefined : /^Bearer ([\x21-\x7e]+)$/i.exec(only)?.[1];
}

// A byte order mark is kept, so JSON.parse refuses it as the contract requires.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Parses UTF-8 JSON strictly, with its text; undefined when the bytes are not valid JSON text. */
export function parseJson(bytes: Buffer): { text: string; value: unknown } | undefined {
  try {
    const text = utf8.decode(bytes);
    return { text, value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/** True when the bytes start with the UTF-8 byte order mark. */
export function startsWithBom(bytes: Buffer): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** How deep JSON may nest; deeper bodies are refused before anything walks them recursively. */
export const MAX_JSON_DEPTH = 64;

/**
 * What makes a parsed JSON value unsafe to keep: nesting past `maxDepth`, or a `__proto__`
 * key (which a merge or a schema would drop silently). Walks without recursion.
 */
export function jsonHazard(
  value: unknown,
  maxDepth = MAX_JSON_DEPTH,
): "too_deep" | "proto_key" | undefined {
  const stack: [unknown, number][] = [[value, 1]];
  let protoKey = false;
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== "object") continue;
    if (depth > maxDepth) return "too_deep";
    if (Array.isArray(node)) {
      for (const item of node) stack.push([item, depth + 1]);
      continue;
    }
    if (Object.hasOwn(node, "__proto__")) protoKey = true;
    for (const item of Object.values(node)) stack.push([item, depth + 1]);
  }
  return protoKey ? "proto_key" : undefined;
}

/** A path segment decoded, or undefined when its percent-encoding is broken. */
export function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** A zod failure as one sentence naming the fields, without echoing any submitted value. */
export function describeIssues(error: z.ZodError, what: string): string {
  const parts = error.issues.slice(0, 3).map((issue) => {
    const path = issue.path.join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  return `Invalid ${what}: ${parts.join("; ")}.`;
}

/** How long a request body may take to arrive in full, by default. */
export const BODY_TIMEOUT_MS = 10_000;

/** Reads a management request's JSON body and checks it against a schema. */
export async function readJsonBody<S extends z.ZodType>(
  req: IncomingMessage,
  res: ServerResponse,
  schema: S,
  maxBytes: number,
  timeoutMs = BODY_TIMEOUT_MS,
): Promise<{ body: z.infer<S>; raw: unknown }> {
  const read = await readBody(req, maxBytes, timeoutMs);
  if (read.tooLarge) {
    closeAfterAnswer(req, res);
    throw problems.payloadTooLarge(maxBytes);
  }
  if (read.aborted) throw problems.clientClosed();
  if (read.timedOut) {
    closeAfterAnswer(req, res);
    throw problems.requestTimeout();
  }
  if (!isJsonRequest(req)) throw problems.unsupportedMediaType();
  const parsed = parseJson(read.bytes);
  if (!parsed) throw startsWithBom(read.bytes) ? problems.bom() : problems.invalidJson();
  const hazard = jsonHazard(parsed.value);
  if (hazard === "too_deep") throw problems.tooDeep(MAX_JSON_DEPTH);
  if (hazard === "proto_key") {
    throw problems.validation(
      "A key named __proto__ is not accepted anywhere in the body; rename or remove it.",
    );
  }
  const checked = schema.safeParse(parsed.value);
  if (!checked.success) {
    throw new ApiProblem(400, "validation_failed", describeIssues(checked.error, "request body"));
  }
  return { body: checked.data, raw: parsed.value };
}
