import { useEffect, useState } from "react";
import { toast } from "sonner";
import { trpc } from "../../trpc.ts";
import { Field } from "./field.tsx";
import { formatDistanceToNowStrict } from "./relative-time.ts";

/** Operators: every user's API keys, searchable, each revocable at once (audited on the server). */
export function ApiKeysPanel() {
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  const [includeRevoked, setIncludeRevoked] = useState(false);
  useEffect(() => {
    const t = setTimeout(() => setQuery(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);
  const keys = trpc.admin.apiKeys.useQuery({ ...(query ? { search: query } : {}), includeRevoked });
  const utils = trpc.useUtils();
  const revoke = trpc.admin.revokeApiKey.useMutation({
    onSuccess: (k) => {
      toast.success(`Revoked “${k.name}” of ${k.email}`);
      void utils.admin.apiKeys.invalidate();
    },
    onError: (e) => toast.error(`Could not revoke the key: ${e.message}`),
  });

  return (
    <section
      aria-labelledby="admin-keys-heading"
      data-testid="admin-api-keys"
      className="rounded-xl border border-line bg-surface p-4 shadow-sm"
    >
      <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
        <h2 id="admin-keys-heading" className="text-base font-semibold text-ink">
          API keys
        </h2>
        <div className="flex flex-wrap items-end gap-3">
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={includeRevoked} onChange={(e) => setIncludeRevoked(e.target.checked)} />
            Show revoked
          </label>
          <Field label="Filter keys">
            {(p) => (
              <input
                type="search"
                className="field w-64"
                placeholder="Owner, name or wl_ prefix"
                {...p}
                value={search}
                onChange={(e) => setSearch(e.target.value)}
              />
            )}
          </Field>
        </div>
      </div>
      {keys.error ? (
        <p role="alert" className="text-sm text-critical">
          Could not list keys: {keys.error.message}
        </p>
      ) : !keys.data ? (
        <div aria-hidden="true" className="h-24 animate-pulse rounded-lg bg-surface-3" />
      ) : keys.data.length === 0 ? (
        <p className="text-sm text-muted">No keys{query ? ` match “${query}”` : ""}.</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full min-w-[44rem] text-sm" aria-label="API keys">
            <thead>
              <tr className="border-b border-line text-left text-ink">
                <th scope="col" className="py-2 font-medium">
                  Owner
                </th>
                <th scope="col" className="font-medium">
                  Name
                </th>
                <th scope="col" className="font-medium">
                  Key
                </th>
                <th scope="col" className="font-medium">
                  Last used
                </th>
                <th scope="col" className="font-medium">
                  Status
                </th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.id} className="border-b border-line/60">
                  <td className="py-2">{k.email}</td>
                  <th scope="row" className="py-2 text-left font-medium text-ink">
                    {k.name}
                  </th>
                  <td className="py-2 font-mono text-xs">{k.prefix}…</td>
                  <td className="py-2">{k.lastUsedAt ? `${formatDistanceToNowStrict(k.lastUsedAt)} ago` : "Never"}</td>
                  <td className="py-2">{k.status}</td>
                  <td className="py-2 text-right">
                    {k.status === "active" && (
                      <button
                        type="button"
                        className="btn"
                        aria-label={`Revoke ${k.name} of ${k.email}`}
                        disabled={revoke.isPending}
                        onClick={() => {
                          if (window.confirm(`Revoke “${k.name}” of ${k.email}? Its requests stop at once.`))
                            revoke.mutate({ id: k.id });
                        }}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
