import { z } from "zod";

// Zod compiles object validators with new Function() where eval is allowed, and probes for it as
// each schema is built. The server's Content Security Policy has no 'unsafe-eval', so in a browser
// the probe alone is reported as a violation: there, validate without compiling. Imported first by
// index.ts so that it runs before any schema below is built; on the server nothing changes.
if ("document" in globalThis) z.config({ jitless: true });
