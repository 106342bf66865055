import { config } from 'zod';

// Imported before anything that defines a schema: zod would otherwise probe `new Function` for its fast
// parsers while the schemas are built, which the CSP (no 'unsafe-eval') refuses and reports as a violation.
config({ jitless: true });
