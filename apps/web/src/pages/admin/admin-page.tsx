import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { formatMicros } from "@wavelength/shared";
import { trpc } from "../../trpc.ts";
import { ApiKeysPanel } from "./api-keys-panel.tsx";
import { Field } from "./field.tsx";
import { HealthPanel } from "./health-panel.tsx";
import { OverviewPanel } from "./overview-panel.tsx";
import type { AdminUser } from "./types.ts";
import { UserDetail } from "./user-detail.tsx";

/**
 * /admin: operators see users' usage and tiers, change limits, and watch the quota system. The
 * server decides who is an operator (an admin account, or the ADMIN_TOKEN bearer behind a proxy),
 * so the page asks it instead of trusting the role it has cached.
 */
export default function AdminPage() {
  const probe = trpc.admin.health.useQuery(undefined, { retry: false, staleTime: 10_000 });
  if (probe.isPending) {
    return (
      <main aria-busy="true" className="mx-auto w-full max-w-6xl px-4 py-6">
        <span className="sr-only">Loading…</span>
        <div aria-hidden="true" className="h-40 animate-pulse rounded-xl bg-surface-3" />
      </main>
    );
  }
  if (probe.error) {
    const code = probe.error.data?.code;
    if (code === "FORBIDDEN" || code === "UNAUTHORIZED") return <OperatorsOnly />;
    return (
      <main className="mx-auto max-w-2xl px-4 py-6">
        <h1 className="text-2xl font-semibold text-ink">Operations</h1>
        <p role="alert" className="mt-2 text-critical">
          Could not reach the operator API: {probe.error.message}
        </p>
      </main>
    );
  }
  return <AdminConsole />;
}

function OperatorsOnly() {
  return (
    <main className="mx-auto grid w-full max-w-xl gap-2 px-4 py-16 text-center" data-testid="operators-only">
      <h1 className="text-2xl font-semibold text-ink">Operators only</h1>
      <p className="text-muted">This page is for Wavelength operators. Your account has no admin role.</p>
      <p>
        <Link to="/" className="btn mt-2">
          Back to chat
        </Link>
      </p>
    </main>
  );
}

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return debounced;
}

function AdminConsole() {
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState(params.get("q") ?? "");
  const query = useDebounced(search.trim(), 250);
  const selectedId = params.get("user");

  useEffect(() => {
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (query) next.set("q", query);
        else next.delete("q");
        return next;
      },
      { replace: true },
    );
  }, [query, setParams]);

  const users = trpc.admin.users.useQuery(query ? { search: query } : undefined, { refetchInterval: 15_000 });
  const selected = users.data?.find((u) => u.id === selectedId) ?? null;
  const select = (id: string | null) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      if (id) next.set("user", id);
      else next.delete("user");
      return next;
    });

  return (
    <main className="mx-auto grid w-full max-w-6xl gap-4 px-4 py-6">
      <h1 className="text-2xl font-semibold text-ink">Operations</h1>
      <HealthPanel />
      <OverviewPanel />
      <section aria-labelledby="users-heading" className="rounded-xl border border-line bg-surface p-4 shadow-sm">
        <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
          <h2 id="users-heading" className="text-base font-semibold text-ink">
            Users
          </h2>
          <Field label="Search">
            {(p) => (
              <input
                type="search"
                className="field w-64"
                placeholder="Email or name"
                {...p}
                value={search}
                onChange={(e) => setSearch(e.target.value)}
              />
            )}
          </Field>
        </div>
        {users.error ? (
          <p role="alert" className="text-sm text-critical">
            Could not list users: {users.error.message}
          </p>
        ) : !users.data ? (
          <div aria-hidden="true" className="h-40 animate-pulse rounded-lg bg-surface-3" />
        ) : users.data.length === 0 ? (
          <p className="text-sm text-muted">No users match “{query}”.</p>
        ) : (
          <UsersTable users={users.data} selectedId={selectedId} onSelect={select} />
        )}
      </section>
      {selected && <UserDetail key={selected.id} user={selected} />}
      <ApiKeysPanel />
    </main>
  );
}

function UsersTable({
  users,
  selectedId,
  onSelect,
}: {
  users: AdminUser[];
  selectedId: string | null;
  onSelect: (id: string | null) => void;
}) {
  return (
    <div className="overflow-x-auto">
      <table className="w-full min-w-[44rem] text-sm" aria-label="Users">
        <thead>
          <tr className="border-b border-line text-left text-ink">
            <th scope="col" className="py-2 font-medium">
              User
            </th>
            <th scope="col" className="font-medium">
              Tier
            </th>
            <th scope="col" className="text-right font-medium">
              Requests today
            </th>
            <th scope="col" className="text-right font-medium">
              Tokens today
            </th>
            <th scope="col" className="text-right font-medium">
              Cost today
            </th>
            <th scope="col" className="font-medium">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => {
            const active = u.id === selectedId;
            return (
              <tr key={u.id} className={`border-b border-line/60 ${active ? "bg-surface-2" : ""}`}>
                <th scope="row" className="py-2 text-left font-normal">
                  <span className="block text-ink">{u.email ?? u.id}</span>
                  <span className="block text-xs text-muted">
                    {u.name ?? "no name"} · {u.timezone}
                    {u.role === "admin" ? " · admin" : ""}
                  </span>
                </th>
                <td>{u.tier}</td>
                <td className="text-right tabular-nums">{u.today.requests.toLocaleString("en-US")}</td>
                <td className="text-right tabular-nums">{u.today.tokens.toLocaleString("en-US")}</td>
                <td className="text-right tabular-nums">{formatMicros(u.today.costMicros)}</td>
                <td className="text-right">
                  <button
                    type="button"
                    className="btn"
                    aria-expanded={active}
                    onClick={() => onSelect(active ? null : u.id)}
                  >
                    {active ? "Close" : "Manage"}
                    <span className="sr-only"> {u.email ?? u.id}</span>
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
