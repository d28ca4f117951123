export * from "./curl.js";
export * from "./signature.js";
