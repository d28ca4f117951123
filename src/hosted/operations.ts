import type { IncomingMessage, ServerResponse } from "node:http";
import type { OneTimePages } from "../pages/one-time-pages.js";

/** What hosted mode serves beside `/mcp` on the same port. */
export interface HostedRoutes {
  /** `/readyz` answers 200 only while this says so (and the server is not shutting down). */
  ready: () => Promise<boolean>;
  /** `/metrics` in Prometheus' text format. */
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** The one-time pages, at `/once/<id>`. */
  pages: Pick<OneTimePages, "answer">;
}

function plain(res: ServerResponse, status: number, text: string) {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(`${text}\n`);
}

/** `/readyz`, `/metrics` and `/once/<id>` as the MCP transport's extra routes. */
export function hostedRoutes(routes: HostedRoutes) {
  return async (
    pathname: string,
    req: IncomingMessage,
    res: ServerResponse,
    draining: boolean,
  ): Promise<boolean> => {
    if (pathname === "/readyz") {
      const ready = !draining && (await routes.ready().catch(() => false));
      plain(res, ready ? 200 : 503, ready ? "ready" : "not ready");
      return true;
    }
    if (pathname === "/metrics") {
      const { contentType, body } = await routes.metrics();
      res.writeHead(200, { "content-type": contentType });
      res.end(body);
      return true;
    }
    return routes.pages.answer(pathname, req, res);
  };
}
