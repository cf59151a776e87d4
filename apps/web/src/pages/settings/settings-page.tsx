import { ANONYMOUS_DAILY_MESSAGES, profileUpdateInput } from "@wavelength/shared";
import { type FormEvent, useId, useState } from "react";
import { Link } from "react-router";
import { toast } from "sonner";
import { fieldErrorsOf } from "../../lib/trpc-error.ts";
import { trpc } from "../../trpc.ts";
import { ApiKeysSection } from "./api-keys-section.tsx";
import { TimeZoneSelect, browserTimeZone } from "./time-zone-select.tsx";

const TIER_TEXT: Record<"anonymous" | "free" | "pro", string> = {
  anonymous: `Guest: ${ANONYMOUS_DAILY_MESSAGES} messages a day. Sign up for the free tier.`,
  free: "Free: daily and monthly limits on messages, tokens and cost.",
  pro: "Pro: higher limits and every model.",
};

/** /settings: name, time zone, tier and sign-out. */
export default function SettingsPage() {
  const profile = trpc.profile.get.useQuery();

  return (
    <main className="mx-auto grid w-full max-w-2xl gap-4 px-4 py-6">
      <header>
        <h1 className="text-2xl font-semibold text-ink">Settings</h1>
        <p className="text-sm text-muted">
          See your usage on the{" "}
          <Link to="/settings/usage" className="text-accent underline underline-offset-2">
            usage page
          </Link>
          .
        </p>
      </header>
      {profile.error ? (
        <p role="alert" className="rounded-lg border border-critical bg-critical-bg p-4 text-sm text-critical">
          Could not load your profile: {profile.error.message}
        </p>
      ) : !profile.data ? (
        <div role="status" aria-busy="true" className="grid gap-3">
          <span className="sr-only">Loading your profile…</span>
          <div aria-hidden="true" className="h-40 animate-pulse rounded-xl bg-surface-3" />
          <div aria-hidden="true" className="h-24 animate-pulse rounded-xl bg-surface-3" />
        </div>
      ) : (
        <>
          <ProfileForm
            anonymous={profile.data.anonymous}
            name={profile.data.anonymous ? "" : (profile.data.name ?? "")}
            email={profile.data.anonymous ? null : profile.data.email}
            timezone={profile.data.timezone}
          />
          <section aria-labelledby="plan-heading" className="rounded-xl border border-line bg-surface p-4 shadow-sm">
            <h2 id="plan-heading" className="text-base font-semibold text-ink">
              Plan
            </h2>
            <p className="mt-1 text-sm">
              <span
                data-testid="tier"
                className="mr-2 inline-block rounded-full bg-surface-3 px-2 py-0.5 text-xs font-semibold uppercase tracking-wide text-ink"
              >
                {profile.data.tier}
              </span>
              <span className="text-muted">{TIER_TEXT[profile.data.tier]}</span>
            </p>
          </section>
          {!profile.data.anonymous && <ApiKeysSection timeZone={profile.data.timezone} />}
          {!profile.data.anonymous && <SignOut />}
        </>
      )}
    </main>
  );
}

/**
 * Starts from the stored values and keeps its own state afterwards: remounting on every refetch
 * would wipe the "Saved" confirmation the moment the save's own invalidation lands.
 */
function ProfileForm(props: { anonymous: boolean; name: string; email: string | null; timezone: string }) {
  const id = useId();
  const utils = trpc.useUtils();
  const [name, setName] = useState(props.name);
  const [timezone, setTimezone] = useState(props.timezone);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const update = trpc.profile.update.useMutation({
    onSuccess: async () => {
      toast.success("Profile saved");
      // Quotas, analytics and the meter read the zone: refresh everything that depends on it.
      await utils.invalidate();
    },
    onError: (error) => setErrors(fieldErrorsOf(error)),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const input = {
      ...(props.anonymous || name.trim() === props.name ? {} : { name }),
      ...(timezone === props.timezone ? {} : { timezone }),
    };
    // The router's own schema, so the form refuses exactly what the server would.
    const parsed = profileUpdateInput.safeParse(input);
    if (!parsed.success) {
      const next: Record<string, string[]> = {};
      for (const issue of parsed.error.issues) (next[String(issue.path[0] ?? "(input)")] ??= []).push(issue.message);
      setErrors(next);
      return;
    }
    setErrors({});
    if (Object.keys(parsed.data).length === 0) {
      toast("Nothing changed");
      return;
    }
    update.mutate(parsed.data);
  };

  const browserZone = browserTimeZone();
  return (
    <form
      onSubmit={submit}
      aria-labelledby={`${id}-heading`}
      className="grid gap-4 rounded-xl border border-line bg-surface p-4 shadow-sm"
      noValidate
    >
      <h2 id={`${id}-heading`} className="text-base font-semibold text-ink">
        Profile
      </h2>
      {props.anonymous ? (
        <p className="text-sm text-muted">
          You are browsing as a guest. Sign up to keep your chats and get more messages.
        </p>
      ) : (
        <>
          {props.email && (
            <p className="text-sm text-muted">
              Signed in as <span className="font-medium text-ink">{props.email}</span>
            </p>
          )}
          <div className="grid gap-1">
            <label htmlFor={`${id}-name`} className="text-sm font-medium text-ink">
              Name
            </label>
            <input
              id={`${id}-name`}
              className="field"
              value={name}
              maxLength={80}
              autoComplete="name"
              onChange={(e) => {
                update.reset();
                setName(e.target.value);
              }}
              aria-invalid={errors.name ? true : undefined}
              aria-describedby={errors.name ? `${id}-name-error` : undefined}
            />
            {errors.name && (
              <p id={`${id}-name-error`} className="text-sm text-critical">
                {errors.name.join(" ")}
              </p>
            )}
          </div>
        </>
      )}
      <div className="grid gap-1">
        <label htmlFor={`${id}-tz`} className="text-sm font-medium text-ink">
          Time zone
        </label>
        <TimeZoneSelect
          id={`${id}-tz`}
          value={timezone}
          onChange={(zone) => {
            update.reset();
            setTimezone(zone);
          }}
          describedBy={`${id}-tz-help`}
        />
        <p id={`${id}-tz-help`} className="text-xs text-muted">
          Daily limits reset at midnight here; a change applies from the next reset.
          {browserZone !== timezone && (
            <>
              {" "}
              <button
                type="button"
                className="text-accent underline underline-offset-2"
                onClick={() => setTimezone(browserZone)}
              >
                Use this device’s zone ({browserZone})
              </button>
            </>
          )}
        </p>
        {errors.timezone && <p className="text-sm text-critical">{errors.timezone.join(" ")}</p>}
      </div>
      <div>
        <button type="submit" className="btn btn-primary" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save"}
        </button>
        {update.isSuccess && (
          <span role="status" className="ml-3 text-sm text-ok">
            Saved
          </span>
        )}
      </div>
    </form>
  );
}

function SignOut() {
  const signOut = trpc.auth.signOut.useMutation({
    // A full load drops every cached answer of the previous account, not just the ones we know of.
    onSuccess: () => window.location.assign("/"),
    onError: (error) => toast.error(`Could not sign out: ${error.message}`),
  });
  return (
    <section aria-labelledby="signout-heading" className="rounded-xl border border-line bg-surface p-4 shadow-sm">
      <h2 id="signout-heading" className="text-base font-semibold text-ink">
        Session
      </h2>
      <button type="button" className="btn mt-2" disabled={signOut.isPending} onClick={() => signOut.mutate()}>
        {signOut.isPending ? "Signing out…" : "Sign out"}
      </button>
    </section>
  );
}
