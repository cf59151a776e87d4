import { useCallback, useEffect, useRef } from "react";
import { solveInWorker } from "../../lib/proof-of-work.ts";
import { trpc } from "../../trpc.ts";

/**
 * Proofs of work for the auth form (the server asks one of every sign-up, and of a sign-in after a
 * few failures). `prepare` starts solving a challenge in the background, so that by the time the
 * visitor has typed their details the proof is usually ready; `take` hands that proof over (or
 * solves one now) and forgets it, since each proof is good for one request.
 */
export function useProofOfWork() {
  const utils = trpc.useUtils();
  const pending = useRef<Promise<string> | null>(null);
  const signal = useRef<AbortSignal | undefined>(undefined);

  // Leaving the form stops the worker (and a remount, as in StrictMode, starts afresh).
  useEffect(() => {
    const controller = new AbortController();
    signal.current = controller.signal;
    return () => {
      controller.abort();
      pending.current = null;
    };
  }, []);

  const prepare = useCallback((): Promise<string> => {
    if (!pending.current) {
      const solving = utils.client.auth.challenge.query().then((challenge) => solveInWorker(challenge, signal.current));
      // A failed solve is not kept: the next `take` starts over.
      solving.catch(() => {
        if (pending.current === solving) pending.current = null;
      });
      pending.current = solving;
    }
    return pending.current;
  }, [utils]);

  const take = useCallback((): Promise<string> => {
    const proof = prepare();
    pending.current = null;
    return proof;
  }, [prepare]);

  return { prepare, take };
}
