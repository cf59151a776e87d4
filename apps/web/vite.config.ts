import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// In development the SPA is served by Vite and the API by apps/server on :3000; in production the
// server serves dist/ itself, so the SPA always talks to its own origin at /api.
export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: {
    proxy: { "/api": { target: "http://localhost:3000", changeOrigin: false } },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        // Long-lived vendor chunks that every page needs, so a deploy that only changes app code
        // leaves them cached. Everything else (charts, highlight.js, the settings and admin pages)
        // is split at its dynamic import and never loads with the chat page.
        codeSplitting: {
          groups: [
            { name: "react", test: /node_modules[\\/](react|react-dom|scheduler|react-router)[\\/]/ },
            { name: "data", test: /node_modules[\\/](@trpc|@tanstack|superjson|copy-anything|is-what)[\\/]/ },
          ],
        },
      },
    },
  },
});
