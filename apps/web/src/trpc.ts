import { createTRPCReact, httpBatchLink } from "@trpc/react-query";
import type { AppRouter } from "@wavelength/api";
import superjson from "superjson";

export const trpc = createTRPCReact<AppRouter>();

// The server falls back to this zone for anonymous visitors, whose daily window is their local day.
const browserTimeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function createTrpcClient() {
  return trpc.createClient({
    links: [
      httpBatchLink({
        url: "/api/trpc",
        transformer: superjson,
        headers: { "x-time-zone": browserTimeZone },
        fetch: (input, init) => fetch(input, { ...init, credentials: "same-origin" }),
      }),
    ],
  });
}
