import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode, useState } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router/dom";
import { router } from "./router.tsx";
import { createTrpcClient, trpc } from "./trpc.ts";
import "./styles.css";

function shouldRetry(failureCount: number, error: unknown): boolean {
  // 4xx answers (not found, forbidden, quota) will not change on retry; network blips might.
  const status = (error as { data?: { httpStatus?: number } } | null)?.data?.httpStatus;
  return (status === undefined || status >= 500) && failureCount < 2;
}

function Root() {
  // Created once per mount, not per render, so the caches survive re-renders.
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { retry: shouldRetry, staleTime: 2_000 } } }),
  );
  const [trpcClient] = useState(createTrpcClient);
  return (
    <trpc.Provider client={trpcClient} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </trpc.Provider>
  );
}

const container = document.getElementById("root");
if (!container) throw new Error("index.html has no #root element");
createRoot(container).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
