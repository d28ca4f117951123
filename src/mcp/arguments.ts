import { z } from "zod";
import { ScalarRecord } from "../contract/schemas.js";

/**
 * Extras as tools take them: static trigger_payload values are scalars so any model can
 * fill them in; on update the object is a merge patch, where null removes a key.
 */
export const ExtrasArgument = z.strictObject({
  use_run_setup_defaults: z.boolean().optional(),
  trigger_payload: ScalarRecord.optional().describe("Fixed input over the sender's"),
});
