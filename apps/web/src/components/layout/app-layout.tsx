import { Suspense } from "react";
import { Link, Outlet } from "react-router";
import { useUsageInit } from "../../hooks/use-usage-init.ts";
import { trpc } from "../../trpc.ts";
import { AuthDialogProvider } from "../auth/auth-dialog-context.tsx";
import { AccountMenu } from "./account-menu.tsx";
import { ThemeSelect } from "./theme-select.tsx";
import { WaveIcon } from "../icons.tsx";

export function AppLayout() {
  const me = trpc.auth.me.useQuery();
  const identityKey = me.data ? (me.data.kind === "user" ? `user:${me.data.user.id}` : "anonymous") : null;
  useUsageInit(identityKey);

  return (
    <AuthDialogProvider>
      <div className="flex h-full flex-col">
        <a
          href="#main"
          className="bg-accent text-accent-ink sr-only z-50 rounded-md px-3 py-2 focus:not-sr-only focus:absolute focus:top-2 focus:left-2"
        >
          Skip to content
        </a>
        <header className="border-line flex h-14 shrink-0 items-center gap-2 border-b px-3 sm:px-4">
          <Link to="/" className="mr-auto flex items-center gap-2 font-semibold tracking-tight">
            <WaveIcon className="text-accent" width={22} height={22} />
            <span className="sr-only sm:not-sr-only">Wavelength</span>
          </Link>
          <ThemeSelect />
          <AccountMenu />
        </header>
        <div id="main" tabIndex={-1} className="min-h-0 flex-1 outline-none">
          <Suspense fallback={<PageSkeleton />}>
            <Outlet />
          </Suspense>
        </div>
      </div>
    </AuthDialogProvider>
  );
}

export function PageSkeleton() {
  return (
    <div className="mx-auto flex max-w-3xl flex-col gap-3 p-6" aria-busy="true" aria-label="Loading">
      <div className="bg-surface-3 h-6 w-1/3 animate-pulse rounded" />
      <div className="bg-surface-3 h-4 w-2/3 animate-pulse rounded" />
      <div className="bg-surface-3 h-40 animate-pulse rounded" />
    </div>
  );
}
