-- Replies stream into append-only pieces (reply_deltas) instead of rewriting tasks.partial_text.

-- CreateTable
CREATE TABLE "reply_deltas" (
    "task_id" TEXT NOT NULL,
    "start_at" INTEGER NOT NULL,
    "end_at" INTEGER NOT NULL,
    "text" TEXT NOT NULL,

    CONSTRAINT "reply_deltas_pkey" PRIMARY KEY ("task_id","start_at")
);

-- Replies running while this migration is applied keep their text (recovery charges it). Offsets
-- are UTF-16 code units, as JavaScript counts them: characters beyond the BMP count twice.
INSERT INTO "reply_deltas" ("task_id", "start_at", "end_at", "text")
SELECT "id", 0,
       char_length("partial_text") + (SELECT count(*) FROM regexp_matches("partial_text", '[\U00010000-\U0010FFFF]', 'g'))::int,
       "partial_text"
FROM "tasks"
WHERE "status" IN ('queued', 'running') AND "partial_text" <> '';

-- AlterTable
ALTER TABLE "tasks" DROP COLUMN "partial_text";

-- AlterTable
ALTER TABLE "messages" ADD COLUMN     "stop_reason" TEXT;

-- CreateIndex
CREATE INDEX "tasks_conversation_id_created_at_idx" ON "tasks"("conversation_id", "created_at");
