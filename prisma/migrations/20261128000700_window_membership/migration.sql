-- A window is "the one a reservation was made in" by its start: usage and
-- reservations belong to a row's window when made at or after window_start.
-- After a time-zone change the next window can begin before the old one
-- ended (a day that starts earlier elsewhere); starting it no earlier than the
-- old window's end keeps the old window's reservations out of it, so giving
-- one back cannot free another request's reservation (found by fuzzing).

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
    -- Never before the old window's end: what was reserved or used in the old window stays there.
    window_start = GREATEST(CASE WHEN q.window_type = 'daily' THEN s.ds ELSE s.ms END AT TIME ZONE 'UTC', q.reset_at),
    reset_at = CASE WHEN q.window_type = 'daily' THEN s.dr ELSE s.mr END AT TIME ZONE 'UTC',
    updated_at = p_now AT TIME ZONE 'UTC'
  FROM unnest(p_subjects, p_timezones, p_daily_starts, p_daily_resets, p_monthly_starts, p_monthly_resets)
       AS s(subject, tz, ds, dr, ms, mr)
  WHERE q.subject = s.subject AND q.reset_at <= p_now AT TIME ZONE 'UTC';
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

CREATE OR REPLACE FUNCTION wl_admit(p_subjects text[], p_timezones text[],
  p_daily_starts timestamptz[], p_daily_resets timestamptz[],
  p_monthly_starts timestamptz[], p_monthly_resets timestamptz[],
  p_provider text, p_model text, p_key text, p_est_tokens bigint, p_est_cost bigint,
  p_now timestamptz, p_ttl_ms bigint, p_dry_run boolean)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamp := p_now AT TIME ZONE 'UTC';
  v_rows user_quota_limits[];
  q user_quota_limits;
  i integer;
  j integer;
  l wl_limits;
  v_ids text[] := '{}';
  v_roll text[] := '{}';
  v_out jsonb := '[]';
  v_denials jsonb := '[]';
  v_missing text[];
  v_event_id text;
  v_need_tok bigint := GREATEST(p_est_tokens, 1);
  v_need_cost bigint := GREATEST(p_est_cost, 1);
BEGIN
  -- Every transaction locks quota rows in id order: no deadlocks.
  SELECT array_agg(x ORDER BY x.id) INTO v_rows FROM (
    SELECT * FROM user_quota_limits
     WHERE subject = ANY(p_subjects)
       AND (scope = 'general' OR (scope = 'provider' AND provider = p_provider)
            OR (scope = 'model' AND provider = p_provider AND model = p_model))
     ORDER BY id FOR UPDATE) x;

  SELECT array_agg(s) INTO v_missing FROM unnest(p_subjects) s
   WHERE v_rows IS NULL OR NOT EXISTS (SELECT 1 FROM unnest(v_rows) r WHERE r.subject = s);
  IF v_missing IS NOT NULL THEN
    RETURN jsonb_build_object('status', 'uninitialized', 'subjects', to_jsonb(v_missing));
  END IF;

  IF NOT p_dry_run THEN
    SELECT id INTO v_event_id FROM usage_events WHERE subject = p_subjects[1] AND idempotency_key = p_key;
    IF FOUND THEN
      RETURN jsonb_build_object('status', 'duplicate', 'eventId', v_event_id,
        'eventStatus', (SELECT status FROM usage_events WHERE id = v_event_id));
    END IF;
  END IF;

  FOR i IN 1 .. array_length(v_rows, 1) LOOP
    q := v_rows[i];
    IF q.reset_at <= v_now THEN
      -- Lazy reset into the window the caller computed for the subject's zone.
      j := array_position(p_subjects, q.subject);
      q.requests_used := 0; q.tokens_used := 0; q.cost_used_micros := 0;
      q.requests_reserved := 0; q.tokens_reserved := 0; q.cost_reserved_micros := 0;
      q.timezone := p_timezones[j];
      q.window_start := GREATEST((CASE WHEN q.window_type = 'daily' THEN p_daily_starts[j] ELSE p_monthly_starts[j] END) AT TIME ZONE 'UTC', q.reset_at);
      q.reset_at := (CASE WHEN q.window_type = 'daily' THEN p_daily_resets[j] ELSE p_monthly_resets[j] END) AT TIME ZONE 'UTC';
      v_roll := v_roll || q.id;
      v_rows[i] := q;
    END IF;
    -- The limit in force: an override while it lasts, else the tier's (inlined: this runs per row per admission).
    IF q.source = 'override' AND (q.expires_at IS NULL OR q.expires_at > v_now) THEN
      l := (q.override_request_limit, q.override_token_limit, q.override_cost_limit_micros);
    ELSE
      l := (q.request_limit, q.token_limit, q.cost_limit_micros);
    END IF;
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
  END LOOP;

  IF NOT p_dry_run AND array_length(v_roll, 1) IS NOT NULL THEN
    UPDATE user_quota_limits u SET
      requests_used = 0, tokens_used = 0, cost_used_micros = 0,
      requests_reserved = 0, tokens_reserved = 0, cost_reserved_micros = 0,
      timezone = r.timezone, window_start = r.window_start, reset_at = r.reset_at, updated_at = v_now
    FROM unnest(v_rows) r WHERE u.id = r.id AND r.id = ANY(v_roll);
  END IF;

  -- Denials and dry runs report every applicable row; an admission reports
  -- none (building them would cost as much as the admission itself; callers
  -- that want the new standing read it).
  IF jsonb_array_length(v_denials) > 0 OR p_dry_run THEN
    FOR i IN 1 .. array_length(v_rows, 1) LOOP
      v_out := v_out || wl_row_json(v_rows[i], v_now);
    END LOOP;
  END IF;
  IF jsonb_array_length(v_denials) > 0 THEN
    RETURN jsonb_build_object('status', 'denied', 'denials', v_denials, 'rows', v_out);
  END IF;
  IF p_dry_run THEN
    RETURN jsonb_build_object('status', 'checked', 'denials', v_denials, 'rows', v_out);
  END IF;

  UPDATE user_quota_limits SET
    requests_reserved = requests_reserved + 1,
    tokens_reserved = tokens_reserved + p_est_tokens,
    cost_reserved_micros = cost_reserved_micros + p_est_cost,
    updated_at = v_now
  WHERE id = ANY(v_ids);

  v_event_id := gen_random_uuid()::text;
  INSERT INTO usage_events (id, subject, idempotency_key, provider, model, status, quota_row_ids,
                            est_tokens, est_cost_micros, reserved_at, expires_at)
  VALUES (v_event_id, p_subjects[1], p_key, p_provider, p_model, 'reserved', v_ids,
          p_est_tokens, p_est_cost, v_now, v_now + make_interval(secs => p_ttl_ms / 1000.0));
  RETURN jsonb_build_object('status', 'admitted', 'eventId', v_event_id, 'rows', '[]'::jsonb);
END $$;
