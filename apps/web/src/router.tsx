import { lazy } from "react";
import { createBrowserRouter, isRouteErrorResponse, Link, useRouteError } from "react-router";
import { AppLayout } from "./components/layout/app-layout.tsx";
import { ChatPage } from "./pages/chat/chat-page.tsx";

// Everything but chat loads on demand: the analytics page brings recharts, the admin page its tables.
const SettingsUsagePage = lazy(() => import("./pages/settings/usage-page.tsx"));
const SettingsPage = lazy(() => import("./pages/settings/settings-page.tsx"));
const AdminPage = lazy(() => import("./pages/admin/admin-page.tsx"));

export const router = createBrowserRouter([
  {
    element: <AppLayout />,
    errorElement: <RouteError />,
    children: [
      {
        // One ChatPage for both paths, so a new conversation's first reply keeps streaming while the
        // URL changes from / to /c/:id.
        element: <ChatPage />,
        children: [{ index: true }, { path: "c/:conversationId" }],
      },
      { path: "settings/usage", element: <SettingsUsagePage /> },
      { path: "settings", element: <SettingsPage /> },
      { path: "admin", element: <AdminPage /> },
      { path: "*", element: <NotFound /> },
    ],
  },
]);

function NotFound() {
  return (
    <main className="mx-auto max-w-xl p-8">
      <h1 className="text-xl font-semibold">Page not found</h1>
      <p className="text-muted mt-2">
        <Link to="/" className="text-accent underline">
          Back to chat
        </Link>
      </p>
    </main>
  );
}

function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error)
    ? `${error.status} ${error.statusText}`
    : error instanceof Error
      ? error.message
      : "Unknown error";
  return (
    <main className="mx-auto max-w-xl p-8">
      <h1 className="text-xl font-semibold">Something went wrong</h1>
      <p role="alert" className="text-critical mt-2">
        {message}
      </p>
      <p className="mt-4">
        <a href="/" className="text-accent underline">
          Reload the app
        </a>
      </p>
    </main>
  );
}
