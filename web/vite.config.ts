/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The gateway (make run: 127.0.0.1:8080) answers /api and /socket.io; `npm run dev` proxies them
// so the dev server is same-origin like the production build served by the gateway.
const gateway = process.env.HINTRO_GATEWAY ?? "http://127.0.0.1:8080";

export default defineConfig({
  plugins: [react()],
  build: {
    target: "es2022",
    // Source maps stay out of the served build: they would double what a CDN stores for nothing
    // a person needs.
    sourcemap: false,
    rollupOptions: {
      output: {
        // The seed's split: libraries that change rarely get their own long-cached chunks.
        manualChunks(id) {
          if (/[\\/]node_modules[\\/](react|react-dom|scheduler)[\\/]/.test(id)) return "react";
          if (/[\\/]node_modules[\\/](react-router|react-router-dom)[\\/]/.test(id)) return "router";
          if (/[\\/]node_modules[\\/]@dnd-kit[\\/]/.test(id)) return "dnd";
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: {
      // The gateway accepts cookie sessions only from its own origin: the dev server speaks as it.
      "/api": {
        target: gateway,
        changeOrigin: true,
        configure: (proxy) => proxy.on("proxyReq", (request) => request.setHeader("Origin", gateway)),
      },
      "/socket.io": { target: gateway, ws: true, changeOrigin: true },
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
