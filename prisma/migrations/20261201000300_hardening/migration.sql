-- Anonymous visitors get a row only once they do something that counts; the hourly sweep of rows
-- that never came to be used walks them oldest first (packages/api/src/accounts/anonymous-sessions.ts).
-- CreateIndex
CREATE INDEX "anonymous_sessions_last_seen_at_idx" ON "anonymous_sessions"("last_seen_at");
