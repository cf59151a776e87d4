import { useEffect, useId, useRef, useState } from "react";
import { Link, useNavigate } from "react-router";
import { trpc } from "../../trpc.ts";
import { useAuthDialog } from "../auth/auth-dialog-context.tsx";

/** Sign in / sign up for visitors; the account with its pages and sign-out for users. */
export function AccountMenu() {
  const me = trpc.auth.me.useQuery();
  const auth = useAuthDialog();
  const utils = trpc.useUtils();
  const navigate = useNavigate();
  const signOut = trpc.auth.signOut.useMutation({
    onSuccess: async () => {
      await utils.invalidate();
      void navigate("/");
    },
  });
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        root.current?.querySelector<HTMLButtonElement>("button[aria-haspopup]")?.focus();
      }
    };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  if (!me.data) return <span className="w-20" aria-hidden="true" />;

  if (me.data.kind === "anonymous") {
    return (
      <div className="flex items-center gap-2">
        <button type="button" className="btn btn-ghost" onClick={() => auth.open("signin")}>
          Sign in
        </button>
        <button type="button" className="btn btn-primary" onClick={() => auth.open("signup")}>
          Sign up
        </button>
      </div>
    );
  }

  const { user } = me.data;
  const close = () => setOpen(false);
  const item = "hover:bg-surface-2 block w-full rounded-md px-3 py-1.5 text-left text-sm";
  return (
    <div ref={root} className="relative">
      <button
        type="button"
        className="btn btn-ghost max-w-[11rem] sm:max-w-[16rem]"
        aria-haspopup="true"
        aria-expanded={open}
        aria-controls={menuId}
        onClick={() => setOpen((v) => !v)}
      >
        <span
          aria-hidden="true"
          className="bg-accent text-accent-ink grid size-6 shrink-0 place-items-center rounded-full text-xs"
        >
          {user.email.charAt(0).toUpperCase()}
        </span>
        <span className="truncate" data-testid="account-email">
          {user.email}
        </span>
        <span className="sr-only">, {user.tier} plan. Account menu</span>
      </button>
      {open && (
        <nav
          id={menuId}
          aria-label="Account"
          className="bg-surface border-line absolute right-0 z-30 mt-1 w-56 rounded-lg border p-1 shadow-lg"
        >
          <p className="text-muted px-3 py-1.5 text-xs">
            {user.tier.charAt(0).toUpperCase() + user.tier.slice(1)} plan
            {user.role === "admin" ? " · admin" : ""}
          </p>
          <Link to="/settings/usage" className={item} onClick={close}>
            Usage
          </Link>
          <Link to="/settings" className={item} onClick={close}>
            Settings
          </Link>
          {user.role === "admin" && (
            <Link to="/admin" className={item} onClick={close}>
              Admin
            </Link>
          )}
          <button
            type="button"
            className={item}
            disabled={signOut.isPending}
            onClick={() => {
              close();
              signOut.mutate();
            }}
          >
            Sign out
          </button>
        </nav>
      )}
    </div>
  );
}
