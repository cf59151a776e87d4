import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// In development the SPA is served by Vite and the API by apps/server on :3000; in production the
// server serves dist/ itself, so the SPA always talks to its own origin at /api.
export default defineConfig({
  plugins: [react()],
  server: {
    proxy: { "/api": { target: "http://localhost:3000", changeOrigin: false } },
  },
  build: { outDir: "dist", emptyOutDir: true },
});
