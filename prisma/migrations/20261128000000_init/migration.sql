-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Tier" AS ENUM ('anonymous', 'free', 'pro');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('user', 'admin');

-- CreateEnum
CREATE TYPE "WindowType" AS ENUM ('daily', 'monthly');

-- CreateEnum
CREATE TYPE "QuotaScope" AS ENUM ('general', 'provider', 'model');

-- CreateEnum
CREATE TYPE "LimitSource" AS ENUM ('tier', 'override');

-- CreateEnum
CREATE TYPE "UsageEventStatus" AS ENUM ('reserved', 'settled', 'released', 'expired');

-- CreateEnum
CREATE TYPE "SyncJobStatus" AS ENUM ('pending', 'running', 'completed', 'dead');

-- CreateEnum
CREATE TYPE "TaskStatus" AS ENUM ('queued', 'running', 'completed', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "MessageRole" AS ENUM ('user', 'assistant', 'system');

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "password_hash" TEXT,
    "name" TEXT,
    "tier" "Tier" NOT NULL DEFAULT 'free',
    "role" "Role" NOT NULL DEFAULT 'user',
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "anonymous_sessions" (
    "id" TEXT NOT NULL,
    "anonymous_id" TEXT NOT NULL,
    "session_data" JSONB,
    "message_count" INTEGER NOT NULL DEFAULT 0,
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "ip_hash" TEXT,
    "migrated_to_user_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "anonymous_sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_quota_limits" (
    "id" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "window_type" "WindowType" NOT NULL,
    "scope" "QuotaScope" NOT NULL,
    "provider" TEXT NOT NULL DEFAULT '',
    "model" TEXT NOT NULL DEFAULT '',
    "timezone" TEXT NOT NULL DEFAULT 'UTC',
    "request_limit" INTEGER,
    "token_limit" BIGINT,
    "cost_limit_micros" BIGINT,
    "source" "LimitSource" NOT NULL DEFAULT 'tier',
    "override_request_limit" INTEGER,
    "override_token_limit" BIGINT,
    "override_cost_limit_micros" BIGINT,
    "expires_at" TIMESTAMP(3),
    "requests_used" INTEGER NOT NULL DEFAULT 0,
    "tokens_used" BIGINT NOT NULL DEFAULT 0,
    "cost_used_micros" BIGINT NOT NULL DEFAULT 0,
    "requests_reserved" INTEGER NOT NULL DEFAULT 0,
    "tokens_reserved" BIGINT NOT NULL DEFAULT 0,
    "cost_reserved_micros" BIGINT NOT NULL DEFAULT 0,
    "window_start" TIMESTAMP(3) NOT NULL,
    "reset_at" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_quota_limits_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_events" (
    "id" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "status" "UsageEventStatus" NOT NULL,
    "quota_row_ids" TEXT[],
    "est_tokens" BIGINT NOT NULL DEFAULT 0,
    "est_cost_micros" BIGINT NOT NULL DEFAULT 0,
    "input_tokens" INTEGER,
    "output_tokens" INTEGER,
    "cached_input_tokens" INTEGER,
    "cost_micros" BIGINT,
    "usage_estimated" BOOLEAN NOT NULL DEFAULT false,
    "price_version" TEXT,
    "fail_open" BOOLEAN NOT NULL DEFAULT false,
    "reserved_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3),
    "settled_at" TIMESTAMP(3),
    "released_at" TIMESTAMP(3),

    CONSTRAINT "usage_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_records" (
    "id" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "date" DATE NOT NULL,
    "hour" INTEGER NOT NULL,
    "request_count" INTEGER NOT NULL DEFAULT 0,
    "input_tokens" BIGINT NOT NULL DEFAULT 0,
    "output_tokens" BIGINT NOT NULL DEFAULT 0,
    "cached_input_tokens" BIGINT NOT NULL DEFAULT 0,
    "cost_micros" BIGINT NOT NULL DEFAULT 0,
    "estimated_count" INTEGER NOT NULL DEFAULT 0,
    "est_tokens" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_records_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sync_jobs" (
    "id" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "status" "SyncJobStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "locked_until" TIMESTAMP(3),
    "last_error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMP(3),

    CONSTRAINT "sync_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_prices" (
    "id" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "model_pattern" TEXT NOT NULL,
    "input_per_million_micros" BIGINT NOT NULL,
    "output_per_million_micros" BIGINT NOT NULL,
    "cached_input_per_million_micros" BIGINT,
    "context_window" INTEGER NOT NULL,
    "effective_from" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "model_prices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "conversations" (
    "id" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "title" TEXT NOT NULL DEFAULT 'New chat',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "conversations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "messages" (
    "id" TEXT NOT NULL,
    "conversation_id" TEXT NOT NULL,
    "role" "MessageRole" NOT NULL,
    "content" TEXT NOT NULL,
    "provider" TEXT,
    "model" TEXT,
    "usage_event_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tasks" (
    "id" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "conversation_id" TEXT NOT NULL,
    "message_id" TEXT,
    "usage_event_id" TEXT,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "status" "TaskStatus" NOT NULL DEFAULT 'queued',
    "partial_text" TEXT NOT NULL DEFAULT '',
    "input_tokens" INTEGER,
    "output_tokens" INTEGER,
    "cost_micros" BIGINT,
    "error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tasks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_logs" (
    "id" TEXT NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "details" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_logs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_email_key" ON "users"("email");

-- CreateIndex
CREATE INDEX "sessions_user_id_idx" ON "sessions"("user_id");

-- CreateIndex
CREATE INDEX "sessions_expires_at_idx" ON "sessions"("expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "anonymous_sessions_anonymous_id_key" ON "anonymous_sessions"("anonymous_id");

-- CreateIndex
CREATE INDEX "anonymous_sessions_ip_hash_idx" ON "anonymous_sessions"("ip_hash");

-- CreateIndex
CREATE INDEX "anonymous_sessions_migrated_to_user_id_idx" ON "anonymous_sessions"("migrated_to_user_id");

-- CreateIndex
CREATE INDEX "user_quota_limits_reset_at_idx" ON "user_quota_limits"("reset_at");

-- CreateIndex
CREATE UNIQUE INDEX "user_quota_limits_subject_window_type_scope_provider_model_key" ON "user_quota_limits"("subject", "window_type", "scope", "provider", "model");

-- CreateIndex
CREATE INDEX "usage_events_status_expires_at_idx" ON "usage_events"("status", "expires_at");

-- CreateIndex
CREATE INDEX "usage_events_subject_reserved_at_idx" ON "usage_events"("subject", "reserved_at");

-- CreateIndex
CREATE UNIQUE INDEX "usage_events_subject_idempotency_key_key" ON "usage_events"("subject", "idempotency_key");

-- CreateIndex
CREATE INDEX "usage_records_subject_date_idx" ON "usage_records"("subject", "date");

-- CreateIndex
CREATE UNIQUE INDEX "usage_records_subject_provider_model_date_hour_key" ON "usage_records"("subject", "provider", "model", "date", "hour");

-- CreateIndex
CREATE INDEX "sync_jobs_status_next_attempt_at_idx" ON "sync_jobs"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "sync_jobs_subject_created_at_idx" ON "sync_jobs"("subject", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "model_prices_provider_model_pattern_effective_from_key" ON "model_prices"("provider", "model_pattern", "effective_from");

-- CreateIndex
CREATE INDEX "conversations_subject_updated_at_idx" ON "conversations"("subject", "updated_at");

-- CreateIndex
CREATE INDEX "messages_conversation_id_created_at_idx" ON "messages"("conversation_id", "created_at");

-- CreateIndex
CREATE INDEX "tasks_subject_created_at_idx" ON "tasks"("subject", "created_at");

-- CreateIndex
CREATE INDEX "tasks_status_idx" ON "tasks"("status");

-- CreateIndex
CREATE INDEX "audit_logs_target_created_at_idx" ON "audit_logs"("target", "created_at");

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "conversations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

