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

/** The request body read in full, or a 413 as soon as it passes `maxBytes`. */
export interface BodyRead {
  bytes: Buffer;
  /** Bytes seen, even when the body was cut off for being too large. */
  size: number;
  tooLarge: boolean;
}

export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.resolve({ bytes: Buffer.alloc(0), size: declared, tooLarge: true });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        req.off("data", onData);
        resolve({ bytes: Buffer.alloc(0), size, tooLarge: true });
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => {
      if (!done) resolve({ bytes: Buffer.concat(chunks), size, tooLarge: false });
    });
    req.on("error", reject);
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

/** Parses UTF-8 JSON strictly; undefined when the bytes are not valid JSON text. */
export function parseJson(bytes: Buffer): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) };
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

/** Reads a management request's JSON body and checks it against a schema. */
export async function readJsonBody<S extends z.ZodType>(
  req: IncomingMessage,
  res: ServerResponse,
  schema: S,
  maxBytes: number,
): Promise<{ body: z.infer<S>; raw: unknown }> {
  const read = await readBody(req, maxBytes);
  if (read.tooLarge) {
    closeAfterAnswer(req, res);
    throw problems.payloadTooLarge(maxBytes);
  }
  if (!isJsonRequest(req)) throw problems.unsupportedMediaType();
  const parsed = parseJson(read.bytes);
  if (!parsed) throw problems.invalidJson();
  const checked = schema.safeParse(parsed.value);
  if (!checked.success) {
    throw new ApiProblem(400, "validation_failed", describeIssues(checked.error, "request body"));
  }
  return { body: checked.data, raw: parsed.value };
}
