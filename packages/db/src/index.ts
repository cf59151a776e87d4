export { createDb, type Database, type Db, type CreateDbOptions, type SqlClient } from "./create-db.ts";
export { parseDatabaseUrl, DEFAULT_PGLITE_DIR, type DatabaseTarget } from "./database-url.ts";
export { isUniqueViolation } from "./unique-violation.ts";
export { databaseAnswers, isDatabaseUnavailable } from "./unavailable.ts";
export { Prisma } from "./generated/prisma/client.ts";
export type * from "./generated/prisma/client.ts";
