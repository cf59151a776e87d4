-- Quota engine hot paths as PL/pgSQL functions: one round trip each, so the
-- row locks of a hot subject are held for microseconds, not network trips.
-- Callers pass window boundaries computed in the application (IANA zones,
-- DST), timestamps as timestamptz; storage columns are UTC `timestamp(3)`.
-- Lock order everywhere: usage event first (settle, release, expire), then the
-- subjects' quota rows ordered by id. Admission locks no event, so no cycle.

CREATE OR REPLACE FUNCTION wl_ms(ts timestamp) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$ SELECT (extract(epoch FROM ts) * 1000)::bigint $$;

-- The limit in force on a row: an override while it has not expired, else the tier's.
CREATE OR REPLACE FUNCTION wl_effective_limits(q user_quota_limits, p_now timestamp,
  OUT req_lim integer, OUT tok_lim bigint, OUT cost_lim bigint, OUT overridden boolean)
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  overridden := q.source = 'override' AND (q.expires_at IS NULL OR q.expires_at > p_now);
  IF overridden THEN
    req_lim := q.override_request_limit; tok_lim := q.override_token_limit; cost_lim := q.override_cost_limit_micros;
  ELSE
    req_lim := q.request_limit; tok_lim := q.token_limit; cost_lim := q.cost_limit_micros;
  END IF;
END $$;

CREATE OR REPLACE FUNCTION wl_row_json(q user_quota_limits, p_now timestamp) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE l record;
BEGIN
  l := wl_effective_limits(q, p_now);
  RETURN jsonb_build_object(
    'id', q.id, 'subject', q.subject, 'window', q.window_type, 'scope', q.scope,
    'provider', q.provider, 'model', q.model, 'timezone', q.timezone,
    'requestLimit', l.req_lim, 'tokenLimit', l.tok_lim, 'costLimitMicros', l.cost_lim,
    'overridden', l.overridden, 'overrideExpiresAt', CASE WHEN l.overridden THEN wl_ms(q.expires_at) END,
    'requestsUsed', q.requests_used, 'tokensUsed', q.tokens_used, 'costUsedMicros', q.cost_used_micros,
    'requestsReserved', q.requests_reserved, 'tokensReserved', q.tokens_reserved,
    'costReservedMicros', q.cost_reserved_micros,
    'windowStart', wl_ms(q.window_start), 'resetAt', wl_ms(q.reset_at));
END $$;

-- Lazy reset: rows of these subjects whose window has ended start the window
-- the caller computed for the subject's zone (p_* arrays are parallel to p_subjects).
CREATE OR REPLACE FUNCTION wl_roll(p_subjects text[], p_timezones text[],
  p_daily_starts timestamptz[], p_daily_resets timestamptz[],
  p_monthly_starts timestamptz[], p_monthly_resets timestamptz[], p_now timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
  UPDATE user_quota_limits q SET
    requests_used = 0, tokens_used = 0, cost_used_micros = 0,
    requests_reserved = 0, tokens_reserved = 0, cost_reserved_micros = 0,
    timezone = s.tz,
    window_start = CASE WHEN q.window_type = 'daily' THEN s.ds ELSE s.ms END AT TIME ZONE 'UTC',
    reset_at = CASE WHEN q.window_type = 'daily' THEN s.dr ELSE s.mr END AT TIME ZONE 'UTC',
    updated_at = p_now AT TIME ZONE 'UTC'
  FROM unnest(p_subjects, p_timezones, p_daily_starts, p_daily_resets, p_monthly_starts, p_monthly_resets)
       AS s(subject, tz, ds, dr, ms, mr)
  WHERE q.subject = s.subject AND q.reset_at <= p_now AT TIME ZONE 'UTC';
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

-- Admission. The first subject owns the event; the others (an address cap)
-- are checked and reserved together with it. Returns one of:
--   {status:'uninitialized', subjects:[…]}   a subject has no quota rows yet
--   {status:'duplicate', eventId, eventStatus} the key was already admitted
--   {status:'denied', denials:[…], rows:[…]}   nothing was changed
--   {status:'checked', denials:[], rows:[…]}   dry run: would be admitted
--   {status:'admitted', eventId, rows:[…]}     reserved on every row
CREATE OR REPLACE FUNCTION wl_admit(p_subjects text[], p_timezones text[],
  p_daily_starts timestamptz[], p_daily_resets timestamptz[],
  p_monthly_starts timestamptz[], p_monthly_resets timestamptz[],
  p_provider text, p_model text, p_key text, p_est_tokens bigint, p_est_cost bigint,
  p_now timestamptz, p_ttl_ms bigint, p_dry_run boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamp := p_now AT TIME ZONE 'UTC';
  q user_quota_limits;
  l record;
  v_ids text[] := '{}';
  v_rows jsonb := '[]';
  v_denials jsonb := '[]';
  v_missing text[];
  v_event record;
  v_event_id text;
  v_need_tok bigint := GREATEST(p_est_tokens, 1);
  v_need_cost bigint := GREATEST(p_est_cost, 1);
BEGIN
  -- Every transaction locks a subject's rows in id order: no deadlocks.
  PERFORM 1 FROM user_quota_limits WHERE subject = ANY(p_subjects) ORDER BY id FOR UPDATE;

  SELECT array_agg(s) INTO v_missing FROM unnest(p_subjects) s
   WHERE NOT EXISTS (SELECT 1 FROM user_quota_limits x WHERE x.subject = s);
  IF v_missing IS NOT NULL THEN
    RETURN jsonb_build_object('status', 'uninitialized', 'subjects', to_jsonb(v_missing));
  END IF;

  IF NOT p_dry_run THEN
    SELECT id, status INTO v_event FROM usage_events WHERE subject = p_subjects[1] AND idempotency_key = p_key;
    IF FOUND THEN
      RETURN jsonb_build_object('status', 'duplicate', 'eventId', v_event.id, 'eventStatus', v_event.status);
    END IF;
    PERFORM wl_roll(p_subjects, p_timezones, p_daily_starts, p_daily_resets, p_monthly_starts, p_monthly_resets, p_now);
  END IF;

  FOR q IN SELECT * FROM user_quota_limits
            WHERE subject = ANY(p_subjects)
              AND (scope = 'general' OR (scope = 'provider' AND provider = p_provider)
                   OR (scope = 'model' AND provider = p_provider AND model = p_model))
            ORDER BY id
  LOOP
    IF p_dry_run AND q.reset_at <= v_now THEN
      -- A dry run changes nothing: show the window as it would be after the lazy reset.
      q.requests_used := 0; q.tokens_used := 0; q.cost_used_micros := 0;
      q.requests_reserved := 0; q.tokens_reserved := 0; q.cost_reserved_micros := 0;
      SELECT CASE WHEN q.window_type = 'daily' THEN s.ds ELSE s.ms END AT TIME ZONE 'UTC',
             CASE WHEN q.window_type = 'daily' THEN s.dr ELSE s.mr END AT TIME ZONE 'UTC'
        INTO q.window_start, q.reset_at
        FROM unnest(p_subjects, p_daily_starts, p_daily_resets, p_monthly_starts, p_monthly_resets)
             AS s(subject, ds, dr, ms, mr) WHERE s.subject = q.subject;
    END IF;
    l := wl_effective_limits(q, v_now);
    v_ids := v_ids || q.id;
    IF l.req_lim IS NOT NULL AND q.requests_used + q.requests_reserved + 1 > l.req_lim THEN
      v_denials := v_denials || jsonb_build_object('rowId', q.id, 'dimension', 'requests',
        'used', q.requests_used + q.requests_reserved, 'limit', l.req_lim);
    END IF;
    IF l.tok_lim IS NOT NULL AND q.tokens_used + q.tokens_reserved + v_need_tok > l.tok_lim THEN
      v_denials := v_denials || jsonb_build_object('rowId', q.id, 'dimension', 'tokens',
        'used', q.tokens_used + q.tokens_reserved, 'limit', l.tok_lim);
    END IF;
    IF l.cost_lim IS NOT NULL AND q.cost_used_micros + q.cost_reserved_micros + v_need_cost > l.cost_lim THEN
      v_denials := v_denials || jsonb_build_object('rowId', q.id, 'dimension', 'costMicros',
        'used', q.cost_used_micros + q.cost_reserved_micros, 'limit', l.cost_lim);
    END IF;
    IF p_dry_run OR jsonb_array_length(v_denials) > 0 THEN
      v_rows := v_rows || wl_row_json(q, v_now);
    END IF;
  END LOOP;

  IF jsonb_array_length(v_denials) > 0 THEN
    RETURN jsonb_build_object('status', 'denied', 'denials', v_denials, 'rows', v_rows);
  END IF;
  IF p_dry_run THEN
    RETURN jsonb_build_object('status', 'checked', 'denials', v_denials, 'rows', v_rows);
  END IF;

  v_rows := '[]';
  FOR q IN UPDATE user_quota_limits SET
      requests_reserved = requests_reserved + 1,
      tokens_reserved = tokens_reserved + p_est_tokens,
      cost_reserved_micros = cost_reserved_micros + p_est_cost,
      updated_at = v_now
    WHERE id = ANY(v_ids) RETURNING *
  LOOP
    v_rows := v_rows || wl_row_json(q, v_now);
  END LOOP;

  v_event_id := gen_random_uuid()::text;
  INSERT INTO usage_events (id, subject, idempotency_key, provider, model, status, quota_row_ids,
                            est_tokens, est_cost_micros, reserved_at, expires_at)
  VALUES (v_event_id, p_subjects[1], p_key, p_provider, p_model, 'reserved', v_ids,
          p_est_tokens, p_est_cost, v_now, v_now + make_interval(secs => p_ttl_ms / 1000.0));
  RETURN jsonb_build_object('status', 'admitted', 'eventId', v_event_id, 'rows', v_rows);
END $$;

-- Gives back an event's reservation on the rows it was taken from, unless the
-- window rolled over since (a reset already cleared it).
CREATE OR REPLACE FUNCTION wl_unreserve(e usage_events, p_now timestamp) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM user_quota_limits WHERE id = ANY(e.quota_row_ids) ORDER BY id FOR UPDATE;
  UPDATE user_quota_limits SET
    requests_reserved = GREATEST(requests_reserved - 1, 0),
    tokens_reserved = GREATEST(tokens_reserved - e.est_tokens, 0),
    cost_reserved_micros = GREATEST(cost_reserved_micros - e.est_cost_micros, 0),
    updated_at = p_now
  WHERE id = ANY(e.quota_row_ids) AND window_start <= e.reserved_at;
END $$;

-- Settlement, idempotent by (subject, key). A settle after expiry still
-- records the usage (the reservation was already given back). Returns
-- {status: 'settled'|'duplicate'|'not_found'|'released', eventId?}.
CREATE OR REPLACE FUNCTION wl_settle(p_subject text, p_key text, p_input integer, p_output integer,
  p_cached integer, p_cost bigint, p_estimated boolean, p_price_version text, p_now timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamp := p_now AT TIME ZONE 'UTC';
  e usage_events;
  v_tokens bigint := p_input::bigint + p_output::bigint;
BEGIN
  SELECT * INTO e FROM usage_events WHERE subject = p_subject AND idempotency_key = p_key FOR UPDATE;
  IF NOT FOUND THEN RETURN jsonb_build_object('status', 'not_found'); END IF;
  IF e.status = 'settled' THEN RETURN jsonb_build_object('status', 'duplicate', 'eventId', e.id); END IF;
  IF e.status = 'released' THEN RETURN jsonb_build_object('status', 'released', 'eventId', e.id); END IF;

  IF e.status = 'reserved' THEN PERFORM wl_unreserve(e, v_now);
  ELSE PERFORM 1 FROM user_quota_limits WHERE id = ANY(e.quota_row_ids) ORDER BY id FOR UPDATE;
  END IF;
  -- Usage counts in the window it was admitted in; a window that has since
  -- rolled over is gone, and the ledger and hourly records still hold it.
  UPDATE user_quota_limits SET
    requests_used = requests_used + 1,
    tokens_used = tokens_used + v_tokens,
    cost_used_micros = cost_used_micros + p_cost,
    updated_at = v_now
  WHERE id = ANY(e.quota_row_ids) AND window_start <= e.reserved_at;

  PERFORM wl_add_hourly(e.subject, e.provider, e.model, e.reserved_at, p_input, p_output, p_cached,
                        p_cost, p_estimated, e.est_tokens);
  UPDATE usage_events SET status = 'settled', input_tokens = p_input, output_tokens = p_output,
    cached_input_tokens = p_cached, cost_micros = p_cost, usage_estimated = p_estimated,
    price_version = p_price_version, settled_at = v_now
  WHERE id = e.id;
  RETURN jsonb_build_object('status', 'settled', 'eventId', e.id);
END $$;

CREATE OR REPLACE FUNCTION wl_add_hourly(p_subject text, p_provider text, p_model text, p_at timestamp,
  p_input integer, p_output integer, p_cached integer, p_cost bigint, p_estimated boolean, p_est_tokens bigint)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO usage_records (id, subject, provider, model, date, hour, request_count, input_tokens,
                             output_tokens, cached_input_tokens, cost_micros, estimated_count, est_tokens, updated_at)
  VALUES (gen_random_uuid()::text, p_subject, p_provider, p_model, p_at::date, extract(hour FROM p_at)::int, 1,
          p_input, p_output, p_cached, p_cost, CASE WHEN p_estimated THEN 1 ELSE 0 END, p_est_tokens, now())
  ON CONFLICT (subject, provider, model, date, hour) DO UPDATE SET
    request_count = usage_records.request_count + 1,
    input_tokens = usage_records.input_tokens + EXCLUDED.input_tokens,
    output_tokens = usage_records.output_tokens + EXCLUDED.output_tokens,
    cached_input_tokens = usage_records.cached_input_tokens + EXCLUDED.cached_input_tokens,
    cost_micros = usage_records.cost_micros + EXCLUDED.cost_micros,
    estimated_count = usage_records.estimated_count + EXCLUDED.estimated_count,
    est_tokens = usage_records.est_tokens + EXCLUDED.est_tokens,
    updated_at = now()
$$;

-- A provider failure with no output: give the reservation back, charge nothing.
CREATE OR REPLACE FUNCTION wl_release(p_subject text, p_key text, p_now timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamp := p_now AT TIME ZONE 'UTC';
  e usage_events;
BEGIN
  SELECT * INTO e FROM usage_events WHERE subject = p_subject AND idempotency_key = p_key FOR UPDATE;
  IF NOT FOUND THEN RETURN jsonb_build_object('status', 'not_found'); END IF;
  IF e.status <> 'reserved' THEN
    RETURN jsonb_build_object('status', 'unchanged', 'eventStatus', e.status, 'eventId', e.id);
  END IF;
  PERFORM wl_unreserve(e, v_now);
  UPDATE usage_events SET status = 'released', released_at = v_now WHERE id = e.id;
  RETURN jsonb_build_object('status', 'released', 'eventId', e.id);
END $$;

-- The TTL sweeper: reservations whose holder died are given back. Instances
-- share the work without doing it twice (SKIP LOCKED).
CREATE OR REPLACE FUNCTION wl_expire(p_now timestamptz, p_limit integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamp := p_now AT TIME ZONE 'UTC';
  e usage_events;
  n integer := 0;
BEGIN
  FOR e IN SELECT * FROM usage_events WHERE status = 'reserved' AND expires_at <= v_now
            ORDER BY expires_at LIMIT p_limit FOR UPDATE SKIP LOCKED
  LOOP
    PERFORM wl_unreserve(e, v_now);
    UPDATE usage_events SET status = 'expired', released_at = v_now WHERE id = e.id;
    n := n + 1;
  END LOOP;
  RETURN n;
END $$;

-- Usage reported after the fact (batch sync, fail-open admissions): recorded
-- once per key, counted in the current window when it happened within it.
CREATE OR REPLACE FUNCTION wl_record(p_subject text, p_timezone text,
  p_daily_start timestamptz, p_daily_reset timestamptz, p_monthly_start timestamptz, p_monthly_reset timestamptz,
  p_key text, p_provider text, p_model text, p_input integer, p_output integer, p_cached integer,
  p_cost bigint, p_estimated boolean, p_price_version text, p_occurred_at timestamptz, p_now timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamp := p_now AT TIME ZONE 'UTC';
  v_at timestamp := p_occurred_at AT TIME ZONE 'UTC';
  v_ids text[];
  v_event_id text := gen_random_uuid()::text;
BEGIN
  PERFORM 1 FROM user_quota_limits WHERE subject = p_subject ORDER BY id FOR UPDATE;
  PERFORM wl_roll(ARRAY[p_subject], ARRAY[p_timezone], ARRAY[p_daily_start], ARRAY[p_daily_reset],
                  ARRAY[p_monthly_start], ARRAY[p_monthly_reset], p_now);
  SELECT coalesce(array_agg(id ORDER BY id), '{}') INTO v_ids FROM user_quota_limits
   WHERE subject = p_subject
     AND (scope = 'general' OR (scope = 'provider' AND provider = p_provider)
          OR (scope = 'model' AND provider = p_provider AND model = p_model));
  INSERT INTO usage_events (id, subject, idempotency_key, provider, model, status, quota_row_ids,
      input_tokens, output_tokens, cached_input_tokens, cost_micros, usage_estimated, price_version,
      reserved_at, settled_at)
  VALUES (v_event_id, p_subject, p_key, p_provider, p_model, 'settled', v_ids, p_input, p_output, p_cached,
          p_cost, p_estimated, p_price_version, v_at, v_now)
  ON CONFLICT (subject, idempotency_key) DO NOTHING;
  IF NOT FOUND THEN RETURN jsonb_build_object('status', 'duplicate'); END IF;
  UPDATE user_quota_limits SET
    requests_used = requests_used + 1,
    tokens_used = tokens_used + p_input::bigint + p_output::bigint,
    cost_used_micros = cost_used_micros + p_cost,
    updated_at = v_now
  WHERE id = ANY(v_ids) AND window_start <= v_at AND v_at < reset_at;
  PERFORM wl_add_hourly(p_subject, p_provider, p_model, v_at, p_input, p_output, p_cached, p_cost, p_estimated, 0);
  RETURN jsonb_build_object('status', 'recorded', 'eventId', v_event_id);
END $$;
