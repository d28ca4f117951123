import type { IncomingMessage, ServerResponse } from "node:http";

/** The request headers a browser-based MCP host sends beyond those CORS lets through anyway. */
const ALLOWED_HEADERS =
  "content-type, authorization, mcp-session-id, mcp-protocol-version, last-event-id";

export interface Cors {
  /** Whether a page on this origin may call `/mcp` although it is not this server's own. */
  allows(origin: string): boolean;
  /**
   * Makes the answer readable to an allowed origin; answers its preflight here (true). Any
   * other origin gets no CORS header, so a browser keeps the answer from its page.
   */
  answer(req: IncomingMessage, res: ServerResponse): boolean;
}

/**
 * Cross-origin access to `/mcp` for the browser-based MCP Apps hosts named by
 * `--allowed-origin`, each by its exact origin (never `*`: any page could then drive the tools).
 */
export function corsFor(origins: readonly string[]): Cors {
  const allowed = new Set(origins);
  return {
    allows: (origin) => allowed.has(origin),
    answer(req, res) {
      if (allowed.size === 0) return false;
      // Caches must not hand one origin's answer to another.
      res.setHeader("vary", "Origin");
      const origin = req.headers.origin;
      if (origin === undefined || !allowed.has(origin)) return false;
      res.setHeader("access-control-allow-origin", origin);
      if (req.method !== "OPTIONS") {
        res.setHeader("access-control-expose-headers", "Mcp-Session-Id");
        return false;
      }
      res.writeHead(204, {
        "access-control-allow-methods": "POST, GET, DELETE",
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": "600",
      });
      res.end();
      return true;
    },
  };
}

/**
 * An `--allowed-origin` value as browsers send it in `Origin` (scheme, host, port), or the
 * reason it is not one.
 */
export function originOf(value: string): { origin: string } | { problem: string } {
  if (value === "*") return { problem: "takes one origin at a time, never *" };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `takes an origin such as https://host.example, not "${value}"` };
  }
  if (
    (url.protocol !== "http:" && url.protocol !== "https:") ||
    url.origin !== value.replace(/\/$/, "")
  ) {
    return {
      problem: `takes an origin (http or https, host and port, no path), such as ${url.protocol.startsWith("http") ? url.origin : "https://host.example"}, not "${value}"`,
    };
  }
  return { origin: url.origin };
}
