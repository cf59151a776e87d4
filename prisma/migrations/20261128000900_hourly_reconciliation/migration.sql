-- Estimate reconciliation moves from the ledger to the hourly aggregate. Analytics used to scan every
-- settled ledger event of the range for it (131,400 for a heavy user's year, about 40 ms alone on
-- PostgreSQL); the hourly rows the page reads anyway now carry the same sums. Per hour: requests
-- settled against an admission estimate (est_tokens already sums their estimates), how many of
-- them our tokenizer counted, and their settled tokens.
ALTER TABLE usage_records
  ADD COLUMN reconciled_requests integer NOT NULL DEFAULT 0,
  ADD COLUMN reconciled_counted_locally integer NOT NULL DEFAULT 0,
  ADD COLUMN reconciled_actual_tokens bigint NOT NULL DEFAULT 0;

-- Existing history, from the ledger it summarises: the same hour key as wl_settle's (reserved_at).
UPDATE usage_records r SET
  reconciled_requests = e.n, reconciled_counted_locally = e.local, reconciled_actual_tokens = e.tokens
FROM (
  SELECT subject, provider, model, reserved_at::date AS date, extract(hour FROM reserved_at)::int AS hour,
         count(*)::int AS n, count(*) FILTER (WHERE usage_estimated)::int AS local,
         sum(coalesce(input_tokens, 0) + coalesce(output_tokens, 0))::bigint AS tokens
  FROM usage_events WHERE status = 'settled' AND est_tokens > 0
  GROUP BY 1, 2, 3, 4, 5
) e
WHERE r.subject = e.subject AND r.provider = e.provider AND r.model = e.model AND r.date = e.date AND r.hour = e.hour;

-- Only settlements carry an estimate (p_est_tokens > 0); direct records (wl_record) pass 0.
CREATE OR REPLACE FUNCTION wl_add_hourly(p_subject text, p_provider text, p_model text, p_at timestamp,
  p_input integer, p_output integer, p_cached integer, p_cost bigint, p_estimated boolean, p_est_tokens bigint)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO usage_records (id, subject, provider, model, date, hour, request_count, input_tokens,
                             output_tokens, cached_input_tokens, cost_micros, estimated_count, est_tokens,
                             reconciled_requests, reconciled_counted_locally, reconciled_actual_tokens, updated_at)
  VALUES (gen_random_uuid()::text, p_subject, p_provider, p_model, p_at::date, extract(hour FROM p_at)::int, 1,
          p_input, p_output, p_cached, p_cost, CASE WHEN p_estimated THEN 1 ELSE 0 END, p_est_tokens,
          CASE WHEN p_est_tokens > 0 THEN 1 ELSE 0 END,
          CASE WHEN p_est_tokens > 0 AND p_estimated THEN 1 ELSE 0 END,
          CASE WHEN p_est_tokens > 0 THEN p_input::bigint + p_output::bigint ELSE 0 END, now())
  ON CONFLICT (subject, provider, model, date, hour) DO UPDATE SET
    request_count = usage_records.request_count + 1,
    input_tokens = usage_records.input_tokens + EXCLUDED.input_tokens,
    output_tokens = usage_records.output_tokens + EXCLUDED.output_tokens,
    cached_input_tokens = usage_records.cached_input_tokens + EXCLUDED.cached_input_tokens,
    cost_micros = usage_records.cost_micros + EXCLUDED.cost_micros,
    estimated_count = usage_records.estimated_count + EXCLUDED.estimated_count,
    est_tokens = usage_records.est_tokens + EXCLUDED.est_tokens,
    reconciled_requests = usage_records.reconciled_requests + EXCLUDED.reconciled_requests,
    reconciled_counted_locally = usage_records.reconciled_counted_locally + EXCLUDED.reconciled_counted_locally,
    reconciled_actual_tokens = usage_records.reconciled_actual_tokens + EXCLUDED.reconciled_actual_tokens,
    updated_at = now()
$$;

-- Restated from 20261128000400 with the reconciliation columns carried over to the account.
CREATE OR REPLACE FUNCTION wl_migrate_anonymous(p_anonymous_id text, p_user_id text, p_timezone text,
  p_daily_start timestamptz, p_daily_reset timestamptz, p_monthly_start timestamptz, p_monthly_reset timestamptz,
  p_now timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamp := p_now AT TIME ZONE 'UTC';
  v_anon text := 'anon:' || p_anonymous_id;
  v_user text := 'user:' || p_user_id;
  v_session anonymous_sessions;
  v_conversations integer;
  v_tasks integer;
  v_events integer;
  v_records integer;
BEGIN
  SELECT * INTO v_session FROM anonymous_sessions WHERE anonymous_id = p_anonymous_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('status', 'no_session');
  END IF;
  IF v_session.migrated_to_user_id IS NOT NULL THEN
    RETURN jsonb_build_object('status', 'already_migrated', 'userId', v_session.migrated_to_user_id);
  END IF;

  -- The account's rows, locked in id order like every admission, in their current windows.
  PERFORM 1 FROM user_quota_limits WHERE subject IN (v_anon, v_user) ORDER BY id FOR UPDATE;
  PERFORM wl_roll(ARRAY[v_user], ARRAY[p_timezone], ARRAY[p_daily_start], ARRAY[p_daily_reset],
                  ARRAY[p_monthly_start], ARRAY[p_monthly_reset], p_now);

  UPDATE conversations SET subject = v_user WHERE subject = v_anon;
  GET DIAGNOSTICS v_conversations = ROW_COUNT;
  UPDATE tasks SET subject = v_user WHERE subject = v_anon;
  GET DIAGNOSTICS v_tasks = ROW_COUNT;

  -- Today's settled usage counts against the account's limits in the windows it fell in.
  UPDATE user_quota_limits q SET
    requests_used = q.requests_used + s.n, tokens_used = q.tokens_used + s.tok,
    cost_used_micros = q.cost_used_micros + s.cost, updated_at = v_now
  FROM (
    SELECT r.id, count(*)::int AS n,
           coalesce(sum(coalesce(e.input_tokens, 0) + coalesce(e.output_tokens, 0)), 0)::bigint AS tok,
           coalesce(sum(coalesce(e.cost_micros, 0)), 0)::bigint AS cost
    FROM user_quota_limits r
    JOIN usage_events e ON e.subject = v_anon AND e.status = 'settled'
     AND e.reserved_at >= r.window_start AND e.reserved_at < r.reset_at
     AND (r.scope = 'general' OR (r.scope = 'provider' AND r.provider = e.provider)
          OR (r.scope = 'model' AND r.provider = e.provider AND r.model = e.model))
    WHERE r.subject = v_user
    GROUP BY r.id) s
  WHERE q.id = s.id;

  -- In-flight reservations move too: off the visitor's rows, onto the account's (an
  -- address-cap row stays in the event's list), so their settlement lands on the account.
  UPDATE user_quota_limits q SET
    requests_reserved = GREATEST(q.requests_reserved - s.n, 0),
    tokens_reserved = GREATEST(q.tokens_reserved - s.tok, 0),
    cost_reserved_micros = GREATEST(q.cost_reserved_micros - s.cost, 0)
  FROM (
    SELECT r.id, count(*)::int AS n, sum(e.est_tokens)::bigint AS tok, sum(e.est_cost_micros)::bigint AS cost
    FROM usage_events e JOIN user_quota_limits r ON r.id = ANY(e.quota_row_ids) AND r.subject = v_anon
    WHERE e.subject = v_anon AND e.status = 'reserved' AND r.window_start <= e.reserved_at
    GROUP BY r.id) s
  WHERE q.id = s.id;

  UPDATE usage_events e SET quota_row_ids = (
      SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM (
        SELECT unnest(e.quota_row_ids) AS x
        EXCEPT SELECT id FROM user_quota_limits WHERE subject = v_anon
        UNION SELECT r.id FROM user_quota_limits r
         WHERE r.subject = v_user
           AND (r.scope = 'general' OR (r.scope = 'provider' AND r.provider = e.provider)
                OR (r.scope = 'model' AND r.provider = e.provider AND r.model = e.model))) ids)
  WHERE e.subject = v_anon AND e.status = 'reserved';

  UPDATE user_quota_limits q SET
    requests_reserved = q.requests_reserved + s.n, tokens_reserved = q.tokens_reserved + s.tok,
    cost_reserved_micros = q.cost_reserved_micros + s.cost
  FROM (
    SELECT r.id, count(*)::int AS n, sum(e.est_tokens)::bigint AS tok, sum(e.est_cost_micros)::bigint AS cost
    FROM usage_events e JOIN user_quota_limits r ON r.id = ANY(e.quota_row_ids) AND r.subject = v_user
    WHERE e.subject = v_anon AND e.status = 'reserved'
    GROUP BY r.id) s
  WHERE q.id = s.id;

  -- The ledger follows (a key the account already used stays with the visitor: keys are per subject).
  UPDATE usage_events e SET subject = v_user
  WHERE e.subject = v_anon
    AND NOT EXISTS (SELECT 1 FROM usage_events u WHERE u.subject = v_user AND u.idempotency_key = e.idempotency_key);
  GET DIAGNOSTICS v_events = ROW_COUNT;

  INSERT INTO usage_records (id, subject, provider, model, date, hour, request_count, input_tokens, output_tokens,
                             cached_input_tokens, cost_micros, estimated_count, est_tokens, reconciled_requests,
                             reconciled_counted_locally, reconciled_actual_tokens, updated_at)
  SELECT gen_random_uuid()::text, v_user, provider, model, date, hour, request_count, input_tokens, output_tokens,
         cached_input_tokens, cost_micros, estimated_count, est_tokens, reconciled_requests,
         reconciled_counted_locally, reconciled_actual_tokens, v_now
  FROM usage_records WHERE subject = v_anon
  ON CONFLICT (subject, provider, model, date, hour) DO UPDATE SET
    request_count = usage_records.request_count + EXCLUDED.request_count,
    input_tokens = usage_records.input_tokens + EXCLUDED.input_tokens,
    output_tokens = usage_records.output_tokens + EXCLUDED.output_tokens,
    cached_input_tokens = usage_records.cached_input_tokens + EXCLUDED.cached_input_tokens,
    cost_micros = usage_records.cost_micros + EXCLUDED.cost_micros,
    estimated_count = usage_records.estimated_count + EXCLUDED.estimated_count,
    est_tokens = usage_records.est_tokens + EXCLUDED.est_tokens,
    reconciled_requests = usage_records.reconciled_requests + EXCLUDED.reconciled_requests,
    reconciled_counted_locally = usage_records.reconciled_counted_locally + EXCLUDED.reconciled_counted_locally,
    reconciled_actual_tokens = usage_records.reconciled_actual_tokens + EXCLUDED.reconciled_actual_tokens,
    updated_at = v_now;
  GET DIAGNOSTICS v_records = ROW_COUNT;
  DELETE FROM usage_records WHERE subject = v_anon;

  UPDATE anonymous_sessions SET migrated_to_user_id = p_user_id, last_seen_at = v_now WHERE id = v_session.id;
  RETURN jsonb_build_object('status', 'migrated', 'conversations', v_conversations, 'tasks', v_tasks,
                            'events', v_events, 'hourlyRecords', v_records);
END $$;

-- The analytics page reads a subject's hourly rows by date; covering the columns it sums lets that
-- be an index-only scan (a heavy user's year: about 50,000 rows). Same name as the plain index it
-- replaces, which Prisma's schema declares (it cannot express INCLUDE). The price: the hourly upsert
-- changes covered columns, so it is no longer a HOT update (bench/REPORT.md measures settlement).
DROP INDEX "usage_records_subject_date_idx";
CREATE INDEX "usage_records_subject_date_idx" ON "usage_records"("subject", "date")
  INCLUDE ("hour", "provider", "model", "request_count", "input_tokens", "output_tokens", "cost_micros",
           "est_tokens", "reconciled_requests", "reconciled_counted_locally", "reconciled_actual_tokens");
