import type { IncomingMessage, ServerResponse } from "node:http";

/** The largest JSON-RPC message `/mcp` takes. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Past the limit a body is still read (and dropped) up to this, so the client gets its 413. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/** JSON-RPC's own codes for a body that is not JSON and for one that is no request. */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;

/** Answers with a JSON-RPC error that belongs to no request (`id: null`). */
export function refuse(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): undefined {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
  return undefined;
}

/**
 * Reads a POST body to `/mcp` as JSON-RPC. A body over the limit, one that is not JSON, and an
 * empty batch are answered here (413, 400, 400, each with a JSON-RPC error) and give undefined.
 */
export function readJsonRpc(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const tooLarge = () =>
      refuse(
        res,
        413,
        INVALID_REQUEST,
        `Payload too large: a message to /mcp may be at most ${MAX_MESSAGE_BYTES / 1024 / 1024} MiB.`,
        { connection: "close" },
      );
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_MESSAGE_BYTES) chunks.push(chunk);
      else chunks.length = 0;
      if (size > MAX_DRAIN_BYTES) {
        // Reading on would let one client hold the server; it gets the answer, then the cut.
        req.removeAllListeners("data");
        req.removeAllListeners("end");
        resolve(tooLarge());
        res.once("finish", () => req.destroy());
      }
    });
    req.on("end", () => {
      if (size > MAX_MESSAGE_BYTES) return resolve(tooLarge());
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        return resolve(refuse(res, 400, PARSE_ERROR, "Bad request: the body must be JSON-RPC."));
      }
      if (Array.isArray(body) && body.length === 0)
        return resolve(
          refuse(res, 400, INVALID_REQUEST, "Bad request: an empty batch holds no request."),
        );
      resolve(body);
    });
    req.on("error", () => resolve(undefined));
  });
}
