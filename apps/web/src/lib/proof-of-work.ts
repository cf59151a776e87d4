import type { ProofChallenge } from "@wavelength/shared/proof-of-work";
import type { ProofWorkerReply } from "./proof-of-work.worker.ts";

/**
 * Solves a sign-up / sign-in challenge in a Web Worker (a separate chunk: the solver is not part of
 * the page's initial JavaScript) and resolves with the payload for the `proof` field.
 */
export function solveInWorker(challenge: ProofChallenge, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./proof-of-work.worker.ts", import.meta.url), { type: "module" });
    const stop = () => {
      worker.terminate();
      reject(new DOMException("Proof of work cancelled", "AbortError"));
    };
    signal?.addEventListener("abort", stop, { once: true });
    const done = () => {
      signal?.removeEventListener("abort", stop);
      worker.terminate();
    };
    worker.onmessage = (event: MessageEvent<ProofWorkerReply>) => {
      done();
      if (event.data.ok) resolve(event.data.proof);
      else reject(new Error(event.data.message));
    };
    worker.onerror = (event) => {
      done();
      reject(new Error(event.message || "Proof of work failed."));
    };
    worker.postMessage(challenge);
  });
}
