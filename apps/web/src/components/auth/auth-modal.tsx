import { signInInput, signUpInput, type SignUpInput } from "@wavelength/shared";
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { appErrorCodeOf, fieldErrorsOf, messageOf } from "../../lib/trpc-error.ts";
import { trpc } from "../../trpc.ts";
import { CloseIcon } from "../icons.tsx";
import { useProofOfWork } from "./use-proof-of-work.ts";

export type AuthTab = "signup" | "signin";

const browserTimeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * Sign up / sign in in a modal <dialog>: the browser traps focus, Escape closes it, and the page
 * behind stays as it was, so the visitor's conversation is still open when the dialog closes (the
 * server moves it to the new account under the same id).
 */
export function AuthModal({ initialTab, onClose }: { initialTab: AuthTab; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [tab, setTab] = useState<AuthTab>(initialTab);
  const titleId = useId();
  const tabIds = { signup: useId(), signin: useId() };
  const panelId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  const onTabKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    if (e.key !== "ArrowLeft" && e.key !== "ArrowRight") return;
    const next: AuthTab = tab === "signup" ? "signin" : "signup";
    setTab(next);
    document.getElementById(tabIds[next])?.focus();
  };

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onClose={onClose}
      onClick={(e) => {
        // A click on the backdrop (the dialog element itself, outside its content) closes it.
        if (e.target === ref.current) ref.current.close();
      }}
      className="bg-surface text-ink m-auto w-[min(26rem,calc(100vw-2rem))] rounded-xl p-0 shadow-2xl backdrop:bg-black/50"
    >
      <div className="p-5">
        <div className="mb-4 flex items-center justify-between">
          <h2 id={titleId} className="text-lg font-semibold">
            {tab === "signup" ? "Create your free account" : "Welcome back"}
          </h2>
          <button type="button" className="btn btn-ghost px-2" aria-label="Close" onClick={() => ref.current?.close()}>
            <CloseIcon />
          </button>
        </div>
        <div role="tablist" aria-label="Account" className="bg-surface-2 mb-4 grid grid-cols-2 gap-1 rounded-lg p-1">
          {(["signup", "signin"] as const).map((t) => (
            <button
              key={t}
              id={tabIds[t]}
              type="button"
              role="tab"
              aria-selected={tab === t}
              aria-controls={panelId}
              tabIndex={tab === t ? 0 : -1}
              onKeyDown={onTabKey}
              onClick={() => setTab(t)}
              className={`rounded-md py-1.5 text-sm font-medium ${tab === t ? "bg-surface shadow-sm" : "text-muted"}`}
            >
              {t === "signup" ? "Sign up" : "Sign in"}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={panelId} aria-labelledby={tabIds[tab]}>
          <AuthForm key={tab} tab={tab} onDone={() => ref.current?.close()} />
        </div>
      </div>
    </dialog>
  );
}

const FIELDS = ["name", "email", "password"];
const CHALLENGE_FAILED = "This browser could not be verified. Please try again.";

function AuthForm({ tab, onDone }: { tab: AuthTab; onDone: () => void }) {
  const utils = trpc.useUtils();
  const signUp = trpc.auth.signUp.useMutation();
  const signIn = trpc.auth.signIn.useMutation();
  const { prepare, take } = useProofOfWork();
  const [working, setWorking] = useState(false);
  // Sign-in asks for a proof of work only after failures; once asked, every later try brings one.
  const [signInNeedsProof, setSignInNeedsProof] = useState(false);
  const pending = working || signUp.isPending || signIn.isPending;
  const [fieldErrors, setFieldErrors] = useState<Record<string, string[]>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const ids = { name: useId(), email: useId(), password: useId() };

  // Every sign-up needs a proof: solve it while the visitor types.
  useEffect(() => {
    if (tab === "signup") prepare().catch(() => {});
  }, [tab, prepare]);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const text = (k: string) => {
      const v = form.get(k);
      return typeof v === "string" ? v : "";
    };
    const name = text("name").trim();
    const credentials = { email: text("email"), password: text("password") };
    // The schemas the server validates with, so most mistakes are caught without a round trip.
    const parsed =
      tab === "signup"
        ? signUpInput.safeParse({ ...credentials, timezone: browserTimeZone, ...(name ? { name } : {}) })
        : signInInput.safeParse(credentials);
    if (!parsed.success) {
      const errs: Record<string, string[]> = {};
      for (const issue of parsed.error.issues) (errs[String(issue.path[0] ?? "form")] ??= []).push(issue.message);
      setFieldErrors(errs);
      setFormError(null);
      return;
    }
    setFieldErrors({});
    setFormError(null);
    setWorking(true);
    const send = async (proof: string | undefined) => {
      if (tab === "signup") await signUp.mutateAsync({ ...(parsed.data as SignUpInput), proof });
      else await signIn.mutateAsync({ ...parsed.data, proof });
    };
    let needsProof = tab === "signup" || signInNeedsProof;
    try {
      try {
        await send(needsProof ? await take() : undefined);
      } catch (error) {
        // Asked for a proof (sign-in after failures), or ours expired: solve one and try once more.
        if (appErrorCodeOf(error) !== "CHALLENGE_REQUIRED") throw error;
        needsProof = true;
        if (tab === "signin") setSignInNeedsProof(true);
        await send(await take());
      }
      // Everything cached belonged to the visitor: reload as the account (same conversation ids).
      await utils.invalidate();
      onDone();
    } catch (error) {
      const fields = Object.fromEntries(Object.entries(fieldErrorsOf(error)).filter(([k]) => FIELDS.includes(k)));
      if (Object.keys(fields).length > 0) setFieldErrors(fields);
      else if (appErrorCodeOf(error) === "CHALLENGE_REQUIRED") setFormError(CHALLENGE_FAILED);
      else setFormError(messageOf(error));
      // The proof was spent (or never made): have the next one ready.
      if (needsProof) prepare().catch(() => {});
    } finally {
      setWorking(false);
    }
  };

  const err = (k: string) => fieldErrors[k]?.join(" ");
  const field = (key: "name" | "email" | "password", label: string, props: Record<string, string | boolean>) => (
    <div className="flex flex-col gap-1">
      <label htmlFor={ids[key]} className="text-sm font-medium">
        {label}
      </label>
      <input
        id={ids[key]}
        name={key}
        className="field"
        aria-invalid={err(key) ? true : undefined}
        onChange={() => {
          if (fieldErrors[key]) setFieldErrors(({ [key]: _, ...rest }) => rest);
        }}
        aria-describedby={err(key) ? `${ids[key]}-error` : undefined}
        {...props}
      />
      {err(key) && (
        <p id={`${ids[key]}-error`} className="text-critical text-xs">
          {err(key)}
        </p>
      )}
    </div>
  );

  return (
    <form className="flex flex-col gap-3" onSubmit={(e) => void submit(e)} noValidate>
      {tab === "signup" && field("name", "Name (optional)", { autoComplete: "name", maxLength: "80" })}
      {field("email", "Email", { type: "email", autoComplete: "email", required: true, autoFocus: true })}
      {field("password", "Password", {
        type: "password",
        autoComplete: tab === "signup" ? "new-password" : "current-password",
        required: true,
      })}
      {tab === "signup" && (
        <p className="text-muted text-xs">
          At least 8 characters. Your conversation and today&apos;s usage move to the new account.
        </p>
      )}
      {formError && (
        <p role="alert" className="text-critical text-sm">
          {formError}
        </p>
      )}
      <button type="submit" className="btn btn-primary mt-1 py-2" disabled={pending}>
        {pending ? "One moment…" : tab === "signup" ? "Create account" : "Sign in"}
      </button>
    </form>
  );
}
