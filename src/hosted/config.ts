/** Everything `mcp` needs to run hosted, read from its flags and environment. */
export interface HostedConfig {
  storeUrl: string;
  publicUrl: string;
  pageKey: string;
  apiUrl: string;
  /** Single-tenant: the MCP bearer every caller sends, and the one AgentRuntime token used. */
  single?: { httpToken: string; token: string };
}
